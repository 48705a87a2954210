"""Drift scan vs per-resource baselines vs `pulumi preview --refresh`, on generated topologies on a local pair.

For each size (default 100 and 1000 topics; `--topics 100,1000,3000`) a topology of `bench-` topics is generated
(1 partition each, a producer and a consumer per topic, so ACLs for both apps and MM2, a value subject per topic
drawn from a few distinct schemas so registration stays quick), applied to the pair (MM2 included, so every topic
also has its remote twin), and then, in one run:
  - the drift scan (`kaa drift`: batched reads of both clusters, both registries, both Connect workers), and its
    Kafka part alone,
  - the per-topic baseline: one DescribeConfigs and one DescribeAcls per topic and cluster, one after the other,
    as the Terraform provider reads its resources (Kafka only: it reads less than the scan does),
  - the per-resource baseline: that plus, per subject, its latest version and its compatibility, and per connector
    its config and status, one request after the other (everything the scan reads, read as a refresh does),
  - `pulumi preview --refresh` of the same topology applied by `pulumi up`, up to `--pulumi-max-topics`, when the
    pinned engine is built (`scripts/setup.sh pulumi`); otherwise that column is skipped with a note.
With `--rtt-ms 0,10` every measurement is repeated through a delay proxy (`benchmarks/latency_proxy.py`, its own
process) that adds 10 ms to each round trip to the brokers, registries and Connect workers: on loopback a request
costs the server's and the client's CPU only, while a drift job reaches clusters in other regions. The proxy needs
the private pair (`--own-pair`, implied), whose brokers have a second listener that advertises the proxy. The
private pair's JVMs keep the optimising JIT (C2) as production servers do (the test pair runs C1 only, to start
fast), and before measuring, each size is warmed up: scans for `--warm-up` seconds and one per-topic pass.
Everything created is removed afterwards (connectors first, then topics, ACLs and subjects).

    .venv/bin/python -m benchmarks drift --own-pair --topics 100,1000,3000 --rtt-ms 0,10
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
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import yaml
from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    ConfigResource,
    ResourcePatternType,
    ResourceType,
)

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_stack import MM2_PASSWORD, BenchStack  # noqa: E402
from kaa.clients.connect_client import ConnectClient  # noqa: E402
from kaa.clients.json_http import JsonHttp  # noqa: E402
from kaa.clients.kafka_admin import KafkaAdmin  # noqa: E402
from kaa.clients.pair_access import PairAccess  # noqa: E402
from kaa.clients.registry_client import RegistryClient  # noqa: E402
from kaa.direct_apply import apply_topology  # noqa: E402
from kaa.drift.drift_compare import DriftOptions  # noqa: E402
from kaa.drift.drift_report import Report  # noqa: E402
from kaa.drift.drift_scan import PARTS, all_subjects, scan  # noqa: E402
from kaa.errors import KaaError  # noqa: E402
from kaa.local import LocalPair  # noqa: E402
from kaa.local.configs import broker_properties  # noqa: E402
from kaa.local.endpoints import load_endpoints  # noqa: E402
from kaa.local.local_users import ADMIN, MECHANISM  # noqa: E402
from kaa.topology.derive import derive  # noqa: E402
from kaa.topology.model import Topology  # noqa: E402
from kaa.topology.spec import load_topology  # noqa: E402
from kaa.topology.topic_configs import MM2_NOT_SYNCED  # noqa: E402

PREFIX = "bench-"
# 3000 topics (6000 with their remote twins) and 27,000 ACLs hold about 430 MB live on a broker: the pair's
# default 512 MB heap ran out during a 3000-topic run, so the private pair's brokers get more.
HEAPS = {"kafka": "1536m"}
# Below Linux's ephemeral range (32768-60999): a port there can be taken by any outgoing connection, as one was
# when the delay proxy started after a `pulumi up` ("address already in use" on 57098).
OWN_PAIR_PORT = 25092
SCOPE = DriftOptions(scope=r"bench-.*")
SCHEMAS = [  # a few distinct schemas, reused across subjects
    {"type": "record", "name": "Event", "namespace": "bench", "fields": [{"name": "id", "type": "string"}]},
    {"type": "record", "name": "Order", "namespace": "bench",
     "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "long"}]},
    {"type": "record", "name": "Customer", "namespace": "bench",
     "fields": [{"name": "id", "type": "string"}, {"name": "name", "type": ["null", "string"], "default": None}]},
]


# --- the generated topology ---------------------------------------------------------------------------------------

def write_stack(folder: Path, topics: int, local_stack: Path = ROOT / "stacks" / "local.yaml") -> Path:
    (folder / "schemas").mkdir(parents=True, exist_ok=True)
    for i, schema in enumerate(SCHEMAS):
        (folder / "schemas" / f"s{i}.avsc").write_text(json.dumps(schema), encoding="utf-8")
    local = yaml.safe_load(local_stack.read_text(encoding="utf-8"))
    doc = {
        "environment": "local",
        "clusters": local["clusters"],
        "defaults": {"replication_factor": 1, "partitions": 1, "config": {"min.insync.replicas": "1"}},
        "topics": {
            f"{PREFIX}t{i:05d}": {
                "config": {"cleanup.policy": "delete", "retention.ms": str(86_400_000 + i % 7)},
                "schema": {"value": f"schemas/s{i % len(SCHEMAS)}.avsc"},
                "producers": ["User:bench-producer"],
                "consumers": [{"principal": "User:bench-consumer", "group": "bench-group"}],
            }
            for i in range(topics)
        },
        "schema_registry": {"compatibility": "BACKWARD"},
        "mirror": {"name_prefix": "bench-mm2", "principal": "User:bench-mm2", "tasks_max": 1,
                   "internal_replication_factor": 1, "refresh_topics_interval_seconds": 10,
                   "sync_topic_configs_interval_seconds": 60, "emit_heartbeats_interval_seconds": 5},
    }
    path = folder / f"bench{topics}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


BENCH_LISTENER = 5  # offsets from each broker's port: a second listener, and the delay proxy in front of it
KAFKA_PROXY, REGISTRY_PROXY, CONNECT_PROXY = 6, 7, 8


def own_pair(workdir: Path, base_port: int) -> tuple[LocalPair, Path]:
    """A private pair on other ports (K1 at `base_port`, K2 at `base_port + 1000`) with its own state, so the
    benchmark's thousands of topics never touch the shared pair and nobody else's restart can cut a run short.

    Each broker gets a second SASL listener (port + 5) that advertises the delay proxy's port (port + 6): a client
    that bootstraps through the proxy is told to stay on it, while MM2 and the set-up use the direct listener."""
    local = yaml.safe_load((ROOT / "stacks" / "local.yaml").read_text(encoding="utf-8"))
    for index, cluster in enumerate(local["clusters"].values()):
        kafka = base_port + 1000 * index  # kafka, kafka+1 controller; registry kafka-11 (+1 management); connect -9
        cluster["bootstrap_servers"] = [f"127.0.0.1:{kafka}"]
        cluster["schema_registry"] = f"http://127.0.0.1:{kafka - 11}/apis/ccompat/v7"
        cluster["connect"] = f"http://127.0.0.1:{kafka - 9}"
    stack = workdir / "local.yaml"
    stack.write_text(yaml.safe_dump({"clusters": local["clusters"]}, sort_keys=False), encoding="utf-8")
    overrides = {}
    for endpoints in load_endpoints(stack):
        generated, kafka = broker_properties(endpoints, workdir), endpoints.kafka_port
        overrides[endpoints.alias] = {
            "listeners": f"{generated['listeners']},BENCH://127.0.0.1:{kafka + BENCH_LISTENER}",
            "advertised.listeners": f"{generated['advertised.listeners']},BENCH://127.0.0.1:{kafka + KAFKA_PROXY}",
            "listener.security.protocol.map": f"{generated['listener.security.protocol.map']},BENCH:SASL_PLAINTEXT",
            f"listener.name.bench.{MECHANISM.lower()}.sasl.jaas.config": ADMIN.jaas(),
        }
    pair = LocalPair(workdir / "pair", stack_file=stack, broker_overrides=overrides, full_jit=True, heaps=HEAPS)
    try:
        pair.up()
    except BaseException:
        pair.down(wipe=True)
        raise
    return pair, stack


def keep_pair_logs(workdir: Path, prefix: str, into: Path | None = None) -> Path:
    """Copy the private pair's service logs (under `workdir`, before it is wiped) into `into`, or a new temporary
    directory named `prefix...`; returns where."""
    kept = into or Path(tempfile.mkdtemp(prefix=prefix))
    for log_file in (workdir / "pair").glob("*/*/*.log*"):
        shutil.copy(log_file, kept / f"{log_file.parent.parent.name}-{log_file.name}")
    return kept


class DelayedAccess:
    """The pair seen through the delay proxy with `rtt_ms` added to every round trip (a separate process)."""

    def __init__(self, access: PairAccess, rtt_ms: float):
        self.rtt_ms = rtt_ms
        routes, sides = [], {}
        for alias, side in access.clusters.items():
            kafka = int(str(side.kafka["bootstrap.servers"]).rpartition(":")[2])
            registry, connect = urlsplit(side.schema_registry), urlsplit(side.connect)
            routes += [f"{kafka + KAFKA_PROXY}:127.0.0.1:{kafka + BENCH_LISTENER}",
                       f"{kafka + REGISTRY_PROXY}:127.0.0.1:{registry.port}",
                       f"{kafka + CONNECT_PROXY}:127.0.0.1:{connect.port}"]
            sides[alias] = replace(
                side, kafka={**side.kafka, "bootstrap.servers": f"127.0.0.1:{kafka + KAFKA_PROXY}"},
                schema_registry=f"http://127.0.0.1:{kafka + REGISTRY_PROXY}{registry.path}",
                connect=f"http://127.0.0.1:{kafka + CONNECT_PROXY}")
        self.access = PairAccess(sides)
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.latency_proxy", "--rtt-ms", str(rtt_ms),
                                      *routes], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            self.close()
            raise RuntimeError("the delay proxy did not start (see its error above)")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def precreate(topology: Topology, access: PairAccess) -> None:
    """Remote topics before MM2 runs: MM2 asks for every new remote topic in one CreateTopics, which KRaft refuses
    beyond 10000 metadata records ("Unable to perform excessively large batch operation": about 2000 topics here).
    So they are made here, in batches, the way MM2 makes them (source partitions, the configs it syncs), and MM2
    finds them in place. Local topics and ACLs come first, with a longer timeout than `apply` uses."""
    sources = {t.name: t for t in topology.topics}
    for alias, state in derive(topology).items():
        admin = KafkaAdmin(access[alias].kafka, alias, timeout=300)
        admin.create_topics(state.topics)
        admin.create_topics([replace(sources[r.source_topic], name=r.name,
                                     config={k: v for k, v in sources[r.source_topic].config.items()
                                             if k not in MM2_NOT_SYNCED})
                             for r in state.remote_topics if r.source_topic in sources])  # not heartbeats
        admin.create_acls(sorted(set(state.acls) - admin.acls()))


def remove(topology: Topology, access: PairAccess) -> None:
    """Delete everything the benchmark made: connectors first (MM2 would recreate remote topics), then topics
    (local and remote), ACLs of the benchmark's principals and the subjects in both registries."""
    principals = {"User:bench-producer", "User:bench-consumer", topology.mirror.principal}
    for alias in topology.aliases:
        connect = ConnectClient(access[alias].connect)
        for name in connect.connectors():
            if name.startswith(f"{topology.mirror.name_prefix}-"):
                connect.delete(name)
    for alias in topology.aliases:
        admin = KafkaAdmin(access[alias].kafka, alias, timeout=120)
        ours = [n for n in admin.topics() if n.split(".")[-1].startswith(PREFIX)]
        admin.delete_topics(ours)
        admin.delete_acls([a for a in admin.acls() if a.principal in principals])
        registry = RegistryClient(access[alias].schema_registry)
        for subject in sorted(all_subjects(registry)):
            if subject.startswith(PREFIX):
                registry.delete_subject(subject, permanent=True)


