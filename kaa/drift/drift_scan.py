"""Drift detection, the collection: a live snapshot of both clusters, both registries and both Connect workers,
read with batched requests and all six parts in parallel, then compared by `drift.py`.

Per cluster: one metadata request, one DescribeAcls and one DescribeConfigs per 500 compared topics, all in
flight together (and one ListOffsets with `lag`). Per Connect worker: one
`GET /connectors?expand=info&expand=status`. Per registry: the subject list, then for each of the spec's subjects
its latest version (the whole history only when there is more than one) and its compatibility, over a few
keep-alive connections: the Confluent API has no bulk read.
A part that cannot be read becomes an `Unreachable` entry (exit code 2) and its comparisons are skipped.
"""
from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from confluent_kafka import KafkaException, TopicPartition
from confluent_kafka.admin import OffsetSpec

from kaa.clients.connect_client import ConnectClient
from kaa.clients.http_request import request
from kaa.clients.kafka_admin import KafkaAdmin, KafkaAdminError
from kaa.clients.pair_access import PairAccess
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
from kaa.drift.drift_report import Report, Unreachable
from kaa.errors import ConnectError, KaaError, RegistryError, UnreachableError
from kaa.topology.derive import ClusterState, derive
from kaa.topology.model import Topology

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

STALL_S = 5.0  # Apicurio 3.3.3 left about one GET in 60,000 unanswered here: no thread working on it, none queued


class JsonReader:
    """Keep-alive JSON GETs for the many small registry reads of a scan, one connection per thread.

    `requests` spends about 1 ms of CPU (under the GIL) per call, `http.client` a quarter of that: with two
    requests per subject, that is most of a thousand-subject scan. Failures map to the same typed errors as
    `clients/http.py`: no answer is `UnreachableError`, a refusal `RegistryError`."""

    def __init__(self, url: str, timeout: float, what: str = "schema registry"):
        parsed = urlsplit(url)
        self.url, self.what, self.timeout = url.rstrip("/"), what, timeout
        self.https = parsed.scheme == "https"
        self.host, self.port = parsed.hostname or "localhost", parsed.port
        self.base = parsed.path.rstrip("/")
        self.local = threading.local()

    def _connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        if fresh or not hasattr(self.local, "conn"):
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            self.local.conn = cls(self.host, self.port, timeout=self.timeout)
        conn: http.client.HTTPConnection = self.local.conn
        return conn

    def get(self, path: str, ok_missing: bool = False) -> Any:
        """One GET; a connection the server dropped, or a request left unanswered for `STALL_S`, is sent once
        more on a fresh connection (GETs are safe to repeat) before the registry counts as unreachable."""
        headers = {"Accept": "application/vnd.schemaregistry.v1+json, application/json"}
        for attempt in (1, 2):
            conn, sent = self._connection(fresh=attempt == 2), False
            try:
                conn.request("GET", self.base + path, headers=headers)
                sent = True
                if conn.sock is not None:  # the first try waits STALL_S for the answer, the second the full timeout
                    conn.sock.settimeout(min(STALL_S, self.timeout) if attempt == 1 else self.timeout)
                response = conn.getresponse()
                body = response.read()
                break
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                stalled = sent and isinstance(exc, TimeoutError)
                if attempt == 2 or not (stalled or isinstance(exc, (http.client.RemoteDisconnected,
                                                                    ConnectionResetError, BrokenPipeError))):
                    raise UnreachableError(f"{self.what} at {self.url}{path} did not answer ({type(exc).__name__}); "
                                           "check that it runs and the URL is right") from exc
        if response.status == 404 and ok_missing:
            return None
        if response.status >= 400:
            raise RegistryError(f"{self.what} refused GET {self.url}{path}: HTTP {response.status}: "
                                f"{body[:300].decode(errors='replace')}")
        return json.loads(body) if body else None


SUBJECTS_PAGE = 1000


def all_subjects(reader: JsonReader) -> set[str]:
    """Every subject, page by page: Apicurio returns at most 1000 without `limit`; a registry that ignores
    `offset`/`limit` returns them all at once, which the duplicate check stops on."""
    out: set[str] = set()
    offset = 0
    while True:
        batch = [str(s) for s in reader.get(f"/subjects?offset={offset}&limit={SUBJECTS_PAGE}") or []]
        new = set(batch) - out
        out |= new
        if len(batch) < SUBJECTS_PAGE or not new:
            return out
        offset += len(batch)


def registry_snapshot(topology: Topology, url: str, timeout: float,
                      workers: int = REGISTRY_WORKERS) -> RegistrySnapshot:
    """The subject list, then per spec subject its latest version (all versions only when there are more)
    and its own compatibility level, from a small pool of keep-alive connections."""
    reader = JsonReader(url, timeout)
    subjects = all_subjects(reader)
    wanted = [s.subject for t in topology.topics for s in t.subjects if s.subject in subjects]

    def version(path: str) -> LiveVersion | None:
        body = reader.get(path, ok_missing=True)
        return None if body is None else LiveVersion(int(body["version"]), int(body["id"]),
                                                     str(body.get("schemaType") or "AVRO"), str(body["schema"]))

    def read(subject: str) -> tuple[str, tuple[LiveVersion, ...], str | None] | None:
        base = f"/subjects/{quote(subject, safe='')}/versions"
        latest = version(f"{base}/latest")
        if latest is None:
            return None  # deleted between the list and the read: missing
        versions = [latest]
        if latest.version != 1:
            numbers = [int(n) for n in reader.get(base, ok_missing=True) or []]
            found = [latest if n == latest.version else version(f"{base}/{n}") for n in numbers]
            versions = [v for v in found if v is not None]
        config = reader.get(f"/config/{quote(subject, safe='')}", ok_missing=True) or {}
        level = config.get("compatibilityLevel") or config.get("compatibility")
        return subject, tuple(versions), None if level is None else str(level)

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
                                     partial(registry_snapshot, topology, side.schema_registry, timeout))
        jobs[(alias, "connect")] = (f"Kafka Connect of {alias} ({side.connect})",
                                    partial(connect_snapshot, side.connect, timeout))

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
                  notes(options, parts), timings)
