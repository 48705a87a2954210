"""Drift detection, the comparison: the topology's derived state against live snapshots of K1, K2, both
registries and both Connect workers, and the two sides against each other.

Pure: `drift_scan.py` collects the snapshots with batched requests; everything here is plain data in, a list of
`Change` out, so every rule is unit-tested on hand-made snapshots. Only what we own counts, so broker defaults
and server-set fields are never drift: configs set on the topic, remote topics against their source (minus what
MM2 does not sync), ACLs of the principals the topology names, the spec's subjects plus subjects in one registry
only, the derived connectors. Secrets are compared only masked and never put into a change.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass

from kaa.drift.drift_report import DIFFERS, EXTRA, MISSING, Change, FlowLag, sort_key
from kaa.mirror.mm2_settings import KINDS as CONNECTOR_KINDS
from kaa.mirror.mm2_settings import jaas_config, remote_replication_factor, resolve_jaas, resolve_tls
from kaa.redaction import SECRET_MASK, mask
from kaa.topology import naming
from kaa.topology.acls import Acl
from kaa.topology.derive import ClusterState, derive
from kaa.topology.model import SubjectSpec, Topic, Topology
from kaa.topology.schema_files import same_schema
from kaa.topology.topic_configs import MM2_NOT_SYNCED

CONNECT_SET_KEYS = frozenset({"name"})  # added by Kafka Connect itself


# --- live snapshots ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TopicInfo:
    partitions: int
    replication_factor: int


@dataclass(frozen=True)
class KafkaSnapshot:
    topics: Mapping[str, TopicInfo]
    configs: Mapping[str, Mapping[str, str]]  # topic -> configs set on the topic (DYNAMIC_TOPIC_CONFIG)
    acls: frozenset[Acl]
    end_offsets: Mapping[str, tuple[int, ...]] | None = None  # topic -> end offset per partition (--lag)


@dataclass(frozen=True)
class LiveVersion:
    version: int
    id: int
    schema_type: str
    schema: str


@dataclass(frozen=True)
class RegistrySnapshot:
    subjects: frozenset[str]  # every subject of the registry
    versions: Mapping[str, tuple[LiveVersion, ...]]  # the spec's subjects that exist
    compatibility: Mapping[str, str | None]  # subject-level compatibility (None: follows the global default)


@dataclass(frozen=True)
class LiveConnector:
    config: Mapping[str, str]  # as Connect returns it: may hold secrets, never rendered
    state: str
    tasks: tuple[str, ...]  # task states in task-id order


@dataclass(frozen=True)
class ConnectSnapshot:
    connectors: Mapping[str, LiveConnector]


@dataclass(frozen=True)
class ClusterSnapshot:
    """One side of the pair; a part that could not be read is None and its comparisons are skipped."""

    kafka: KafkaSnapshot | None = None
    registry: RegistrySnapshot | None = None
    connect: ConnectSnapshot | None = None


Snapshot = Mapping[str, ClusterSnapshot]


@dataclass(frozen=True)
class DriftOptions:
    """`scope`: a regex; unexpected topics, remote topics and subjects are reported only when their (local) name
    matches it, so several topologies can share the clusters. `all_acls`: report extra ACL bindings of every
    principal, not only of those the topology names. `max_lag`: report a flow lagging by more records."""

    scope: str | None = None
    all_acls: bool = False
    max_lag: int | None = None

    def in_scope(self, name: str) -> bool:
        return self.scope is None or re.fullmatch(self.scope, name) is not None

    def subject_in_scope(self, subject: str) -> bool:
        """A subject counts when it or its topic (TopicNameStrategy: `<topic>-key|value`) is in scope."""
        topic = re.sub(r"-(key|value)$", "", subject)
        return self.in_scope(subject) or self.in_scope(topic)


# --- helpers ------------------------------------------------------------------------------------------------------

def _same_config(key: str, a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a == b
    if key == "cleanup.policy":
        return sorted(p.strip() for p in a.split(",")) == sorted(p.strip() for p in b.split(","))
    return a == b


def _config_delta(want: Mapping[str, str], have: Mapping[str, str]) -> tuple[dict[str, str | None],
                                                                             dict[str, str | None]]:
    keys = sorted(k for k in set(want) | set(have) if not _same_config(k, want.get(k), have.get(k)))
    return {k: want.get(k) for k in keys}, {k: have.get(k) for k in keys}


def _synced(config: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in config.items() if k not in MM2_NOT_SYNCED}


def principals(topology: Topology) -> frozenset[str]:
    """Every principal the topology names: its ACL scope for 'extra' bindings."""
    out = {topology.mirror.principal}
    for topic in topology.topics:
        out.update(topic.producers)
        out.update(c.principal for c in topic.consumers)
    return frozenset(out)


def acl_name(acl: Acl) -> str:
    host = "" if acl.host == "*" else f" from {acl.host}"
    return acl.describe() + host


# --- topics -------------------------------------------------------------------------------------------------------

def _is_local_name(topology: Topology, name: str) -> bool:
    """A name that could be a local topic: not internal, not named like a remote topic of either alias."""
    sep = topology.mirror.separator
    return naming.reserved_reason(name) is None and naming.remote_prefix_alias(name, topology.aliases, sep) is None


def topic_changes(topology: Topology, alias: str, kafka: KafkaSnapshot, options: DriftOptions) -> Iterator[Change]:
    spec = {t.name: t for t in topology.topics}
    for topic in topology.topics:
        live = kafka.topics.get(topic.name)
        if live is None:
            yield Change("topic", topic.name, MISSING, _topic_summary(topic), None, alias)
            continue
        if live.partitions != topic.partitions:
            yield Change("partitions", topic.name, DIFFERS, topic.partitions, live.partitions, alias)
        if live.replication_factor != topic.replication_factor:
            yield Change("replication-factor", topic.name, DIFFERS, topic.replication_factor,
                         live.replication_factor, alias)
        before, after = _config_delta(topic.config, kafka.configs.get(topic.name, {}))
        if before:
            yield Change("topic-config", topic.name, DIFFERS, before, after, alias)
    for name in sorted(kafka.topics):
        if name not in spec and _is_local_name(topology, name) and options.in_scope(name):
            yield Change("topic", name, EXTRA, None, asdict(kafka.topics[name]), alias)


def _topic_summary(topic: Topic) -> dict[str, object]:
    return {"partitions": topic.partitions, "replication_factor": topic.replication_factor}


# --- remote topics ------------------------------------------------------------------------------------------------

def remote_changes(topology: Topology, state: ClusterState, kafka: KafkaSnapshot, source: KafkaSnapshot | None,
                   options: DriftOptions) -> Iterator[Change]:
    """On `state.alias` (the target): each expected remote topic mirrors its source on the other cluster."""
    alias, sep = state.alias, topology.mirror.separator
    expected = {r.name: r for r in state.remote_topics}
    rf = remote_replication_factor(topology)
    for remote in state.remote_topics:
        src = None if source is None else source.topics.get(remote.source_topic)
        if src is None:
            continue  # the source's absence is its own drift (or its cluster could not be read)
        assert source is not None
        live = kafka.topics.get(remote.name)
        if live is None:
            yield Change("remote-topic", remote.name, MISSING, f"{remote.source_topic} on {remote.source_alias}",
                         None, alias)
            continue
        if live.partitions != src.partitions:
            yield Change("remote-partitions", remote.name, DIFFERS, src.partitions, live.partitions, alias)
        # `<alias>.heartbeats` is shared by every topology mirroring between these aliases: its factor is not ours.
        if remote.source_topic != "heartbeats" and live.replication_factor != rf:
            yield Change("remote-replication-factor", remote.name, DIFFERS, rf, live.replication_factor, alias)
        before, after = _config_delta(_synced(source.configs.get(remote.source_topic, {})),
                                      _synced(kafka.configs.get(remote.name, {})))
        if before:
            yield Change("remote-config", remote.name, DIFFERS, before, after, alias)
    internal = set(state.mm2_internal_topics)
    for name in sorted(kafka.topics):
        prefix = naming.remote_prefix_alias(name, topology.aliases, sep)
        if prefix is None or name in expected or name in internal:
            continue
        rest = name[len(prefix) + len(sep):]
        local = rest
        while (inner := naming.remote_prefix_alias(local, topology.aliases, sep)) is not None:
            local = local[len(inner) + len(sep):]
        if not options.in_scope(local) or (naming.reserved_reason(local) and local != "heartbeats"):
            continue  # out of scope, or MM2/Connect machinery named after an alias
        if prefix == alias or local != rest:
            yield Change("cycle-topic", name, EXTRA, None, asdict(kafka.topics[name]), alias)
        else:
            yield Change("remote-topic", name, EXTRA, None, asdict(kafka.topics[name]), alias)


# --- ACLs ---------------------------------------------------------------------------------------------------------

def acl_changes(topology: Topology, state: ClusterState, kafka: KafkaSnapshot, options: DriftOptions) \
        -> Iterator[Change]:
    desired = set(state.acls)
    named = principals(topology)
    for acl in sorted(desired - kafka.acls):
        yield Change("acl", acl_name(acl), MISSING, asdict(acl), None, state.alias)
    for acl in sorted(kafka.acls - desired):
        if options.all_acls or acl.principal in named:
            yield Change("acl", acl_name(acl), EXTRA, None, asdict(acl), state.alias)


# --- schemas ------------------------------------------------------------------------------------------------------

def _version_drift(subject: SubjectSpec, live: tuple[LiveVersion, ...]) -> list[dict[str, object]] | None:
    """The live versions (each named by the spec file it matches) when they differ from the spec's list."""
    shown: list[dict[str, object]] = []
    ok = len(live) == len(subject.versions)
    for index, version in enumerate(live):
        match = next((s.path for s in subject.versions if s.schema_type == version.schema_type
                      and same_schema(version.schema_type, s.text, version.schema)), None)
        expected = subject.versions[index].path if index < len(subject.versions) else None
        ok = ok and match is not None and match == expected
        shown.append({"version": version.version, "id": version.id, "schema": match})
    return None if ok else shown


