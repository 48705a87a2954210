"""The registry part of a drift scan at N subjects (default 1000), read both ways:
  - bulk: one `GET /schemas` listing every subject's versions, as Karapace and Confluent answer it; served here by
    the recorded-behaviour stand-in of Karapace (`tests/unit/fake_karapace.py`, Python's http.server: slower per
    request than Karapace, so the bulk figure is an upper bound), filled directly with N subjects;
  - per subject: the subject list, then per subject its latest version, on a private Apicurio 3.3.3 (the local
    pair's registry, its own process on port 25181 with its own H2 file in a temporary folder, stopped
    afterwards), whose `GET /schemas` lacks subject, version and id; and, for the same request pattern on the same
    server, per subject on the stand-in too.
Each is timed with and without the compatibility reads (one `GET /config/<subject>` per subject whose spec sets a
level). Registering N subjects on Apicurio takes a while; the timings are the median of `--repeat` scans.

    .venv/bin/python -m benchmarks registry --subjects 1000
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kaa.clients.registry_client import RegistryClient  # noqa: E402
from kaa.drift import drift_scan  # noqa: E402
from kaa.local.configs import registry_system_properties  # noqa: E402
from kaa.local.endpoints import ClusterEndpoints  # noqa: E402
from kaa.local.java import find_java  # noqa: E402
from kaa.local.local_pair import REGISTRY_MIN_JAVA  # noqa: E402
from kaa.local.probes import registry_ready  # noqa: E402
from kaa.local.runtime import load_runtime  # noqa: E402
from kaa.topology.model import SchemaVersion, SubjectSpec, Topology  # noqa: E402
from kaa.topology.spec import load_topology  # noqa: E402
from tests.unit.fake_karapace import State, Version, fake_karapace, reserialise  # noqa: E402

PORT = 25181


def schema(i: int) -> str:
    return json.dumps({"type": "record", "name": f"Bench{i}", "namespace": "bench",
                       "fields": [{"name": "id", "type": "string"}]}, separators=(",", ":"))


def topology_of(n: int, level: str | None) -> Topology:
    local = load_topology(ROOT / "stacks" / "local.yaml")
    template = local.topics[0]
    topics = tuple(replace(template, name=f"bench{i:05d}", subjects=(
        SubjectSpec(f"bench{i:05d}-value", (SchemaVersion(f"bench{i}.avsc", "AVRO", schema(i)),), level),))
        for i in range(n))
    return replace(local, topics=topics)


def timed(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def filled_state(n: int) -> State:
    state = State()
    for i in range(n):
        key = ("AVRO", reserialise("AVRO", schema(i)))
        state.ids[key] = i + 1
        state.texts[i + 1] = key
        state.subjects[f"bench{i:05d}-value"] = [Version(1, i + 1)]
        state.levels[f"bench{i:05d}-value"] = "BACKWARD"
    return state


def start_apicurio(folder: Path) -> subprocess.Popen[bytes]:
    runtime = load_runtime()
    runtime.ensure_installed()
    java = find_java(REGISTRY_MIN_JAVA, "KAA_REGISTRY_JAVA_HOME", "Apicurio Registry")
    cluster = ClusterEndpoints("B1", "127.0.0.1", 25092, f"http://127.0.0.1:{PORT}/apis/ccompat/v7", "")
    props = registry_system_properties(cluster, folder / "registry", folder / "tmp")
    (folder / "tmp").mkdir(parents=True)
    log = (folder / "registry.log").open("wb")
    return subprocess.Popen([java, "-Xmx384m", *(f"-D{k}={v}" for k, v in props.items()), "-jar",
                             str(runtime.apicurio_jar)], stdout=log, stderr=subprocess.STDOUT)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks registry", description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    n, results = args.subjects, {}
    levelled, plain = topology_of(n, "BACKWARD"), topology_of(n, None)

    with fake_karapace(filled_state(n)) as (url, state):
        for name, topology in (("levels", levelled), ("no levels", plain)):
            results[f"bulk, Karapace stand-in, {name}"] = timed(
                lambda t=topology: drift_scan.registry_snapshot(t, url, 30), args.repeat)
        original = RegistryClient.bulk_versions
        RegistryClient.bulk_versions = lambda self: None  # type: ignore[method-assign]
        try:
            for name, topology in (("levels", levelled), ("no levels", plain)):
                results[f"per subject, Karapace stand-in, {name}"] = timed(
                    lambda t=topology: drift_scan.registry_snapshot(t, url, 30), args.repeat)
        finally:
            RegistryClient.bulk_versions = original  # type: ignore[method-assign]

    folder = Path(tempfile.mkdtemp(prefix="kaa-registry-bench-"))
    process = start_apicurio(folder)
    try:
        apicurio = f"http://127.0.0.1:{PORT}/apis/ccompat/v7"
        deadline = time.monotonic() + 180
        while not registry_ready(apicurio):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the private Apicurio did not start; see {folder / 'registry.log'}")
            time.sleep(1)
        client = RegistryClient(apicurio, timeout=60)
        start = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: (client.register(f"bench{i:05d}-value", schema(i), "AVRO"),
                                     client.set_compatibility(f"bench{i:05d}-value", "BACKWARD")), range(n)))
        print(f"registered {n} subjects on the private Apicurio in {time.perf_counter() - start:.1f} s", flush=True)
        assert client.bulk_versions() is None, "Apicurio's GET /schemas was expected to lack subject/version/id"
        for name, topology in (("levels", levelled), ("no levels", plain)):
            snapshot = drift_scan.registry_snapshot(topology, apicurio, 30)
            assert len(snapshot.versions) == n
            results[f"per subject, Apicurio 3.3.3, {name}"] = timed(
                lambda t=topology: drift_scan.registry_snapshot(t, apicurio, 30), args.repeat)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(folder, ignore_errors=True)

    print(f"registry part of a drift scan, {n} subjects, median of {args.repeat}:")
    for name, seconds in results.items():
        print(f"  {name:<45} {seconds * 1000:8.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
