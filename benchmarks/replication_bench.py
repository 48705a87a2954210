"""MirrorMaker 2 replication on the local pair, in one run, side by side:

  raw      the broker's own produce throughput on this machine: a confluent-kafka producer (acks=all, idempotent)
           writes N records of S bytes to a local topic on K1, timed from the first send to the last
           acknowledgement. The practical limit: MM2 reads every record and writes it again.
  toolkit  MM2 with the connector configs the toolkit generates (`kaa.mirror.mm2_settings.flow_connectors` of a bench
           topology: topic `rb-toolkit-<run>`, `mirror.name_prefix: rb-mm2`, principal `User:rb-mm2`, the mirror
           intervals of stacks/local.yaml), applied by `kaa.direct_apply.apply_topology`.
  throughput  the toolkit's connectors with `mirror.profile: throughput` (the source task's producer batches,
           lingers 20 ms, compresses with lz4 and keeps 5 idempotent requests in flight; its consumer fetches
           bigger batches): same principal, ACLs and acks=all/idempotence as toolkit.
  stock    the same six connectors reduced to the keys MM2 cannot run without here (STOCK_KEYS): connector class,
           both aliases, both clusters' bootstrap servers and SASL settings, `topics`, the ByteArray converters,
           and replication factor 1 for remote topics and the offset-syncs, checkpoints and heartbeats topics
           (the pair has one broker). Everything else is MM2's and Connect's default: the task writes through the
           Connect worker's own producer (principal `connect`; Connect sets acks=all, idempotence off, one request
           in flight), ACL sync on, 10-minute topic/group refresh and config sync, no group offset sync. The
           topic and User:rb-mm2's ACLs and credential are applied by the toolkit (`apply_kafka`) as for toolkit.

Each MM2 variant: apply, wait until warm-up records cross K1->K2, start a consumer on the remote topic on K2; then,
per run, pause the K1->K2 source connector, write the N records to K1, resume the connector and time the drain
from the first to the last record arriving (records/s, MB/s of values; CPU seconds of the pair's four JVMs, both
brokers and both Connect workers, over the same span). `--warmup` untimed runs (default 1: the JVMs run the C1 JIT
only, and the first run of a variant was measurably slower) come before `--repeat` timed ones (default 3; the
median is shown, every run is in the JSON). Raw does the same runs without MM2. Latency is measured apart, at a
steady rate below every variant's throughput (`--rate` records/s for `--paced` records): every value carries its
send time, and the consumer compares it with the time it receives the record (for raw: produced and consumed on
K1, the floor of any end-to-end path).

Figures are indicative: two cores shared with other work, 512 MB heaps, one broker per cluster, and the client is
a Python process on the same cores. Everything created is removed afterwards: the rb-mm2 connectors (source offsets
reset first), every `rb-` topic local and remote, User:rb-mm2's ACLs and SCRAM credential. Records MM2 wrote for
them into the shared offset-syncs, checkpoints and heartbeats topics stay (those topics belong to every flow).

    .venv/bin/python -m benchmarks replication --records 100000 --size 512
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import struct
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import NewTopic, ScramMechanism, UserScramCredentialDeletion

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kaa.clients.connect_client import ConnectClient  # noqa: E402
from kaa.clients.kafka_admin import KafkaAdmin, KafkaAdminError  # noqa: E402
from kaa.clients.kafka_groups import end_offsets  # noqa: E402
from kaa.clients.pair_access import PairAccess  # noqa: E402
from kaa.direct_apply import apply_kafka, apply_topology  # noqa: E402
from kaa.local import LocalPair  # noqa: E402
from kaa.mirror.mm2_settings import all_connectors, jaas_config, resolve_jaas  # noqa: E402
from kaa.topology import naming  # noqa: E402
from kaa.topology.model import Topology  # noqa: E402
from kaa.topology.spec import load_topology  # noqa: E402

PREFIX = "rb-"
NAME_PREFIX = "rb-mm2"
STOCK_PREFIX = "rb-mm2-stock"
PRINCIPAL = "User:rb-mm2"
MM2_PASSWORD = "rb-mm2-secret"
SOURCE, TARGET = "K1", "K2"
WARMUP = 20
# A value: phase, send time (ns since the epoch), sequence number; then padding up to --size bytes.
HEADER = struct.Struct(">BqQ")
WARM, PACED, BURST = 1, 2, 10  # BURST + n: the n-th throughput run
# Keys a MirrorMaker 2 connector on Connect cannot do without on this pair; see the module docstring.
STOCK_KEYS = frozenset({
    "connector.class", "source.cluster.alias", "target.cluster.alias",
    "source.cluster.bootstrap.servers", "target.cluster.bootstrap.servers",
    "source.cluster.security.protocol", "source.cluster.sasl.mechanism", "source.cluster.sasl.jaas.config",
    "target.cluster.security.protocol", "target.cluster.sasl.mechanism", "target.cluster.sasl.jaas.config",
    "topics", "key.converter", "value.converter", "header.converter",
    "replication.factor", "offset-syncs.topic.replication.factor", "checkpoints.topic.replication.factor",
    "heartbeats.topic.replication.factor",
})
VARIANTS = ("raw", "toolkit", "throughput", "stock")
DESCRIPTIONS = {
    "raw": "producer -> K1, acks=all, idempotent (latency: produce -> consume on K1)",
    "toolkit": "MM2 K1->K2, the toolkit's generated connector configs",
    "throughput": "MM2 K1->K2, the toolkit's configs with mirror.profile: throughput",
    "stock": "MM2 K1->K2, stock defaults (required keys only)",
}

Log = Callable[[str], None]


# --- the bench topology and the stock connectors ----------------------------------------------------------------

def write_stack(folder: Path, topic: str, partitions: int, profile: str = "default") -> Topology:
    """One mirrored topic, the local stack's clusters and mirror intervals, our own prefix and principal."""
    local = yaml.safe_load((ROOT / "stacks" / "local.yaml").read_text(encoding="utf-8"))
    doc = {
        "environment": "local",
        "clusters": local["clusters"],
        "defaults": {"replication_factor": 1, "partitions": partitions, "config": {"min.insync.replicas": "1"}},
        "topics": {topic: {"config": {"cleanup.policy": "delete", "retention.ms": "3600000"}}},
        "mirror": {**local["mirror"], "name_prefix": NAME_PREFIX, "principal": PRINCIPAL, "profile": profile},
    }
    path = folder / f"{topic}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return load_topology(path, name=topic)