# --- the three measurements ---------------------------------------------------------------------------------------

def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def per_topic_baseline(topology: Topology, access: PairAccess) -> int:
    """One DescribeConfigs and one DescribeAcls per topic and cluster, sequentially; returns the request count."""
    requests = 0
    for alias in topology.aliases:
        admin = KafkaAdmin(access[alias].kafka, alias, timeout=30).admin
        for topic in topology.topics:
            for future in admin.describe_configs([ConfigResource(ResourceType.TOPIC, topic.name)],
                                                 request_timeout=30).values():
                future.result()
            filt = AclBindingFilter(ResourceType.TOPIC, topic.name, ResourcePatternType.LITERAL, None, None,
                                    AclOperation.ANY, AclPermissionType.ANY)
            admin.describe_acls(filt, request_timeout=30).result()
            requests += 2
    return requests


def per_resource_rest(topology: Topology, access: PairAccess) -> int:
    """The registry and Connect side of a per-resource refresh, sequentially: per subject its latest version and
    its compatibility (as a schema-registry provider reads one subject resource), per connector its config and
    status. Added to the per-topic baseline, it reads what the scan reads; returns the request count."""
    requests = 0
    for alias in topology.aliases:
        registry = RegistryClient(access[alias].schema_registry, timeout=30)
        for subject in (s.subject for t in topology.topics for s in t.subjects):
            registry.get(f"/subjects/{quote(subject, safe='')}/versions/latest", ok_missing=True)
            registry.get(f"/config/{quote(subject, safe='')}", ok_missing=True)
            requests += 2
        connect = JsonHttp(access[alias].connect, timeout=30, what="Kafka Connect")
        for name in connect.get("/connectors") or []:
            connect.get(f"/connectors/{quote(name, safe='')}")
            connect.get(f"/connectors/{quote(name, safe='')}/status")
            requests += 2
    return requests


