"""What a failover relies on, read from the pair: MM2's checkpoints and heartbeats on the target, the replication
lag of each flow, and each consumer group's offsets on both sides (`kaa failover status`)."""
from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kaa.clients import kafka_groups as kg
from kaa.clients.kafka_admin import KafkaAdmin, LiveTopic
from kaa.clients.pair_access import PairAccess
from kaa.errors import KaaError, UnreachableError
from kaa.failover.failover_plan import FlowFacts, GroupFacts, Limits, drop_stale, latest_checkpoints, reasons_not_ready
from kaa.mirror.mm2_records import Checkpoint, Heartbeat, RecordFormatError, decode_checkpoint, decode_heartbeat
from kaa.topology import naming
from kaa.topology.acls import mirror_groups
from kaa.topology.model import Topology


def now_ms() -> int:
    return int(time.time() * 1000)


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def group_topics(topology: Topology, group: str) -> list[str]:
    """The mirrored local topics `group` consumes, from the topology (MM2 checkpoints only those)."""
    topics = sorted({t.name for t in topology.mirrored_topics for c in t.consumers if c.group == group})
    if not topics:
        known = ", ".join(mirror_groups(topology)) or "none"
        raise KaaError(f"group {group!r} consumes no mirrored topic of stack {topology.name} (its groups: {known}); "
                       "declare it under topics.<name>.consumers so MM2 checkpoints it")
    return topics


def _admin(access: PairAccess, alias: str, timeout: float) -> KafkaAdmin:
    # quiet: a lost cluster is expected here, and every failure surfaces as an exception anyway
    return KafkaAdmin({**access[alias].kafka, "log_level": "0"}, alias, timeout)


@dataclass
class Side:
    """One cluster as seen now: its admin client and topics (None when it did not answer)."""

    alias: str
    settings: Mapping[str, str]
    admin: KafkaAdmin
    topics: dict[str, LiveTopic] | None
    error: str | None = None

    @classmethod
    def probe(cls, access: PairAccess, alias: str, timeout: float) -> Side:
        admin = _admin(access, alias, timeout)
        try:
            return cls(alias, access[alias].kafka, admin, admin.topics())
        except UnreachableError as exc:
            return cls(alias, access[alias].kafka, admin, None, str(exc))

    def require(self) -> dict[str, LiveTopic]:
        if self.topics is None:
            raise UnreachableError(self.error or f"Kafka cluster {self.alias} did not answer")
        return self.topics

    def partitions(self, names: Iterable[str]) -> dict[str, int]:
        live = self.require()
        return {n: live[n].partitions for n in names if n in live}


# --- reading MM2's records ------------------------------------------------------------------------------------

def read_checkpoints(side: Side, source: str, separator: str) -> tuple[list[Checkpoint], int | None]:
    """Every checkpoint of the flow source->side (log order) and the newest record's timestamp."""
    topic = naming.checkpoints_topic(source, separator)
    counts = side.partitions([topic])
    if not counts:
        return [], None
    records = kg.read_topic(side.admin, side.settings, topic, counts[topic], side.admin.timeout)
    out = []
    for r in records:
        if r.key is None or r.value is None:
            continue
        try:
            out.append(decode_checkpoint(r.key, r.value))
        except RecordFormatError as exc:
            raise KaaError(f"{topic} on {side.alias}, offset {r.offset}: {exc}") from None
    return out, max((r.timestamp_ms for r in records), default=None)


def newest_heartbeat(side: Side, source: str, separator: str) -> Heartbeat | None:
    """The newest heartbeat that travelled source -> side (`<source>.heartbeats` on side)."""
    topic = naming.remote_topic(source, "heartbeats", separator)
    counts = side.partitions([topic])
    if not counts:
        return None
    beats = []
    for r in kg.read_newest(side.admin, side.settings, topic, counts[topic], side.admin.timeout):
        if r.key is not None and r.value is not None:
            try:
                beats.append(decode_heartbeat(r.key, r.value))
            except RecordFormatError as exc:
                raise KaaError(f"{topic} on {side.alias}, offset {r.offset}: {exc}") from None
    return max(beats, key=lambda b: b.timestamp_ms, default=None)


def flow_lag(source: Side, target: Side, topics: Sequence[str], separator: str) -> dict[str, int]:
    """Records of each source topic not yet in its remote topic (end offsets, partition by partition)."""
    src_counts = source.partitions(topics)
    remotes = {t: naming.remote_topic(source.alias, t, separator) for t in src_counts}
    src_ends = kg.end_offsets(source.admin, src_counts)
    tgt_ends = kg.end_offsets(target.admin, target.partitions(remotes.values()))
    return {t: sum(max(0, src_ends[(t, p)] - tgt_ends.get((remotes[t], p), 0)) for p in range(n))
            for t, n in src_counts.items()}