def stock_configs(topology: Topology) -> dict[str, tuple[str, dict[str, str]]]:
    """name -> (alias of the Connect it runs on, config): the generated connectors cut down to STOCK_KEYS."""
    out = {}
    for c in all_connectors(topology):
        config = {k: v for k, v in c.config.items() if k in STOCK_KEYS}
        out[naming.connector_name(c.source, c.target, c.kind, STOCK_PREFIX)] = (c.runs_on, config)
    return out


# --- clients ------------------------------------------------------------------------------------------------------

@dataclass
class PhaseStats:
    seqs: set[int] = field(default_factory=set)
    duplicates: int = 0
    first_ns: int = 0
    last_ns: int = 0
    latencies_ms: list[float] = field(default_factory=list)


class Receiver(threading.Thread):
    """Reads a topic from its current end, as the admin user, and notes when each record arrives."""

    def __init__(self, settings: Mapping[str, str], topic: str, partitions: int):
        super().__init__(daemon=True)
        self.consumer = Consumer({**settings, "group.id": f"{PREFIX}probe-{uuid.uuid4().hex[:8]}",
                                  "enable.auto.commit": False, "auto.offset.reset": "earliest",
                                  "fetch.wait.max.ms": 100})
        starts = []
        for p in range(partitions):
            _, high = self.consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=15)
            starts.append(TopicPartition(topic, p, high))
        self.consumer.assign(starts)
        self.stats: dict[int, PhaseStats] = {}
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.halt = threading.Event()
        self.error: str | None = None

    def run(self) -> None:
        try:
            while not self.halt.is_set():
                # poll returns as soon as a record is there; consume(timeout=0) then takes what was fetched with it
                # (a consume with a timeout waits for the whole batch, which would delay the arrival times).
                first = self.consumer.poll(0.1)
                now = time.time_ns()
                self.ready.set()
                if first is None:
                    continue
                batch = [first, *self.consumer.consume(num_messages=5000, timeout=0)]
                with self.lock:
                    for msg in batch:
                        self._note(msg, now)
        except Exception as exc:  # noqa: BLE001  (reported by the waiter)
            self.error = str(exc)
        finally:
            self.consumer.close()

    def _note(self, msg: Message, now: int) -> None:
        error = msg.error()
        if error is not None:
            if error.code() != KafkaError._PARTITION_EOF:
                self.error = str(error)
            return
        value = msg.value() or b""
        if len(value) < HEADER.size:
            return
        phase, sent, seq = HEADER.unpack_from(value)
        stats = self.stats.setdefault(phase, PhaseStats())
        if seq in stats.seqs:
            stats.duplicates += 1
            return
        stats.seqs.add(seq)
        stats.first_ns = stats.first_ns or now
        stats.last_ns = now
        stats.latencies_ms.append((now - sent) / 1e6)

    def count(self, phase: int) -> int:
        with self.lock:
            return len(self.stats.get(phase, PhaseStats()).seqs)

    def wait_for(self, phase: int, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.error:
                raise RuntimeError(f"consumer failed: {self.error}")
            if self.count(phase) >= count:
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=30)