def engine() -> dict[str, str] | None:
    check = subprocess.run([str(ROOT / "scripts" / "setup-pulumi.sh"), "--check"], capture_output=True)
    if check.returncode != 0:
        return None
    from kaa.pulumi_engine import engine_env
    try:
        return engine_env()
    except KaaError:
        return None


class PulumiBench:
    """A throw-away stack (benchmarks/bench_stack.py): `pulumi up` applies the topology, preview --refresh is timed.
    Without intermediate checkpoints: the file backend rewrites the whole state after every step otherwise."""

    def __init__(self, env: dict[str, str], stack_file: Path, workdir: Path, recursion_limit: int = 0):
        changes: dict[str, str | None] = {"PULUMI_SKIP_CHECKPOINTS": "true"}
        if recursion_limit:
            # The program chains every subject after the previous one (registration order); the Python SDK walks
            # that chain recursively, which fails beyond about a thousand subjects with the default limit.
            site = workdir / "site"
            site.mkdir(parents=True, exist_ok=True)
            (site / "sitecustomize.py").write_text(f"import sys\nsys.setrecursionlimit({recursion_limit})\n")
            changes["PYTHONPATH"] = f"{site}:{env.get('PYTHONPATH', '')}".rstrip(":")
        self.stack = BenchStack(env, stack_file, workdir, stack_file.stem, changes)

    def up(self) -> None:
        """No rerun: a failed `up` fails the size with the engine's error lines (StepFailed)."""
        self.stack.init()
        self.stack.run("up", "--yes", "--skip-preview", "--json", "--parallel", "16")

    def preview_refresh(self) -> None:
        self.stack.run("preview", "--refresh", "--parallel", "16")

    def forget(self) -> None:
        self.stack.forget()