def schema_changes(topology: Topology, snapshot: Snapshot, options: DriftOptions) -> Iterator[Change]:
    subjects = [s for t in topology.topics for s in t.subjects]
    registries = {a: snapshot[a].registry for a in topology.aliases if snapshot[a].registry is not None}
    for subject in subjects:
        for alias, registry in registries.items():
            assert registry is not None
            if subject.subject not in registry.subjects:
                yield Change("subject", subject.subject, MISSING, [v.path for v in subject.versions], None, alias)
                continue
            live = registry.versions.get(subject.subject, ())
            drift = _version_drift(subject, live)
            if drift is not None:
                yield Change("schema-versions", subject.subject, DIFFERS, [v.path for v in subject.versions],
                             drift, alias)
            have = registry.compatibility.get(subject.subject)
            if subject.compatibility and have != subject.compatibility:
                yield Change("compatibility", subject.subject, DIFFERS, subject.compatibility, have, alias)
        if len(registries) == 2:
            (a1, r1), (a2, r2) = registries.items()
            assert r1 is not None and r2 is not None
            ids1 = {v.version: v.id for v in r1.versions.get(subject.subject, ())}
            ids2 = {v.version: v.id for v in r2.versions.get(subject.subject, ())}
            differ = sorted(v for v in set(ids1) & set(ids2) if ids1[v] != ids2[v])
            if differ:
                yield Change("schema-id", subject.subject, DIFFERS, {a1: {f"v{v}": ids1[v] for v in differ}},
                             {a2: {f"v{v}": ids2[v] for v in differ}}, None)
    if len(registries) == 2:
        spec_names = {s.subject for s in subjects}
        (a1, r1), (a2, r2) = registries.items()
        assert r1 is not None and r2 is not None
        for alias, only in ((a1, r1.subjects - r2.subjects), (a2, r2.subjects - r1.subjects)):
            for name in sorted(only - spec_names):
                if options.subject_in_scope(name):
                    yield Change("subject", name, EXTRA, None, "one registry only", alias)