def new_producer(settings: Mapping[str, str]) -> tuple[Producer, list[str]]:
    errors: list[str] = []

    def on_delivery(err: KafkaError | None, _msg: Message) -> None:
        if err is not None:
            errors.append(str(err))

    producer = Producer({**settings, "acks": "all", "enable.idempotence": True, "client.id": f"{PREFIX}bench",
                         "delivery.report.only.error": True, "on_delivery": on_delivery})
    return producer, errors


def send(producer: Producer, topic: str, phase: int, count: int, size: int, rate: float | None = None) -> None:
    """`count` records of `size` bytes, as fast as the client goes or at `rate` records/s."""
    pad = b"x" * max(0, size - HEADER.size)
    start = time.monotonic()
    for seq in range(count):
        if rate:
            delay = start + seq / rate - time.monotonic()
            if delay > 0:
                producer.poll(delay)
        while True:
            try:
                producer.produce(topic, HEADER.pack(phase, time.time_ns(), seq) + pad)
                break
            except BufferError:
                producer.poll(0.05)
        if seq % 1000 == 0:
            producer.poll(0)


def flush(producer: Producer, errors: list[str], timeout: float) -> None:
    left = producer.flush(timeout)
    if left or errors:
        raise RuntimeError(f"produce failed: {left} records unacknowledged after {timeout:.0f}s; "
                           f"errors: {errors[:3]}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] if ordered else float("nan")


class CpuMeter:
    """CPU seconds of the pair's brokers and Connect workers (from /proc), to tell cost apart from waiting."""

    def __init__(self, pair: LocalPair):
        self.pids = [s.pid for s in pair.status() if s.service in ("kafka", "connect") and s.pid]
        self.tick = os.sysconf("SC_CLK_TCK")

    def read(self) -> float:
        total = 0
        for pid in self.pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / self.tick


# --- the pair: waits, connectors, clean-up -----------------------------------------------------------------------

def eventually(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"{what} did not happen within {timeout:.0f}s")


def high_watermarks(admin: KafkaAdmin, topic: str, partitions: int) -> int:
    """The sum of the topic's end offsets (0 while it does not exist yet)."""
    try:
        return sum(end_offsets(admin, {topic: partitions}).values())
    except KafkaAdminError:
        return 0


def connector_state(connect: ConnectClient, name: str) -> set[str]:
    status = connect.status(name) or {}
    return {(status.get("connector") or {}).get("state", "")} | {t["state"] for t in status.get("tasks", [])}


def retire_connector(url: str, name: str) -> None:
    """Stop, reset its source offsets (Connect keeps them after a delete), delete. Best effort on the reset."""
    connect = ConnectClient(url)
    if connect.status(name) is None:
        return
    base = f"{url.rstrip('/')}/connectors/{name}"
    try:
        requests.put(f"{base}/stop", timeout=30).raise_for_status()
        eventually(lambda: connector_state(connect, name) <= {"STOPPED"}, 60, f"{name} stopped")
        requests.delete(f"{base}/offsets", timeout=60)
    except (requests.RequestException, TimeoutError):
        pass
    connect.delete(name)


def remove(access: PairAccess, log: Log) -> None:
    """Everything this benchmark creates: connectors first (MM2 would recreate remote topics), then topics."""
    for alias in (SOURCE, TARGET):
        connect = ConnectClient(access[alias].connect)
        for name in connect.connectors():
            if name.startswith(f"{NAME_PREFIX}-"):
                log(f"removing connector {name} from {alias}'s Connect")
                retire_connector(access[alias].connect, name)
    user = naming.principal_name(PRINCIPAL)
    for alias in (SOURCE, TARGET):
        admin = KafkaAdmin(access[alias].kafka, alias, timeout=60)
        ours = sorted(n for n in admin.topics() if n.split(".")[-1].startswith(PREFIX))
        if ours:
            log(f"removing topics on {alias}: {', '.join(ours)}")
            admin.delete_topics(ours)
        admin.delete_acls([a for a in admin.acls() if a.principal == PRINCIPAL])
        for future in admin.admin.alter_user_scram_credentials(
                [UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)], request_timeout=30).values():
            with contextlib.suppress(KafkaException):  # no such credential
                future.result()