# --- one size -----------------------------------------------------------------------------------------------------

def settle(topology: Topology, access: PairAccess, timeout: float) -> int:
    """Wait (bounded) until MM2 has created every remote topic and the scan is clean; return the change count."""
    deadline = time.monotonic() + timeout
    while True:
        report = scan(topology, access, SCOPE, timeout=60)
        if report.unreachable and time.monotonic() > deadline:
            raise KaaError("; ".join(f"{u.part}: {u.message}" for u in report.unreachable))
        if not report.unreachable and (not report.changes or time.monotonic() > deadline):
            return len(report.changes)
        time.sleep(3)


def warm_up(topology: Topology, access: PairAccess, seconds: float, log: Callable[[str], None]) -> None:
    """Scans for `seconds` (at least three) and one per-topic pass, so that the servers' JIT has compiled the
    paths both the scan and the baselines use before anything is timed."""
    start, scans = time.monotonic(), 0
    while scans < 3 or time.monotonic() - start < seconds:
        scan(topology, access, SCOPE, timeout=60)
        scans += 1
    per_topic_baseline(topology, access)
    log(f"warmed up: {scans} scans and a per-topic pass in {time.monotonic() - start:.0f}s")


def measure(topology: Topology, access: PairAccess, repeat: int, label: str,
            log: Callable[[str], None]) -> dict[str, Any]:
    """The scan (all parts and Kafka only) and both baselines, through `access`."""
    def checked(parts: tuple[str, ...] = PARTS) -> Report:
        report = scan(topology, access, SCOPE, timeout=60, parts=parts)
        if report.unreachable:  # a part left out would make the scan look faster than it is
            raise KaaError(f"{label}: " + "; ".join(f"{u.part}: {u.message}" for u in report.unreachable))
        return report

    row: dict[str, Any] = {}
    row["scan_s"], report = timed(checked, repeat)
    row["scan_changes"] = len(report.changes)
    row["scan_parts_s"] = {k: round(v, 3) for k, v in report.timings.items()}
    row["scan_kafka_s"], kafka = timed(lambda: checked(("kafka",)), repeat)
    row["scan_kafka_changes"] = len(kafka.changes)
    log(f"{label}: drift scan {row['scan_s']:.2f}s (parts: {row['scan_parts_s']}), Kafka only "
        f"{row['scan_kafka_s']:.2f}s, {row['scan_changes']} changes")
    row["baseline_s"], row["baseline_requests"] = timed(lambda: per_topic_baseline(topology, access), 1)
    row["rest_s"], row["rest_requests"] = timed(lambda: per_resource_rest(topology, access), 1)
    row["baseline_all_s"] = row["baseline_s"] + row["rest_s"]
    log(f"{label}: per-topic baseline {row['baseline_s']:.2f}s ({row['baseline_requests']} requests); with the "
        f"registries and Connect read per resource {row['baseline_all_s']:.2f}s "
        f"({row['baseline_requests'] + row['rest_requests']} requests)")
    return row