# --- the mirror ---------------------------------------------------------------------------------------------------

def expected_connector_config(topology: Topology, config: Mapping[str, str]) -> dict[str, str]:
    """The derived config as it must be live, with every secret masked the way `mask` masks live values."""
    resolved = resolve_tls(resolve_jaas(config, lambda a: jaas_config(topology, a, SECRET_MASK)),
                           lambda _alias, _part: SECRET_MASK)
    return {k: mask(k, v) or "" for k, v in resolved.items()}


def connector_changes(topology: Topology, state: ClusterState, connect: ConnectSnapshot) -> Iterator[Change]:
    alias = state.alias
    for connector in state.connectors:
        live = connect.connectors.get(connector.name)
        if live is None:
            yield Change("connector", connector.name, MISSING, connector.kind, None, alias)
            continue
        running = live.state == "RUNNING" and all(t == "RUNNING" for t in live.tasks)
        if not running or (not live.tasks and connector.kind != "checkpoint"):
            yield Change("connector-state", connector.name, DIFFERS, "RUNNING",
                         {"connector": live.state, "tasks": list(live.tasks)}, alias)
        want = expected_connector_config(topology, connector.config)
        have = {k: mask(k, v) or "" for k, v in live.config.items() if k not in CONNECT_SET_KEYS}
        before, after = _config_delta(want, have)
        if before:
            yield Change("connector-config", connector.name, DIFFERS, before, after, alias)
    ours = re.compile(
        re.escape(topology.mirror.name_prefix) + "-(" + "|".join(re.escape(a.lower()) for a in topology.aliases)
        + ")-(" + "|".join(re.escape(a.lower()) for a in topology.aliases) + ")-(" + "|".join(CONNECTOR_KINDS) + ")")
    derived = {c.name for c in state.connectors}
    for name in sorted(connect.connectors):
        if name not in derived and ours.fullmatch(name):
            yield Change("connector", name, EXTRA, None, connect.connectors[name].state, alias)


