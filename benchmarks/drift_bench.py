"""Drift scan vs a per-topic baseline vs `pulumi preview --refresh`, on generated topologies on the local pair.

For each size (default 100 and 1000 topics; `--topics 100,1000,3000`) a topology of `bench-` topics is generated
(1 partition each, a producer and a consumer per topic, so ACLs for both apps and MM2, a value subject per topic
drawn from a few distinct schemas so registration stays quick), applied to the running local pair (MM2 included,
so every topic also has its remote twin), and then, in one run:
  - the drift scan (`kaa drift`: batched reads of both clusters, both registries, both Connect workers),
  - a per-topic baseline: one DescribeConfigs and one DescribeAcls per topic and cluster, one after the other,
    as the Terraform provider reads its resources (Kafka only: it reads less than the scan does),
  - `pulumi preview --refresh` of the same topology applied by `pulumi up`, when the pinned engine is built
    (`scripts/setup.sh pulumi`); otherwise that column is skipped with a note.
Everything created is removed afterwards (connectors first, then topics, ACLs and subjects).

    .venv/bin/python -m benchmarks drift --topics 100,1000
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
from pathlib import Path
from typing import Any

import yaml
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

from components.access import PairAccess  # noqa: E402
from components.apply import apply_topology  # noqa: E402
from components.clients.connect import ConnectClient  # noqa: E402
from components.clients.kafka_admin import KafkaAdmin  # noqa: E402
from components.clients.registry import RegistryClient  # noqa: E402
from components.derive import derive  # noqa: E402
from components.drift import DriftOptions  # noqa: E402
from components.drift_scan import JsonReader, all_subjects, scan  # noqa: E402
from components.errors import KaaError  # noqa: E402
from components.local import LocalPair  # noqa: E402
from components.model import Topology  # noqa: E402
from components.spec import load_topology  # noqa: E402

PREFIX = "bench-"
MM2_PASSWORD = "bench-mm2-secret"
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


def own_pair(workdir: Path, base_port: int) -> tuple[LocalPair, Path]:
    """A private pair on other ports (K1 at `base_port`, K2 at `base_port + 1000`) with its own state, so the
    benchmark's thousands of topics never touch the shared pair and nobody else's restart can cut a run short."""
    local = yaml.safe_load((ROOT / "stacks" / "local.yaml").read_text(encoding="utf-8"))
    for index, cluster in enumerate(local["clusters"].values()):
        kafka = base_port + 1000 * index  # kafka, kafka+1 controller; registry kafka-11 (+1 management); connect -9
        cluster["bootstrap_servers"] = [f"127.0.0.1:{kafka}"]
        cluster["schema_registry"] = f"http://127.0.0.1:{kafka - 11}/apis/ccompat/v7"
        cluster["connect"] = f"http://127.0.0.1:{kafka - 9}"
    stack = workdir / "local.yaml"
    stack.write_text(yaml.safe_dump({"clusters": local["clusters"]}, sort_keys=False), encoding="utf-8")
    pair = LocalPair(workdir / "pair", stack_file=stack)
    try:
        pair.up()
    except BaseException:
        pair.down(wipe=True)
        raise
    return pair, stack


def precreate(topology: Topology, access: PairAccess, chunk: int = 1000) -> None:
    """Topics and ACLs in batches: KRaft refuses one request that makes more than 10000 metadata records
    (`apply_kafka` sends them all at once, which stops somewhere above 1000 topics)."""
    for alias, state in derive(topology).items():
        admin = KafkaAdmin(access[alias].kafka, alias, timeout=120)
        for i in range(0, len(state.topics), chunk):
            admin.create_topics(state.topics[i:i + chunk])
        acls = sorted(set(state.acls) - admin.acls())
        for i in range(0, len(acls), chunk):
            admin.create_acls(acls[i:i + chunk])


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
        for i in range(0, len(ours), 1000):
            admin.delete_topics(ours[i:i + 1000])
        acls = [a for a in admin.acls() if a.principal in principals]
        for i in range(0, len(acls), 1000):
            admin.delete_acls(acls[i:i + 1000])
        registry = RegistryClient(access[alias].schema_registry)
        for subject in sorted(all_subjects(JsonReader(access[alias].schema_registry, 30))):
            if subject.startswith(PREFIX):
                registry.delete_subject(subject)


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


def engine() -> dict[str, str] | None:
    check = subprocess.run([str(ROOT / "scripts" / "setup-pulumi.sh"), "--check"], capture_output=True)
    if check.returncode != 0:
        return None
    from components.engine import engine_env
    try:
        return engine_env()
    except KaaError:
        return None


class PulumiBench:
    """A throw-away stack on its own file backend: `pulumi up` applies the topology, preview --refresh is timed."""

    def __init__(self, env: dict[str, str], stack_file: Path, workdir: Path, recursion_limit: int = 0):
        (workdir / "state").mkdir(parents=True, exist_ok=True)
        self.name = stack_file.stem
        self.config_file = workdir / f"Pulumi.{self.name}.yaml"
        self.env = {**env, "PULUMI_BACKEND_URL": f"file://{workdir / 'state'}", "PULUMI_CONFIG_PASSPHRASE": "bench"}
        self.env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
        self.stack_file = stack_file
        if recursion_limit:
            # The program chains every subject after the previous one (registration order); the Python SDK walks
            # that chain recursively, which fails beyond about a thousand subjects with the default limit.
            site = workdir / "site"
            site.mkdir(exist_ok=True)
            (site / "sitecustomize.py").write_text(f"import sys\nsys.setrecursionlimit({recursion_limit})\n")
            self.env["PYTHONPATH"] = f"{site}:{self.env.get('PYTHONPATH', '')}".rstrip(":")

    def run(self, *args: str, timeout: float = 7200, env: dict[str, str] | None = None) \
            -> subprocess.CompletedProcess[str]:
        cmd = ["pulumi", *args, "--stack", self.name, "--config-file", str(self.config_file), "--non-interactive"]
        done = subprocess.run(cmd, cwd=ROOT, env={**self.env, **(env or {})}, text=True, capture_output=True,
                              timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"pulumi {args[0]} failed ({done.returncode}):\n"
                               f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
        return done

    def up(self) -> None:
        subprocess.run(["pulumi", "stack", "init", self.name, "--non-interactive"], cwd=ROOT, env=self.env,
                       capture_output=True, check=False)
        self.run("config", "set", "stackFile", str(self.stack_file))
        for alias in ("K1", "K2"):
            for key, value in (("adminUsername", "admin"), ("adminPassword", "admin-secret"),
                               ("mm2Password", MM2_PASSWORD)):
                self.run("config", "set", "--path", f"credentials.{alias}.{key}",
                         "--secret" if "Password" in key else "--plaintext", value)
        # Without intermediate checkpoints: the file backend rewrites the whole state after every step otherwise.
        self.run("up", "--yes", "--skip-preview", "--parallel", "16", env={"PULUMI_SKIP_CHECKPOINTS": "true"})

    def preview_refresh(self) -> None:
        self.run("preview", "--refresh", "--parallel", "16")

    def forget(self) -> None:
        subprocess.run(["pulumi", "stack", "rm", self.name, "--force", "--yes", "--non-interactive"], cwd=ROOT,
                       env=self.env, capture_output=True, check=False)


# --- one size -----------------------------------------------------------------------------------------------------

def settle(topology: Topology, access: PairAccess, timeout: float) -> int:
    """Wait (bounded) until MM2 has created every remote topic and the scan is clean; return the change count."""
    deadline = time.monotonic() + timeout
    while True:
        report = scan(topology, access, SCOPE, timeout=60)
        if report.unreachable:
            raise KaaError("; ".join(f"{u.part}: {u.message}" for u in report.unreachable))
        if not report.changes or time.monotonic() > deadline:
            return len(report.changes)
        time.sleep(3)


def bench_size(size: int, access: PairAccess, env: dict[str, str] | None, repeat: int, workdir: Path,
               log: Callable[[str], None], recursion_limit: int = 0,
               local_stack: Path = ROOT / "stacks" / "local.yaml") -> dict[str, Any]:
    stack_file = write_stack(workdir / f"bench{size}", size, local_stack)
    topology = load_topology(stack_file, name=stack_file.stem)
    pulumi = None if env is None else PulumiBench(env, stack_file, workdir / f"pulumi{size}", recursion_limit)
    row: dict[str, Any] = {"topics": size, "acls_per_cluster": len(derive(topology)["K1"].acls),
                           "subjects": size}
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
        row["apply_s"] = time.perf_counter() - start
        row["changes_before_measuring"] = settle(topology, access, timeout=120 + size / 10)
        log(f"{size} topics: applied in {row['apply_s']:.1f}s; scan reports {row['changes_before_measuring']} changes")
        row["scan_s"], report = timed(lambda: scan(topology, access, SCOPE, timeout=60), repeat)
        row["scan_changes"] = len(report.changes)
        row["scan_parts_s"] = {k: round(v, 3) for k, v in report.timings.items()}
        row["scan_kafka_s"], kafka = timed(lambda: scan(topology, access, SCOPE, timeout=60, parts=("kafka",)),
                                           repeat)
        row["scan_kafka_changes"] = len(kafka.changes)
        log(f"{size} topics: drift scan {row['scan_s']:.2f}s (parts: {row['scan_parts_s']}), "
            f"Kafka only {row['scan_kafka_s']:.2f}s")
        row["baseline_s"], row["baseline_requests"] = timed(lambda: per_topic_baseline(topology, access), 1)
        log(f"{size} topics: per-topic baseline {row['baseline_s']:.2f}s ({row['baseline_requests']} requests)")
        if pulumi is not None:
            row["pulumi_s"], _ = timed(pulumi.preview_refresh, 1)
            log(f"{size} topics: pulumi preview --refresh {row['pulumi_s']:.1f}s")
    finally:
        log(f"{size} topics: cleaning up")
        remove(topology, access)
        if pulumi is not None:
            pulumi.forget()
    return row


def render(rows: list[dict[str, Any]], pulumi_note: str | None) -> str:
    head = ("topics", "ACLs/cluster", "scan s (all parts)", "scan s (Kafka)", "baseline s (Kafka, per topic)",
            "baseline / Kafka scan", "baseline / full scan", "pulumi preview --refresh s", "pulumi / full scan")
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for r in rows:
        pulumi = r.get("pulumi_s")
        lines.append(" | ".join([
            str(r["topics"]), str(r["acls_per_cluster"]), f"{r['scan_s']:.2f}", f"{r['scan_kafka_s']:.2f}",
            f"{r['baseline_s']:.2f}", f"{r['baseline_s'] / r['scan_kafka_s']:.1f}x",
            f"{r['baseline_s'] / r['scan_s']:.1f}x",
            "-" if pulumi is None else f"{pulumi:.1f}", "-" if pulumi is None else f"{pulumi / r['scan_s']:.0f}x"]))
    out = "\n".join("| " + line + " |" for line in lines)
    growth = []
    for prev, cur in zip(rows, rows[1:], strict=False):
        factor = cur["topics"] / prev["topics"]
        growth.append(f"{prev['topics']} -> {cur['topics']} topics (x{factor:.1f}): "
                      f"scan x{cur['scan_s'] / prev['scan_s']:.1f}, "
                      f"Kafka scan x{cur['scan_kafka_s'] / prev['scan_kafka_s']:.1f}, "
                      f"baseline x{cur['baseline_s'] / prev['baseline_s']:.1f}"
                      + (f", pulumi x{cur['pulumi_s'] / prev['pulumi_s']:.1f}"
                         if "pulumi_s" in cur and "pulumi_s" in prev else ""))
    out += "\n\n" + "\n".join(f"growth: {g}" for g in growth) if growth else ""
    if pulumi_note:
        out += f"\n\nnote: {pulumi_note}"
    return out + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks drift", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topics", default="100,1000", help="comma-separated sizes (default 100,1000)")
    parser.add_argument("--repeat", type=int, default=3, help="scan runs per size; the median is shown")
    parser.add_argument("--no-pulumi", action="store_true", help="skip the pulumi preview --refresh column")
    parser.add_argument("--json", metavar="FILE", help="also write the raw figures to FILE")
    parser.add_argument("--own-pair", type=int, nargs="?", const=57092, default=0, metavar="PORT",
                        help="run on a private pair started for the run (K1 Kafka at PORT, default 57092; K2 at "
                        "PORT+1000) and wiped afterwards, instead of the shared local pair")
    parser.add_argument("--pulumi-max-topics", type=int, default=300, metavar="N",
                        help="measure pulumi preview --refresh only up to N topics (default 300): `pulumi up` of the "
                        "1000-topic stack (22k resources, 2000 chained subject registrations) takes over half an hour "
                        "on a 2-core machine")
    parser.add_argument("--pulumi-recursion-limit", type=int, default=0, metavar="N",
                        help="run the Pulumi program with sys.setrecursionlimit(N): its chained schema subjects "
                        "exceed Python's default beyond about a thousand subjects")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.topics.split(",") if s.strip()]

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
    rows = []
    try:
        for size in sizes:
            engine_env = env if size <= args.pulumi_max_topics else None
            rows.append(bench_size(size, access, engine_env, args.repeat, workdir, log, args.pulumi_recursion_limit,
                                   local_stack))
        if env is not None and any(size > args.pulumi_max_topics for size in sizes):
            note = (f"pulumi preview --refresh measured up to {args.pulumi_max_topics} topics (--pulumi-max-topics): "
                    "`pulumi up` of a larger stack takes too long here")
    finally:
        if own is not None:
            log("stopping and wiping the private pair")
            own.down(wipe=True)
        shutil.rmtree(workdir, ignore_errors=True)
    print(render(rows, note), end="")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