def bench_size(size: int, access: PairAccess, env: dict[str, str] | None, repeat: int, workdir: Path,
               log: Callable[[str], None], recursion_limit: int = 0,
               local_stack: Path = ROOT / "stacks" / "local.yaml", rtts: tuple[float, ...] = (0.0,),
               warm_up_s: float = 0.0) -> list[dict[str, Any]]:
    """Apply a `size`-topic topology, then measure it directly (RTT 0) and through the delay proxy per RTT."""
    stack_file = write_stack(workdir / f"bench{size}", size, local_stack)
    topology = load_topology(stack_file, name=stack_file.stem)
    pulumi = None if env is None else PulumiBench(env, stack_file, workdir / f"pulumi{size}", recursion_limit)
    common: dict[str, Any] = {"topics": size, "acls_per_cluster": len(derive(topology)["K1"].acls),
                              "subjects": size}
    rows = []
    remove(topology, access)
    try:
        start = time.perf_counter()
        if pulumi is not None:
            log(f"{size} topics: pulumi up (topics, ACLs, subjects and connectors through the engine)")
            pulumi.up()
        else:
            log(f"{size} topics: applying directly (topics, ACLs, subjects, connectors)")
            precreate(topology, access)
            apply_topology(topology, access)
        common["apply_s"] = time.perf_counter() - start
        common["changes_before_measuring"] = settle(topology, access, timeout=120 + size / 10)
        log(f"{size} topics: applied in {common['apply_s']:.1f}s; scan reports "
            f"{common['changes_before_measuring']} changes")
        if warm_up_s:
            warm_up(topology, access, warm_up_s, log)
        for rtt in rtts:
            label = f"{size} topics, RTT {rtt:g} ms"
            try:
                if rtt:
                    delayed = DelayedAccess(access, rtt)
                    try:
                        row = measure(topology, delayed.access, repeat, label, log)
                    finally:
                        delayed.close()
                else:
                    row = measure(topology, access, repeat, label, log)
                    if pulumi is not None:
                        row["pulumi_s"], _ = timed(pulumi.preview_refresh, 1)
                        log(f"{label}: pulumi preview --refresh {row['pulumi_s']:.1f}s")
            except (KaaError, RuntimeError, KafkaException) as exc:  # the other RTTs of this size still count
                log(f"{label} failed: {exc}")
                row = {"error": f"{type(exc).__name__}: {exc}"}
            rows.append({**common, "rtt_ms": rtt, **row})
    except BaseException as exc:
        log(f"{size} topics failed: {type(exc).__name__}: {exc}")  # before a failing clean-up can hide it
        raise
    finally:
        log(f"{size} topics: cleaning up")
        try:
            remove(topology, access)
        except (KaaError, KafkaException) as exc:
            log(f"{size} topics: clean-up failed: {exc}")
        if pulumi is not None:
            pulumi.forget()
    return rows