def flow_status(topology: Topology, access: PairAccess, source: str, target: str,
                groups: Sequence[str] | None = None, timeout: float = 15.0, probe_timeout: float = 5.0) -> FlowFacts:
    sep = topology.mirror.separator
    facts = FlowFacts(source, target)
    tgt = Side.probe(access, target, timeout)
    if tgt.topics is None:
        facts.target_error = tgt.error
        return facts
    src = Side.probe(access, source, probe_timeout)
    facts.source_error = src.error
    if src.topics is not None:
        src.admin.timeout = timeout
    checkpoints, newest = read_checkpoints(tgt, source, sep)
    now = now_ms()
    facts.checkpoint_age_s = None if newest is None else max(0.0, (now - newest) / 1000)
    beat = newest_heartbeat(tgt, source, sep)
    if beat is not None:
        facts.heartbeat_at_ms = beat.timestamp_ms
        facts.heartbeat_age_s = max(0.0, (now - beat.timestamp_ms) / 1000)
    if src.topics is not None:
        facts.lag = flow_lag(src, tgt, [t.name for t in topology.mirrored_topics], sep)
    latest = latest_checkpoints(checkpoints)
    for group in groups if groups is not None else mirror_groups(topology):
        topics = group_topics(topology, group)
        remotes = {naming.remote_topic(source, t, sep) for t in topics}
        state, members = kg.group_state(tgt.admin, group)
        on_target = kg.committed(tgt.admin, group)
        cps = {k: v for k, v in latest.get(group, {}).items() if k[0] in remotes}
        on_source: dict[tuple[str, int], int] | None = None
        stale: list[str] = []
        if src.topics is not None:
            on_source = {k: v for k, v in kg.committed(src.admin, group).items() if k[0] in topics}
            cps, stale = drop_stale(cps, on_source, source, sep)
        facts.groups.append(GroupFacts(
            group=group,
            source_committed=on_source,
            checkpoints=cps,
            synced={k: v for k, v in on_target.items() if k[0] in remotes},
            target_state=state,
            target_members=members,
            stale=stale,
        ))
    return facts


@dataclass
class StatusReport:
    stack: str
    flows: list[FlowFacts]
    limits: Limits
    separator: str = "."

    def reasons(self, flow: FlowFacts) -> list[str]:
        return reasons_not_ready(flow, self.limits, self.separator)

    @property
    def exit_code(self) -> int:
        return 0 if all(not self.reasons(f) for f in self.flows) else 1

    def as_dict(self) -> dict[str, Any]:
        return {"stack": self.stack, "ready": self.exit_code == 0,
                "limits": {"max_lag": self.limits.max_lag, "max_age_s": self.limits.max_age_s},
                "flows": [flow_dict(f, self.reasons(f), self.separator) for f in self.flows]}


def flow_dict(flow: FlowFacts, reasons: list[str], separator: str) -> dict[str, Any]:
    return {
        "source": flow.source, "target": flow.target, "ready": not reasons, "reasons": reasons,
        "source_reachable": flow.source_error is None, "source_error": flow.source_error,
        "target_reachable": flow.target_error is None, "target_error": flow.target_error,
        "lag": flow.lag, "lag_total": None if flow.lag is None else sum(flow.lag.values()),
        "checkpoint_age_s": _round(flow.checkpoint_age_s), "heartbeat_age_s": _round(flow.heartbeat_age_s),
        "heartbeat_at": None if flow.heartbeat_at_ms is None else iso(flow.heartbeat_at_ms),
        "groups": [{
            "group": g.group, "target_state": g.target_state, "target_members": g.target_members,
            "checkpoints_behind": g.behind(separator), "stale_checkpoints": g.stale,
            "partitions": [{
                "topic": topic, "partition": p,
                "source_committed": None if g.source_committed is None else
                g.source_committed.get((topic.split(separator, 1)[1], p)),
                "checkpoint_upstream": cp.upstream_offset if (cp := g.checkpoints.get((topic, p))) else None,
                "checkpoint_downstream": cp.downstream_offset if cp else None,
                "synced": g.synced.get((topic, p)),
            } for topic, p in sorted(set(g.checkpoints) | set(g.synced) | _remote_keys(g, flow.source, separator))],
        } for g in flow.groups],
    }


def _remote_keys(group: GroupFacts, source: str, separator: str) -> set[tuple[str, int]]:
    return {(naming.remote_topic(source, t, separator), p) for t, p in (group.source_committed or {})}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def status(topology: Topology, access: PairAccess, flows: Sequence[tuple[str, str]] | None = None,
           groups: Sequence[str] | None = None, limits: Limits | None = None, timeout: float = 15.0,
           probe_timeout: float = 5.0) -> StatusReport:
    chosen = flows or topology.flows
    return StatusReport(topology.name, [flow_status(topology, access, s, t, groups, timeout, probe_timeout)
                                        for s, t in chosen], limits or Limits(), topology.mirror.separator)


# --- moving groups --------------------------------------------------------------------------------------------
