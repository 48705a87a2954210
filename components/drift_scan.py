"""Drift detection, the collection: a live snapshot of both clusters, both registries and both Connect workers,
read with batched requests and all six parts in parallel, then compared by `drift.py`.

Per cluster: one metadata request, one DescribeConfigs for every topic compared, one DescribeAcls (and one
ListOffsets with `lag`). Per Connect worker: one `GET /connectors?expand=info&expand=status`. Per registry: the
subject list, then for each of the spec's subjects its latest version (the whole history only when there is
more than one) and its compatibility, from a small thread pool: the Confluent API has no bulk read.
A part that cannot be read becomes an `Unreachable` entry (exit code 2) and its comparisons are skipped.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import requests
from confluent_kafka import KafkaException, TopicPartition
from confluent_kafka.admin import OffsetSpec

from components.access import PairAccess
from components.clients.connect import ConnectClient
from components.clients.http import request
from components.clients.kafka_admin import KafkaAdmin, KafkaAdminError
from components.clients.registry import RegistryClient
from components.derive import derive
from components.drift import (
    ClusterSnapshot,
    ConnectSnapshot,
    DriftOptions,
    KafkaSnapshot,
    LiveConnector,
    LiveVersion,
    RegistrySnapshot,
    TopicInfo,
    compare,
    flow_lags,
)
from components.drift_report import Report, Unreachable
from components.errors import ConnectError, KaaError, RegistryError
from components.model import Topology

REGISTRY_WORKERS = 8


# --- Kafka ------------------------------------------------------------------------------------------------------

def kafka_snapshot(topology: Topology, alias: str, settings: dict[str, str], timeout: float,
                   lag: bool = False) -> KafkaSnapshot:
    admin = KafkaAdmin({**settings, "log_level": "4"}, alias, timeout)  # no info-level librdkafka chatter
    state = derive(topology)[alias]
    wanted = [t.name for t in topology.topics] + ["heartbeats"] + [r.name for r in state.remote_topics]
    for attempt in (1, 2):
        live = admin.topics()
        names = [n for n in dict.fromkeys(wanted) if n in live]
        try:
            configs = admin.topic_configs(names, only_set=True)
            break
        except KafkaAdminError:
            if attempt == 2:  # a topic deleted between the two requests: list again once
                raise
    topics = {n: TopicInfo(t.partitions, t.replication_factor) for n, t in live.items()}
    offsets = end_offsets(admin, {n: topics[n].partitions for n in names}, timeout) if lag else None
    return KafkaSnapshot(topics, configs, frozenset(admin.acls()), offsets)


def end_offsets(admin: KafkaAdmin, partitions: dict[str, int], timeout: float) -> dict[str, tuple[int, ...]]:
    """Latest offsets of every partition of these topics in one ListOffsets request."""
    latest = OffsetSpec.latest()  # type: ignore[no-untyped-call]
    request_ = {TopicPartition(t, p): latest for t, count in partitions.items() for p in range(count)}
    if not request_:
        return {}
    futures = admin.admin.list_offsets(request_, request_timeout=timeout)
    found: dict[str, dict[int, int]] = {}
    for tp, future in futures.items():
        try:
            found.setdefault(tp.topic, {})[tp.partition] = future.result().offset
        except KafkaException as exc:
            raise KafkaAdminError(f"list offsets of {tp.topic} on {admin.label}: {exc.args[0]}") from exc
    return {t: tuple(by_p.get(p, 0) for p in range(partitions[t])) for t, by_p in found.items()}


# --- schema registry ---------------------------------------------------------------------------------------------

def registry_snapshot(topology: Topology, url: str, timeout: float,
                      workers: int = REGISTRY_WORKERS) -> RegistrySnapshot:
    subjects = set(RegistryClient(url, timeout=timeout).subjects())
    wanted = [s.subject for t in topology.topics for s in t.subjects if s.subject in subjects]
    local = threading.local()

    def read(subject: str) -> tuple[str, tuple[LiveVersion, ...], str | None] | None:
        if not hasattr(local, "client"):
            local.client = RegistryClient(url, timeout=timeout)
        client: RegistryClient = local.client
        try:
            latest = client.version(subject, "latest")
            versions = [latest] if latest.version == 1 else [
                latest if n == latest.version else client.version(subject, n) for n in client.versions(subject)]
            compatibility = client.compatibility(subject)
        except RegistryError:
            if client.versions(subject):
                raise
            return None  # deleted between the list and the read: missing
        live = tuple(LiveVersion(v.version, v.id, v.schema_type, v.schema) for v in versions)
        return subject, live, compatibility

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="registry") as pool:
        results = list(pool.map(read, wanted))
    found = [r for r in results if r is not None]
    gone = set(wanted) - {r[0] for r in found}
    return RegistrySnapshot(frozenset(subjects - gone), {s: v for s, v, _ in found}, {s: c for s, _, c in found})


# --- Kafka Connect -----------------------------------------------------------------------------------------------

def connect_snapshot(url: str, timeout: float) -> ConnectSnapshot:
    client = ConnectClient(url, timeout=timeout)
    response = request(client.session, "GET", f"{client.url}/connectors?expand=info&expand=status",
                       "Kafka Connect", ConnectError, timeout)
    body: dict[str, Any] = response.json() if response is not None and response.content else {}
    out = {}
    for name, entry in body.items():
        status = entry.get("status") or {}
        tasks = sorted(status.get("tasks") or [], key=lambda t: int(t.get("id", 0)))
        out[name] = LiveConnector(
            config={k: str(v) for k, v in ((entry.get("info") or {}).get("config") or {}).items()},
            state=str((status.get("connector") or {}).get("state", "UNKNOWN")),
            tasks=tuple(str(t.get("state", "UNKNOWN")) for t in tasks),
        )
    return ConnectSnapshot(out)


# --- all parts in parallel ---------------------------------------------------------------------------------------

def collect(topology: Topology, access: PairAccess, lag: bool = False, timeout: float = 15.0) \
        -> tuple[dict[str, ClusterSnapshot], list[Unreachable], dict[str, float]]:
    """Read the six parts in parallel; return the snapshot per alias, what could not be read, and timings."""
    jobs: dict[tuple[str, str], tuple[str, Callable[[], Any]]] = {}
    for alias in topology.aliases:
        side = access[alias]
        jobs[(alias, "kafka")] = (f"Kafka cluster {alias} ({side.kafka.get('bootstrap.servers')})",
                                  partial(kafka_snapshot, topology, alias, dict(side.kafka), timeout, lag))
        jobs[(alias, "registry")] = (f"schema registry of {alias} ({side.schema_registry})",
                                     partial(registry_snapshot, topology, side.schema_registry, timeout))
        jobs[(alias, "connect")] = (f"Kafka Connect of {alias} ({side.connect})",
                                    partial(connect_snapshot, side.connect, timeout))

    def timed(job: Callable[[], Any]) -> tuple[Any, float]:
        start = time.perf_counter()
        return job(), time.perf_counter() - start

    results: dict[tuple[str, str], Any] = {}
    unreachable: list[Unreachable] = []
    timings: dict[str, float] = {}
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="drift") as pool:
        futures = {key: pool.submit(timed, job) for key, (_, job) in jobs.items()}
        for key, future in futures.items():
            try:
                results[key], timings[f"{key[1]} {key[0]}"] = future.result()
            except (KaaError, KafkaException, requests.RequestException, ValueError) as exc:
                unreachable.append(Unreachable(jobs[key][0], _reason(exc)))
    snapshot = {a: ClusterSnapshot(results.get((a, "kafka")), results.get((a, "registry")),
                                   results.get((a, "connect"))) for a in topology.aliases}
    return snapshot, unreachable, timings


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KaaError):
        return str(exc)
    if isinstance(exc, KafkaException):
        return str(exc.args[0]) if exc.args else type(exc).__name__
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def notes(options: DriftOptions) -> tuple[str, ...]:
    acls = ("extra ACLs: every principal" if options.all_acls
            else "extra ACLs: only principals the topology names (--all-acls for every principal)")
    scope = ("unexpected topics and subjects: every name" if options.scope is None
             else f"unexpected topics and subjects: only names matching {options.scope!r}")
    return (acls, scope)


def scan(topology: Topology, access: PairAccess, options: DriftOptions | None = None, lag: bool = False,
         timeout: float = 15.0, stack: str | None = None) -> Report:
    """Collect both sides and compare them with the topology: the whole `kaa drift`."""
    options = options or DriftOptions()
    start = time.perf_counter()
    snapshot, unreachable, timings = collect(topology, access, lag=lag or options.max_lag is not None,
                                             timeout=timeout)
    timings["collect"] = time.perf_counter() - start
    changes = compare(topology, snapshot, options)
    lags = flow_lags(topology, snapshot) if lag else None
    timings["total"] = time.perf_counter() - start
    return Report(stack or topology.name, topology.aliases, tuple(changes), tuple(unreachable), lags,
                  notes(options), timings)