def render(rows: list[dict[str, Any]], pulumi_note: str | None) -> str:
    head = ("topics", "RTT ms", "ACLs/cluster", "scan s", "scan s (Kafka part)", "per-topic baseline s (Kafka)",
            "baseline / Kafka scan", "per-topic baseline / scan", "per-resource baseline s (all parts)",
            "baseline / scan",
            "pulumi preview --refresh s", "pulumi / scan")
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    failed = [r for r in rows if "error" in r]
    rows = [r for r in rows if "error" not in r]
    for r in rows:
        pulumi = r.get("pulumi_s")
        lines.append(" | ".join([
            str(r["topics"]), f"{r['rtt_ms']:g}", str(r["acls_per_cluster"]), f"{r['scan_s']:.2f}",
            f"{r['scan_kafka_s']:.2f}", f"{r['baseline_s']:.2f}", f"{r['baseline_s'] / r['scan_kafka_s']:.1f}x",
            f"{r['baseline_s'] / r['scan_s']:.1f}x",
            f"{r['baseline_all_s']:.2f}", f"{r['baseline_all_s'] / r['scan_s']:.1f}x",
            "-" if pulumi is None else f"{pulumi:.1f}", "-" if pulumi is None else f"{pulumi / r['scan_s']:.0f}x"]))
    out = "\n".join("| " + line + " |" for line in lines)
    growth = []
    for rtt in dict.fromkeys(r["rtt_ms"] for r in rows):
        same = [r for r in rows if r["rtt_ms"] == rtt]
        for prev, cur in zip(same, same[1:], strict=False):
            factor = cur["topics"] / prev["topics"]
            growth.append(f"RTT {rtt:g} ms, {prev['topics']} -> {cur['topics']} topics (x{factor:.1f}): "
                          f"scan x{cur['scan_s'] / prev['scan_s']:.1f}, "
                          f"Kafka scan x{cur['scan_kafka_s'] / prev['scan_kafka_s']:.1f}, "
                          f"per-topic baseline x{cur['baseline_s'] / prev['baseline_s']:.1f}, "
                          f"per-resource baseline x{cur['baseline_all_s'] / prev['baseline_all_s']:.1f}"
                          + (f", pulumi x{cur['pulumi_s'] / prev['pulumi_s']:.1f}"
                             if "pulumi_s" in cur and "pulumi_s" in prev else ""))
    out += "\n\n" + "\n".join(f"growth: {g}" for g in growth) if growth else ""
    if pulumi_note:
        out += f"\n\nnote: {pulumi_note}"
    out += "".join(f"\nfailed: {r['topics']} topics, RTT {r['rtt_ms']:g} ms: {r['error']}" for r in failed)
    return out + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks drift", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topics", default="100,1000", help="comma-separated sizes (default 100,1000)")
    parser.add_argument("--repeat", type=int, default=3, help="scan runs per size; the median is shown")
    parser.add_argument("--no-pulumi", action="store_true", help="skip the pulumi preview --refresh column")
    parser.add_argument("--json", metavar="FILE", help="also write the raw figures to FILE")
    parser.add_argument("--own-pair", type=int, nargs="?", const=OWN_PAIR_PORT, default=0, metavar="PORT",
                        help=f"run on a private pair started for the run (K1 Kafka at PORT, default {OWN_PAIR_PORT}; "
                        "K2 at PORT+1000) and wiped afterwards, instead of the shared local pair")
    parser.add_argument("--pulumi-max-topics", type=int, default=300, metavar="N",
                        help="measure pulumi preview --refresh only up to N topics (default 300): `pulumi up` of the "
                        "1000-topic stack took over half an hour on a 2-core machine with one resource per ACL binding "
                        "and chained subjects (python -m benchmarks pulumi measures today's layout)")
    parser.add_argument("--rtt-ms", default="0", metavar="LIST",
                        help="comma-separated round-trip times to measure at (default 0: loopback only). Above 0 the "
                        "scan and the baselines go through a delay proxy (benchmarks/latency_proxy.py) that adds that "
                        "RTT to every request, as for clusters in another region; needs --own-pair (implied)")
    parser.add_argument("--warm-up", type=float, default=60.0, metavar="S",
                        help="before measuring a size, scan for S seconds (default 60) and read it once per topic, "
                        "so the servers' JIT is warm for every measurement; 0 skips it")
    parser.add_argument("--pulumi-recursion-limit", type=int, default=0, metavar="N",
                        help="run the Pulumi program with sys.setrecursionlimit(N): its chained schema subjects "
                        "exceed Python's default beyond about a thousand subjects")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.topics.split(",") if s.strip()]
    rtts = tuple(float(r) for r in args.rtt_ms.split(",") if r.strip())
    if any(rtts) and not args.own_pair:
        args.own_pair = OWN_PAIR_PORT  # the delay proxy needs the private pair's second listener

    def log(message: str) -> None:
        print(f"[drift-bench] {message}", file=sys.stderr, flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="kaa-drift-bench-"))
    local_stack, own = ROOT / "stacks" / "local.yaml", None
    if args.own_pair:
        log(f"starting a private pair on ports {args.own_pair} and {args.own_pair + 1000}")
        own, local_stack = own_pair(workdir, args.own_pair)
        pair = own
    else:
        pair = LocalPair()
        if not pair.is_healthy():
            print("drift bench: the local pair is not running (scripts/kaa local up)", file=sys.stderr)
            return 2
    access = PairAccess.from_status(pair.status_document(), {"K1": MM2_PASSWORD, "K2": MM2_PASSWORD})
    env, note = None, None
    if args.no_pulumi:
        note = "pulumi preview --refresh skipped (--no-pulumi)"
    else:
        env = engine()
        if env is None:
            note = "pulumi preview --refresh skipped: the pinned engine is not built (scripts/setup.sh pulumi)"
    if note:
        log(note)
    rows: list[dict[str, Any]] = []
    failed: list[str] = []
    try:
        for size in sizes:
            engine_env = env if size <= args.pulumi_max_topics else None
            try:
                rows += bench_size(size, access, engine_env, args.repeat, workdir, log, args.pulumi_recursion_limit,
                                   local_stack, rtts, args.warm_up)
            except (KaaError, RuntimeError, KafkaException, OSError) as exc:
                failed.append(f"{size} topics: {type(exc).__name__}: {exc}")
                log(f"{size} topics failed, going on with the next size: {failed[-1]}")
        if env is not None and any(size > args.pulumi_max_topics for size in sizes):
            note = (f"pulumi preview --refresh measured up to {args.pulumi_max_topics} topics (--pulumi-max-topics): "
                    "`pulumi up` of a larger stack takes too long here")
    finally:
        if own is not None:
            if failed or any("error" in r for r in rows):  # keep what the services logged about it
                log(f"the private pair's logs are kept in {keep_pair_logs(workdir, 'kaa-drift-bench-logs-')}")
            log("stopping and wiping the private pair")
            own.down(wipe=True)
        shutil.rmtree(workdir, ignore_errors=True)
    print(render(rows, note), end="")
    for failure in failed:
        print(f"failed: {failure}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 1 if failed or any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
