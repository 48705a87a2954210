"""Drift detection, the collection: a live snapshot of both clusters, both registries and both Connect workers,
read with batched requests and all six parts in parallel, then compared by `drift.py`.

Per cluster: one metadata request, one DescribeAcls and one DescribeConfigs per 500 compared topics, all in
flight together (and one ListOffsets with `lag`). Per Connect worker: one
`GET /connectors?expand=info&expand=status`. Per registry (through the one registry client): a readiness check,
then `GET /schemas` where it lists every subject's versions (Karapace, Confluent), else the subject list and per
spec subject its latest version (the whole history only when there is more than one); a subject's own
compatibility level only where the spec sets one.
A part that cannot be read becomes an `Unreachable` entry (exit code 2) and its comparisons are skipped.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any
from urllib.parse import quote

import requests
from confluent_kafka import KafkaException, TopicPartition
from confluent_kafka.admin import OffsetSpec

from kaa.clients.connect_client import ConnectClient
from kaa.clients.http_request import request
from kaa.clients.http_tls import HttpTls
from kaa.clients.kafka_admin import KafkaAdmin, KafkaAdminError
from kaa.clients.pair_access import PairAccess
from kaa.clients.registry_client import RegistryClient
from kaa.drift.drift_compare import (
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
from kaa.drift.drift_report import EXTRA, Change, Report, Unreachable
from kaa.errors import ConnectError, KaaError
from kaa.topology.derive import ClusterState, derive
from kaa.topology.model import SubjectSpec, Topology

REGISTRY_WORKERS = 32  # keep-alive connections per registry: with a remote registry, round trips overlap


# --- Kafka ------------------------------------------------------------------------------------------------------

def compared_topics(topology: Topology, state: ClusterState) -> list[str]:
    """The topics whose configs the comparison reads on one cluster: local, `heartbeats`, expected remote."""
    return list(dict.fromkeys([t.name for t in topology.topics] + ["heartbeats"]
                              + [r.name for r in state.remote_topics]))


CONFIGS_CHUNK = 500  # topics per DescribeConfigs: the client converts one answer while the broker builds the next


def kafka_snapshot(alias: str, settings: dict[str, str], wanted: list[str], timeout: float,
                   lag: bool = False) -> KafkaSnapshot:
    """Metadata, DescribeAcls and DescribeConfigs (one per 500 compared topics) sent together.

    The configs are asked for the expected topics; when one of a batch is missing (drift), that DescribeConfigs
    fails and is sent again for the topics the metadata lists."""
    admin = KafkaAdmin({**settings, "log_level": "4"}, alias, timeout)  # no info-level librdkafka chatter
    chunks = [wanted[i:i + CONFIGS_CHUNK] for i in range(0, len(wanted), CONFIGS_CHUNK)]
    with ThreadPoolExecutor(max_workers=2 + len(chunks), thread_name_prefix=f"kafka-{alias}") as pool:
        metadata = pool.submit(admin.topics)
        acls = pool.submit(admin.acls)
        batches = [pool.submit(admin.topic_configs, chunk, True) for chunk in chunks]
        live = metadata.result()
        found: dict[str, dict[str, str]] = {}
        for chunk, batch in zip(chunks, batches, strict=True):
            try:
                found.update(batch.result())
            except KafkaAdminError:
                found.update(admin.topic_configs([n for n in chunk if n in live], only_set=True))
        bindings = acls.result()
    topics = {n: TopicInfo(t.partitions, t.replication_factor) for n, t in live.items()}
    names = [n for n in wanted if n in topics]
    offsets = end_offsets(admin, {n: topics[n].partitions for n in names}, timeout) if lag else None
    return KafkaSnapshot(topics, found, frozenset(bindings), offsets)


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

SUBJECTS_PAGE = 1000


def all_subjects(client: RegistryClient) -> set[str]:
    """Every subject, page by page: Apicurio returns at most 1000 without `limit`; a registry that ignores
    `offset`/`limit` (Karapace) returns them all at once, which the duplicate check stops on."""
    out: set[str] = set()
    offset = 0
    while True:
        batch = [str(s) for s in client.get(f"/subjects?offset={offset}&limit={SUBJECTS_PAGE}") or []]
        new = set(batch) - out
        out |= new
        if len(batch) < SUBJECTS_PAGE or not new:
            return out
        offset += len(batch)


def registry_snapshot(topology: Topology, url: str, timeout: float, workers: int = REGISTRY_WORKERS,
                      alias: str | None = None, auth: tuple[str, str] | None = None,
                      tls: HttpTls | None = None) -> RegistrySnapshot:
    """The spec's subjects as the registry holds them.

    First the registry must be ready: one still replaying its schemas (Karapace after a restart) answers with an
    empty or partial list, which would read as every subject missing. Then, where `GET /schemas` lists subject,
    version and id (Karapace, Confluent), every version in that one call; elsewhere (Apicurio) the subject list
    and, per spec subject, its latest version (all versions only when there are more), over a pool of
    keep-alive connections. A subject's own compatibility level is read only where the spec sets one: elsewhere
    the comparison does not look at it."""
    client = RegistryClient(url, auth, timeout=timeout, connections=workers, alias=alias, tls=tls)
    client.wait_ready()
    wanted_subjects = [s for t in topology.topics for s in t.subjects]
    bulk = client.bulk_versions()
    if bulk is not None:
        subjects = set(all_subjects(client))
        by_subject: dict[str, list[LiveVersion]] = {}
        for v in bulk:
            by_subject.setdefault(v.subject, []).append(LiveVersion(v.version, v.id, v.schema_type, v.schema))
        subjects |= set(by_subject)
        versions = {s.subject: tuple(sorted(by_subject.get(s.subject, ()), key=lambda v: v.version))
                    for s in wanted_subjects if s.subject in subjects}
        levelled = [s.subject for s in wanted_subjects if s.compatibility and s.subject in subjects]
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(levelled))),
                                thread_name_prefix="registry") as pool:
            levels = dict(zip(levelled, pool.map(client.compatibility, levelled), strict=True))
        return RegistrySnapshot(frozenset(subjects), versions, levels)
    subjects = all_subjects(client)
    wanted = [s for s in wanted_subjects if s.subject in subjects]

    def version(path: str) -> LiveVersion | None:
        body = client.get(path, ok_missing=True)
        return None if body is None else LiveVersion(int(body["version"]), int(body["id"]),
                                                     str(body.get("schemaType") or "AVRO"), str(body["schema"]))

    def read(spec: SubjectSpec) -> tuple[str, tuple[LiveVersion, ...], str | None] | None:
        subject = spec.subject
        base = f"/subjects/{quote(subject, safe='')}/versions"
        latest = version(f"{base}/latest")
        if latest is None:
            return None  # deleted between the list and the read: missing
        versions = [latest]
        if latest.version != 1:
            numbers = [int(n) for n in client.get(base, ok_missing=True) or []]
            found = [latest if n == latest.version else version(f"{base}/{n}") for n in numbers]
            versions = [v for v in found if v is not None]
        return subject, tuple(versions), client.compatibility(subject) if spec.compatibility else None

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="registry") as pool:
        results = list(pool.map(read, wanted))
    found = [r for r in results if r is not None]
    gone = {s.subject for s in wanted} - {r[0] for r in found}
    return RegistrySnapshot(frozenset(subjects - gone), {s: v for s, v, _ in found},
                            {s: c for s, _, c in found if c is not None})


# --- Kafka Connect -----------------------------------------------------------------------------------------------

def connect_snapshot(url: str, timeout: float, auth: tuple[str, str] | None = None,
                     tls: HttpTls | None = None) -> ConnectSnapshot:
    client = ConnectClient(url, auth, timeout=timeout, tls=tls)
    response = request(client.session, "GET", f"{client.url}/connectors?expand=info&expand=status",
                       "Kafka Connect", ConnectError, timeout, **client.tls_options)
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

PARTS = ("kafka", "registry", "connect")


def collect(topology: Topology, access: PairAccess, lag: bool = False, timeout: float = 15.0,
            parts: tuple[str, ...] = PARTS, states: dict[str, ClusterState] | None = None) \
        -> tuple[dict[str, ClusterSnapshot], list[Unreachable], dict[str, float]]:
    """Read the six parts (or those of `parts`) in parallel; return the snapshot per alias, what could not be
    read, and timings. A part left out is None in the snapshot, so its comparisons are skipped."""
    states = states or derive(topology)
    jobs: dict[tuple[str, str], tuple[str, Callable[[], Any]]] = {}
    for alias in topology.aliases:
        side = access[alias]
        wanted = compared_topics(topology, states[alias])
        jobs[(alias, "kafka")] = (f"Kafka cluster {alias} ({side.kafka.get('bootstrap.servers')})",
                                  partial(kafka_snapshot, alias, dict(side.kafka), wanted, timeout, lag))
        jobs[(alias, "registry")] = (f"schema registry of {alias} ({side.schema_registry})",
                                     partial(registry_snapshot, topology, side.schema_registry, timeout,
                                             alias=alias, auth=side.registry_auth, tls=side.http_tls))
        jobs[(alias, "connect")] = (f"Kafka Connect of {alias} ({side.connect})",
                                    partial(connect_snapshot, side.connect, timeout, side.connect_auth,
                                            side.http_tls))

    def timed(job: Callable[[], Any]) -> tuple[Any, float]:
        start = time.perf_counter()
        return job(), time.perf_counter() - start

    jobs = {key: job for key, job in jobs.items() if key[1] in parts}
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


def notes(options: DriftOptions, parts: tuple[str, ...] = PARTS) -> tuple[str, ...]:
    acls = ("extra ACLs: every principal" if options.all_acls
            else "extra ACLs: only principals the topology names (--all-acls for every principal)")
    scope = ("unexpected topics and subjects: every name" if options.scope is None
             else f"unexpected topics and subjects: only names matching {options.scope!r}")
    only = () if set(parts) == set(PARTS) else (f"only these parts were read: {', '.join(parts)}",)
    return (acls, scope, *only)


def leftover_note(changes: list[Change] | tuple[Change, ...], stack: str) -> tuple[str, ...]:
    """Unexpected remote topics are usually twins that outlived their topic: say how they go."""
    twins = sorted(c.name for c in changes if c.kind == "remote-topic" and c.action == EXTRA)
    if not twins:
        return ()
    return (f"{len(twins)} remote topic(s) no flow of the spec copies ({', '.join(twins[:5])}"
            f"{', ...' if len(twins) > 5 else ''}): twins left by a dropped topic, a destroyed stack or MM2 run "
            f"outside Connect; `scripts/kaa twins --stack {stack} --yes` deletes them (`pulumi up` and `destroy` "
            "of a stack running MM2 on Connect delete its own)",)


def scan(topology: Topology, access: PairAccess, options: DriftOptions | None = None, lag: bool = False,
         timeout: float = 15.0, stack: str | None = None, parts: tuple[str, ...] = PARTS) -> Report:
    """Collect both sides and compare them with the topology: the whole `kaa drift`."""
    options = options or DriftOptions()
    start = time.perf_counter()
    states = derive(topology)
    snapshot, unreachable, timings = collect(topology, access, lag=lag or options.max_lag is not None,
                                             timeout=timeout, parts=parts, states=states)
    timings["collect"] = time.perf_counter() - start
    changes = compare(topology, snapshot, options, states)
    lags = flow_lags(topology, snapshot, states) if lag else None
    timings["total"] = time.perf_counter() - start
    return Report(stack or topology.name, topology.aliases, tuple(changes), tuple(unreachable), lags,
                  notes(options, parts) + leftover_note(changes, stack or topology.name), timings)