# --- the three variants ------------------------------------------------------------------------------------------

@dataclass
class Options:
    records: int
    size: int
    partitions: int
    paced: int
    rate: float
    repeat: int
    warmup: int
    timeout: float
    half_load: bool = False  # MM2 latency at half of the variant's own median records/s instead of `rate`


@dataclass
class Sample:
    """One timed throughput run: wall seconds, CPU seconds of the pair, and for MM2 the drain's details."""

    seconds: float
    cpu: float
    arrived: int
    duplicates: int = 0
    resume_to_first_s: float | None = None


def run_label(r: int, opts: Options) -> str:
    return f"warm-up run {r + 1}" if r < opts.warmup else f"run {r - opts.warmup + 1}/{opts.repeat}"


def rate(sample: Sample) -> float:
    return sample.arrived / sample.seconds if sample.seconds > 0 else 0.0


def summarise(variant: str, opts: Options, samples: list[Sample], paced: PhaseStats | None, complete: bool,
              extra: Mapping[str, Any], latency_rate: float | None = None) -> dict[str, Any]:
    """The median run by records/s, every run's figures, and the latency of the paced run."""
    median = sorted(samples, key=rate)[len(samples) // 2]
    latencies = paced.latencies_ms if paced else []
    return {
        "variant": variant, "what": DESCRIPTIONS[variant], "records": opts.records, "size_bytes": opts.size,
        "seconds": round(median.seconds, 3), "records_per_s": round(rate(median)),
        "mb_per_s": round(rate(median) * opts.size / 1e6, 2), "pair_cpu_s": round(median.cpu, 1),
        "complete": complete,
        "runs": [{"seconds": round(x.seconds, 3), "records_per_s": round(rate(x)), "pair_cpu_s": round(x.cpu, 1),
                  "arrived": x.arrived, "duplicates": x.duplicates, "resume_to_first_s": x.resume_to_first_s}
                 for x in samples],
        "latency_records": len(latencies), "latency_rate_per_s": round(latency_rate or opts.rate),
        "latency_p50_ms": round(percentile(latencies, 50), 1), "latency_p99_ms": round(percentile(latencies, 99), 1),
        "latency_max_ms": round(max(latencies), 1) if latencies else None,
        "latency_duplicates": paced.duplicates if paced else 0, **extra,
    }


def bench_raw(access: PairAccess, opts: Options, run: str, cpu: CpuMeter, log: Log) -> dict[str, Any]:
    topic = f"{PREFIX}raw-{run}"
    admin = KafkaAdmin(access[SOURCE].kafka, SOURCE, timeout=60)
    for future in admin.admin.create_topics([NewTopic(topic, opts.partitions, 1, config={
            "min.insync.replicas": "1", "retention.ms": "3600000"})], request_timeout=60).values():
        future.result()
    settings = access[SOURCE].kafka
    eventually(lambda: topic in admin.topics(), 30, f"{topic} visible")
    producer, errors = new_producer(settings)
    send(producer, topic, WARM, WARMUP, opts.size)
    flush(producer, errors, 30)
    samples = []
    for r in range(opts.warmup + opts.repeat):
        cpu0, start = cpu.read(), time.perf_counter()
        send(producer, topic, BURST + r, opts.records, opts.size)
        flush(producer, errors, opts.timeout)
        x = Sample(time.perf_counter() - start, cpu.read() - cpu0, opts.records)
        log(f"raw: {run_label(r, opts)}: {opts.records} records of {opts.size} B to {topic} on {SOURCE} "
            f"in {x.seconds:.2f}s")
        if r >= opts.warmup:
            samples.append(x)
    log(f"raw: latency at {opts.rate:.0f} records/s (produce -> consume on {SOURCE})")
    receiver = Receiver(settings, topic, opts.partitions)
    receiver.start()
    receiver.ready.wait(30)
    send(producer, topic, PACED, opts.paced, opts.size, rate=opts.rate)
    flush(producer, errors, 60)
    complete = receiver.wait_for(PACED, opts.paced, 60)
    receiver.stop()
    return summarise("raw", opts, samples, receiver.stats.get(PACED), complete, {"topic": topic})


def deploy_toolkit(topology: Topology, access: PairAccess) -> None:
    apply_topology(topology, access)


def deploy_stock(topology: Topology, access: PairAccess) -> None:
    apply_kafka(topology, access)  # the topic on both clusters, User:rb-mm2's ACLs and credential
    configs = stock_configs(topology)
    for name, (alias, config) in configs.items():
        resolved = resolve_jaas(config, lambda a: jaas_config(topology, a, access[a].mm2_password))
        ConnectClient(access[alias].connect).put_config(name, resolved)
    for name, (alias, config) in configs.items():
        ConnectClient(access[alias].connect).wait_running(name, require_tasks="Checkpoint" not in
                                                          config["connector.class"])


def drain(connect: ConnectClient, source_name: str, producer: Producer, errors: list[str],
          receiver: Receiver, phase: int, topic: str, opts: Options, cpu: CpuMeter) -> Sample:
    """Pause the source connector, write the records, resume it and time their arrival on the target."""
    connect.pause(source_name)
    eventually(lambda: connector_state(connect, source_name) == {"PAUSED"}, 60, f"{source_name} paused")
    time.sleep(1)
    send(producer, topic, phase, opts.records, opts.size)
    flush(producer, errors, opts.timeout)
    cpu0, resumed = cpu.read(), time.time_ns()
    connect.resume(source_name)
    receiver.wait_for(phase, opts.records, opts.timeout)
    used = cpu.read() - cpu0
    with receiver.lock:
        stats = receiver.stats.get(phase, PhaseStats())
        return Sample((stats.last_ns - stats.first_ns) / 1e9, used, len(stats.seqs), stats.duplicates,
                      round((stats.first_ns - resumed) / 1e9, 2) if stats.first_ns else None)


def bench_mm2(variant: str, access: PairAccess, opts: Options, run: str, cpu: CpuMeter, workdir: Path,
              log: Log) -> dict[str, Any]:
    topic = f"{PREFIX}{variant}-{run}"
    remote = naming.remote_topic(SOURCE, topic)
    topology = write_stack(workdir, topic, opts.partitions, "throughput" if variant == "throughput" else "default")
    source_name = naming.connector_name(SOURCE, TARGET, "source", STOCK_PREFIX if variant == "stock"
                                        else NAME_PREFIX)
    connect = ConnectClient(access[TARGET].connect)
    log(f"{variant}: applying (topic {topic}, connectors {source_name} and its five siblings)")
    start = time.perf_counter()
    (deploy_stock if variant == "stock" else deploy_toolkit)(topology, access)
    log(f"{variant}: connectors running after {time.perf_counter() - start:.1f}s; warming up")
    producer, errors = new_producer(access[SOURCE].kafka)
    send(producer, topic, WARM, WARMUP, opts.size)
    flush(producer, errors, 30)
    target, target_admin = access[TARGET].kafka, KafkaAdmin(access[TARGET].kafka, TARGET)
    eventually(lambda: high_watermarks(target_admin, remote, opts.partitions) >= WARMUP, opts.timeout,
               f"{WARMUP} warm-up records in {remote} on {TARGET}", interval=1)
    receiver = Receiver(target, remote, opts.partitions)
    receiver.start()
    receiver.ready.wait(30)
    samples = []
    for r in range(opts.warmup + opts.repeat):
        x = drain(connect, source_name, producer, errors, receiver, BURST + r, topic, opts, cpu)
        log(f"{variant}: {run_label(r, opts)}: {x.arrived}/{opts.records} records drained into {remote} on "
            f"{TARGET} in {x.seconds:.2f}s (first {x.resume_to_first_s}s after resume)")
        if r >= opts.warmup:
            samples.append(x)
    paced_rate, paced = opts.rate, opts.paced
    if opts.half_load:
        paced_rate = rate(sorted(samples, key=rate)[len(samples) // 2]) / 2
        paced = max(opts.paced, round(paced_rate * 5))  # at least 5 s of steady load
    log(f"{variant}: latency at {paced_rate:.0f} records/s, {paced} records ({SOURCE} -> {remote} on {TARGET})")
    send(producer, topic, PACED, paced, opts.size, rate=paced_rate)
    flush(producer, errors, 60)
    complete = receiver.wait_for(PACED, paced, 120) and all(x.arrived == opts.records for x in samples)
    receiver.stop()
    if not complete:
        log(f"{variant}: incomplete: drained {[x.arrived for x in samples]} of {opts.records}, "
            f"{receiver.count(PACED)}/{paced} paced records arrived within the time limit")
    for alias in (SOURCE, TARGET):
        for name in ConnectClient(access[alias].connect).connectors():
            if name.startswith(f"{NAME_PREFIX}-"):
                retire_connector(access[alias].connect, name)
    return summarise(variant, opts, samples, receiver.stats.get(PACED), complete, {
        "topic": topic, "remote_topic": remote,
        "connectors": sorted(stock_configs(topology)) if variant == "stock"
        else [c.name for c in all_connectors(topology)],
    }, paced_rate)


# --- output -------------------------------------------------------------------------------------------------------

def render(rows: list[dict[str, Any]], opts: Options, load: tuple[float, float]) -> str:
    head = ("variant", "what", "records/s", "MB/s", "vs raw", "s", "pair CPU s",
            "latency at records/s", "p50 ms", "p99 ms")
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    raw = next((r for r in rows if r["variant"] == "raw"), None)
    for r in rows:
        ratio = f"{r['records_per_s'] / raw['records_per_s']:.2f}" if raw and r["records_per_s"] else "-"
        lines.append(" | ".join([
            r["variant"] + ("" if r["complete"] else " (incomplete)"), r["what"], f"{r['records_per_s']:,}",
            f"{r['mb_per_s']:.1f}", ratio, f"{r['seconds']:.1f}", f"{r['pair_cpu_s']:.1f}",
            f"{r['latency_rate_per_s']:,}", f"{r['latency_p50_ms']:.1f}", f"{r['latency_p99_ms']:.1f}"]))
    out = "\n".join("| " + line + " |" for line in lines)
    paced = ("at half of each MM2 variant's own records/s (at least 5 s)" if opts.half_load
             else f"over {opts.paced:,} records at {opts.rate:.0f}/s")
    out += (f"\n\n{opts.records:,} records of {opts.size} B, {opts.partitions} partitions; latency {paced}. "
            f"Load average {load[0]:.1f} before, {load[1]:.1f} after (2 cores, shared): indicative figures.\n")
    for r in rows:
        runs = ", ".join(f"{x['records_per_s']:,}" for x in r["runs"])
        out += f"{r['variant']}: records/s of each run {runs} (median shown)"
        if r["variant"] != "raw":
            out += (f"; first record {', '.join(str(x['resume_to_first_s']) for x in r['runs'])} s after resume; "
                    f"duplicates {sum(x['duplicates'] for x in r['runs']) + r['latency_duplicates']}")
        out += "\n"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks replication", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000, help="records per throughput run (default 100000)")
    parser.add_argument("--size", type=int, default=512, help=f"bytes per record value (>= {HEADER.size}; 512)")
    parser.add_argument("--partitions", type=int, default=3, help="partitions of each bench topic (default 3)")
    parser.add_argument("--paced", type=int, default=3000, help="records of the latency run (default 3000)")
    parser.add_argument("--rate", type=float, default=500, help="records/s of the latency run (default 500)")
    parser.add_argument("--repeat", type=int, default=3, help="throughput runs per variant; the median is shown (3)")
    parser.add_argument("--half-load", action="store_true",
                        help="MM2 latency at half of each variant's own median records/s (at least 5 s of it)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs before them (JIT, caches; default 1)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"subset of {','.join(VARIANTS)}")
    parser.add_argument("--timeout", type=float, default=300, help="bound of every wait, in seconds (300)")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="print the raw figures as JSON instead of the table, or with FILE write them there")
    args = parser.parse_args(argv)
    variants = [v for v in args.variants.split(",") if v]
    if args.size < HEADER.size or any(v not in VARIANTS for v in variants):
        parser.error(f"--size must be at least {HEADER.size}; --variants from {','.join(VARIANTS)}")
    opts = Options(args.records, args.size, args.partitions, args.paced, args.rate, max(1, args.repeat),
                   max(0, args.warmup), args.timeout, args.half_load)

    def log(message: str) -> None:
        print(f"[replication-bench] {message}", file=sys.stderr, flush=True)

    pair = LocalPair()
    if not pair.is_healthy():
        print("replication bench: the local pair is not running (scripts/kaa local up)", file=sys.stderr)
        return 2
    access = PairAccess.from_status(pair.status_document(), {SOURCE: MM2_PASSWORD, TARGET: MM2_PASSWORD})
    cpu, run = CpuMeter(pair), uuid.uuid4().hex[:6]
    rows: list[dict[str, Any]] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="kaa-replication-bench-") as tmp:
        try:
            remove(access, log)
            for variant in variants:
                if variant == "raw":
                    rows.append(bench_raw(access, opts, run, cpu, log))
                else:
                    rows.append(bench_mm2(variant, access, opts, run, cpu, Path(tmp), log))
        finally:
            log("cleaning up")
            remove(access, log)
    document = {"options": vars(opts), "load_average": [load_before, os.getloadavg()[0]], "cores": os.cpu_count(),
                "rows": rows}
    if args.json == "-":
        print(json.dumps(document, indent=2))
    else:
        print(render(rows, opts, (load_before, os.getloadavg()[0])), end="")
        if args.json:
            Path(args.json).write_text(json.dumps(document, indent=2), encoding="utf-8")
    return 0 if all(r["complete"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