def flow_lags(topology: Topology, snapshot: Snapshot,
              states: Mapping[str, ClusterState] | None = None) -> tuple[FlowLag, ...] | None:
    """Per flow, the records the remote topics are behind their sources (by end offsets, per partition)."""
    out = []
    states = states or derive(topology)
    for source, target in topology.flows:
        src, tgt = snapshot[source].kafka, snapshot[target].kafka
        if src is None or tgt is None or src.end_offsets is None or tgt.end_offsets is None:
            return None
        total, worst, worst_lag, topics = 0, None, 0, 0
        for remote in states[target].remote_topics:
            if remote.source_topic == "heartbeats" or remote.source_topic not in src.end_offsets:
                continue
            ends, mirrored = src.end_offsets[remote.source_topic], tgt.end_offsets.get(remote.name, ())
            lag = sum(max(0, end - (mirrored[p] if p < len(mirrored) else 0)) for p, end in enumerate(ends))
            topics += 1
            total += lag
            if lag > worst_lag:
                worst, worst_lag = remote.source_topic, lag
        out.append(FlowLag(source, target, topics, total, worst, worst_lag))
    return tuple(out)


# --- everything ---------------------------------------------------------------------------------------------------

def compare(topology: Topology, snapshot: Snapshot, options: DriftOptions | None = None,
            states: Mapping[str, ClusterState] | None = None) -> list[Change]:
    """Every difference between the topology and the live snapshot (parts that are None are skipped);
    `states` is `derive(topology)` when the caller has it already."""
    options = options or DriftOptions()
    states = states or derive(topology)
    changes: list[Change] = []
    for alias, state in states.items():
        side = snapshot[alias]
        if side.kafka is not None:
            changes += topic_changes(topology, alias, side.kafka, options)
            source = snapshot[topology.other(alias).alias].kafka
            changes += remote_changes(topology, state, side.kafka, source, options)
            changes += acl_changes(topology, state, side.kafka, options)
        if side.connect is not None:
            changes += connector_changes(topology, state, side.connect)
    changes += schema_changes(topology, snapshot, options)
    if options.max_lag is not None:
        changes += lag_changes(flow_lags(topology, snapshot, states) or (), options.max_lag)
    return sorted(changes, key=sort_key)


def lag_changes(lags: Iterable[FlowLag], max_lag: int) -> Iterator[Change]:
    for flow in lags:
        if flow.records > max_lag:
            yield Change("replication-lag", flow.flow, DIFFERS, max_lag, flow.records, flow.target)
