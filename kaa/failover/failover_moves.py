"""Failover and failback of consumer groups between the two clusters, through the toolkit's own clients.

`failover` moves groups from a lost cluster to the other; `failback` moves them home. What they read is in
`failover_status.py`, the decisions themselves are plain functions in `failover_plan.py`.
"""
from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaa.clients import kafka_groups as kg
from kaa.clients.kafka_admin import KafkaAdmin
from kaa.clients.pair_access import PairAccess
from kaa.errors import KaaError
from kaa.failover.failover_plan import (
    BY_TIME,
    OWN,
    PartitionPlan,
    drop_stale,
    latest_checkpoints,
    local_positions,
    remote_positions,
    seek_forward,
    subscription,
)
from kaa.failover.failover_status import (
    Side,
    flow_lag,
    group_topics,
    iso,
    newest_heartbeat,
    now_ms,
    read_checkpoints,
)
from kaa.mirror.mm2_records import Checkpoint
from kaa.polling import poll
from kaa.topology import naming
from kaa.topology.model import Topology

DEFAULT_MARGIN_S = 60.0


class FailoverRefused(KaaError):
    """A safety check said no (the source still answers, a group is active): exit 1, nothing changed."""

    exit_code = 1


@dataclass
class GroupMove:
    group: str
    subscription: str
    plans: list[PartitionPlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"group": self.group, "subscription": self.subscription, "notes": self.notes,
                "positions": [p.as_dict() for p in self.plans]}


@dataclass
class MoveResult:
    kind: str  # failover | failback
    stack: str
    source: str
    target: str
    at_ms: int
    forced: bool
    source_state: str  # why the move was allowed: "unreachable: ..." | "reachable (forced)" | "reachable"
    groups: list[GroupMove]
    client_settings: dict[str, Any]
    explanation: list[str]
    record_file: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "stack": self.stack, "from": self.source, "to": self.target,
                "at_ms": self.at_ms, "at": iso(self.at_ms), "forced": self.forced, "source_state": self.source_state,
                "groups": [g.as_dict() for g in self.groups], "client_settings": self.client_settings,
                "explanation": self.explanation, "record_file": self.record_file, **self.details}


def client_settings(topology: Topology, alias: str, other: str, groups: Mapping[str, list[str]]) -> dict[str, Any]:
    """What applications switch to: the cluster's bootstrap and security (credentials stay theirs), each
    group's subscription, and the topics producers write (always the local name, never `<alias>.<topic>`)."""
    cluster = topology.cluster(alias)
    common: dict[str, Any] = {"bootstrap.servers": cluster.bootstrap, "security.protocol": cluster.security.protocol}
    if cluster.security.uses_sasl:
        common["sasl.mechanism"] = cluster.security.sasl_mechanism or "SCRAM-SHA-512"
    sep = topology.mirror.separator
    return {
        "cluster": alias,
        **common,
        "consumers": {g: {"group.id": g, "subscribe": subscription(other, topics, sep)}
                      for g, topics in groups.items()},
        "producers": {"topics": sorted({t for topics in groups.values() for t in topics}),
                      "never": sorted({naming.remote_topic(other, t, sep) for ts in groups.values() for t in ts})},
    }


def _check_empty(admin: KafkaAdmin, group: str, alias: str, why: str) -> None:
    state, members = kg.group_state(admin, group)
    if members:
        raise FailoverRefused(f"group {group} has {members} active member(s) on {alias} ({state}): {why}; stop those "
                              "consumers first")


def _apply(admin: KafkaAdmin, group: str, plans: list[PartitionPlan]) -> None:
    kg.commit(admin, group, {(p.topic, p.partition): p.after for p in plans if p.commits and p.after is not None})


def failover(topology: Topology, access: PairAccess, source: str, target: str, groups: Sequence[str],
             force: bool = False, since_ms: int | None = None, margin_s: float = DEFAULT_MARGIN_S,
             probe_timeout: float = 5.0, timeout: float = 15.0, dry_run: bool = False) -> MoveResult:
    """Move `groups` from `source` (lost) to `target`: positions on `<source>.<topic>` from MM2's translation,
    on the target's own topics from the group's own offsets or from a time; nothing is committed on a refusal."""
    sep = topology.mirror.separator
    topics_of = {g: group_topics(topology, g) for g in groups}
    src = Side.probe(access, source, probe_timeout)
    if src.topics is not None and not force:
        raise FailoverRefused(f"{source} still answers: moving consumers off a live cluster splits them; stop or "
                              f"fence {source} first, or pass --force for a planned failover")
    source_state = "reachable (forced)" if src.topics is not None else "unreachable"
    tgt = Side.probe(access, target, timeout)
    tgt.require()
    for group in groups:
        _check_empty(tgt.admin, group, target, "MM2 could not have synced its offsets and the broker refuses new ones")
    checkpoints, _ = read_checkpoints(tgt, source, sep)
    latest = latest_checkpoints(checkpoints)
    beat = newest_heartbeat(tgt, source, sep)
    at = now_ms()
    since_why = "--since"
    if since_ms is None:
        since_ms = int((beat.timestamp_ms if beat else at) - margin_s * 1000)
        since_why = f"{'the last heartbeat from ' + source if beat else 'now'} minus {margin_s:.0f} s"
    moves = []
    for group in groups:
        topics = topics_of[group]
        remotes = {naming.remote_topic(source, t, sep): t for t in topics}
        ends = kg.end_offsets(tgt.admin, tgt.partitions(remotes))
        remote_ends = {r: [ends[(r, p)] for p in range(n)] for r, n in tgt.partitions(remotes).items()}
        on_target = kg.committed(tgt.admin, group)
        checkpoints_of = latest.get(group, {})
        stale: list[str] = []
        if src.topics is not None:
            on_source = {k: v for k, v in kg.committed(src.admin, group).items() if k[0] in topics}
            checkpoints_of, stale = drop_stale(checkpoints_of, on_source, source, sep)
        plans = remote_positions(remote_ends, {k: v for k, v in on_target.items() if k[0] in remotes},
                                 checkpoints_of)
        local_counts = tgt.partitions(topics)
        by_time = kg.offsets_for_time(tgt.admin, local_counts, since_ms)
        plans += local_positions({k: v for k, v in on_target.items() if k[0] in topics}, by_time, iso(since_ms))
        move = GroupMove(group, subscription(source, topics, sep), plans, stale)
        move.notes += [f"{r} does not exist on {target}: nothing of {t} was replicated" for r, t in remotes.items()
                       if r not in remote_ends]
        if not dry_run:
            _apply(tgt.admin, group, plans)
        moves.append(move)
    explanation = [
        f"Consumers: connect to {target} and subscribe to the regex above: {source}'s records replicated so far "
        f"(<{source}{sep}topic>) from MM2's translated offsets, then {target}'s own topic.",
        f"Producers: write the local topic names on {target}, never <{source}{sep}topic>.",
        f"Duplicates: translated offsets never run ahead (the offset sync at or before the commit, one every "
        f"{topology.mirror.offset_lag_max} records; the checkpoint interval), so records are read again; a group "
        f"without its own offsets on {target}'s topic starts at {iso(since_ms)} ({since_why}).",
        f"RPO: records {source} acknowledged but MM2 had not copied are not on {target}; if {source}'s log "
        f"survives, MM2 appends them to <{source}{sep}topic> late once {source} is back: keep the subscription.",
    ]
    return MoveResult("failover", topology.name, source, target, at, force, source_state, moves,
                      client_settings(topology, target, source, topics_of), explanation,
                      details={"since_ms": since_ms, "since": iso(since_ms), "dry_run": dry_run,
                               "source_error": src.error,
                               "last_heartbeat_from_source": iso(beat.timestamp_ms) if beat else None})


def _wait_checkpoints(tgt: Side, source: str, sep: str, group: str, committed_src: Mapping[tuple[str, int], int],
                      wait_s: float, settle_s: float) -> tuple[dict[tuple[str, int], Checkpoint], int]:
    """Wait until the source->tgt checkpoints reflect `group`'s last commits on the source; return the newest
    checkpoints and the records between their upstream offsets and those commits.

    MM2 writes a checkpoint only when the translated offset moves, so a commit that translates to the same
    nearest offset sync never shows: after `settle_s` seconds without a new checkpoint (two checkpoint
    intervals) the ones there are final. Never longer than `wait_s`."""
    settled_at = time.monotonic() + settle_s
    previous: dict[tuple[str, int], Checkpoint] | None = None

    def observe() -> tuple[dict[tuple[str, int], Checkpoint], int]:
        nonlocal settled_at, previous
        checkpoints, _ = read_checkpoints(tgt, source, sep)
        latest = latest_checkpoints(checkpoints, group).get(group, {})
        behind = 0
        for (topic, p), offset in committed_src.items():
            cp = latest.get((naming.remote_topic(source, topic, sep), p))
            behind += offset - cp.upstream_offset if cp and cp.upstream_offset <= offset else offset
        if latest != previous:
            settled_at = time.monotonic() + settle_s
            previous = latest
        return latest, behind

    return poll(observe, lambda seen: seen[1] == 0 or time.monotonic() >= settled_at, wait_s, 1.0)


def failback(topology: Topology, access: PairAccess, source: str, target: str, groups: Sequence[str],
             seek_by_time: bool = False, since_ms: int | None = None, failover_record: Mapping[str, Any] | None = None,
             wait_s: float = 60.0, force: bool = False, timeout: float = 15.0, dry_run: bool = False) -> MoveResult:
    """Move `groups` from `source` (where they ran during the outage) back to `target` (the recovered cluster).

    MM2 does not translate back: `<source>.<topic>` on the target gets the source->target checkpoints (the
    group's progress on the source's own topic); the target's own topic keeps the group's pre-failure offsets,
    or with `seek_by_time` moves forward to the failover time, skipping what the group read as
    `<target>.<topic>` on the source."""
    sep = topology.mirror.separator
    topics_of = {g: group_topics(topology, g) for g in groups}
    src, tgt = Side.probe(access, source, timeout), Side.probe(access, target, timeout)
    src.require()
    tgt.require()
    if failover_record is not None and since_ms is None:
        if (failover_record.get("from"), failover_record.get("to")) != (target, source):
            raise KaaError(f"the failover record is of {failover_record.get('from')}->{failover_record.get('to')}, "
                           f"not {target}->{source}; pass the right --record or --since")
        since_ms = int(failover_record["at_ms"])
    if seek_by_time and since_ms is None:
        raise KaaError("--seek-by-time needs the failover time: pass --record FILE of `kaa failover run` or --since")
    for group in groups:
        _check_empty(tgt.admin, group, target, "the broker refuses new offsets for an active group")
        if not force:
            _check_empty(src.admin, group, source, f"it still consumes on {source} and would keep moving there")
    at = now_ms()
    moves = []
    reread_total = 0
    for group in groups:
        topics = topics_of[group]
        move = GroupMove(group, subscription(source, topics, sep))
        on_source = kg.committed(src.admin, group)
        own_on_source = {k: v for k, v in on_source.items() if k[0] in topics}
        latest, behind = _wait_checkpoints(tgt, source, sep, group, own_on_source, wait_s,
                                           2.0 * topology.mirror.emit_checkpoints_interval_seconds + 1.0)
        latest, stale = drop_stale(latest, own_on_source, source, sep)
        move.notes += stale
        if behind:
            move.notes.append(f"the newest {source}->{target} checkpoints are {behind} record(s) behind the group's "
                              f"last commits on {source} (rounded down to an offset sync, or not yet written): "
                              "those are read again")
        remotes = {naming.remote_topic(source, t, sep) for t in topics}
        counts = tgt.partitions(remotes)
        ends = kg.end_offsets(tgt.admin, counts)
        on_target = kg.committed(tgt.admin, group)
        move.plans = remote_positions({r: [ends[(r, p)] for p in range(n)] for r, n in counts.items()},
                                      {k: v for k, v in on_target.items() if k[0] in remotes}, latest)
        local_counts = tgt.partitions(topics)
        current = {k: v for k, v in on_target.items() if k[0] in topics}
        at_failover = kg.offsets_for_time(tgt.admin, local_counts, since_ms) if since_ms is not None else {}
        reread = sum(max(0, at_failover[k] - v) for k, v in current.items() if k in at_failover)
        reread_total += reread
        if seek_by_time:
            assert since_ms is not None
            unread = _unread_on_source(src, tgt, group, topics, on_source, sep)
            if unread and not force:
                raise FailoverRefused(f"group {group} has not read everything of {target}'s topics on {source} "
                                      f"({unread}): seeking by time would skip those records; let it finish, "
                                      "or pass --force")
            move.plans += seek_forward(current, at_failover, iso(since_ms))
        else:
            move.plans += [PartitionPlan(t, p, o, o, OWN) for (t, p), o in sorted(current.items())]
            if reread:
                move.notes.append(f"{reread} record(s) of {', '.join(topics)} before the failover time are read "
                                  f"again on {target} (the group read them on {source} as "
                                  f"{target}{sep}<topic>); --seek-by-time skips them")
        if not dry_run:
            _apply(tgt.admin, group, move.plans)
        moves.append(move)
    skipped = sum((p.after or 0) - (p.before or 0) for m in moves for p in m.plans if p.source == BY_TIME)
    explanation = [
        f"Consumers: connect to {target} and subscribe to the regex above; producers write the local topic names "
        f"on {target} again.",
        f"MM2 does not translate back: positions on {source}{sep}<topic> come from the {source}->{target} "
        f"checkpoints of the group's progress on {source}, rounded down to an offset sync: a few records per "
        "partition are read again.",
        (f"Seek by time: {target}'s own topics moved forward to the failover time {iso(since_ms or at)} "
         f"({skipped} record(s) skipped, all read on {source} as {target}{sep}<topic>)." if seek_by_time else
         f"{target}'s own topics: the group resumes from its offsets from before the failover and reads again what "
         f"it read on {source} as {target}{sep}<topic> ({reread_total} record(s)); use --seek-by-time to skip "
         "them, or make consumers idempotent (e.g. de-duplicate on an event id)."),
    ]
    return MoveResult("failback", topology.name, source, target, at, force, "reachable", moves,
                      client_settings(topology, target, source, topics_of), explanation,
                      details={"since_ms": since_ms, "seek_by_time": seek_by_time, "dry_run": dry_run,
                               "reread_without_seek": reread_total})


def _unread_on_source(src: Side, tgt: Side, group: str, topics: Sequence[str],
                      on_source: Mapping[tuple[str, int], int], sep: str) -> str:
    """What of the target's topics the group has not read yet on the source (as `<target>.<topic>`), and what
    the target->source flow has not replicated yet; empty when both are done."""
    lag = flow_lag(tgt, src, topics, sep)
    remotes = {naming.remote_topic(tgt.alias, t, sep) for t in topics}
    ends = kg.end_offsets(src.admin, src.partitions(remotes))
    behind = sum(max(0, end - on_source.get(k, 0)) for k, end in ends.items())
    parts = []
    if sum(lag.values()):
        parts.append(f"{sum(lag.values())} record(s) not yet replicated {tgt.alias}->{src.alias}")
    if behind:
        parts.append(f"{behind} record(s) of {', '.join(sorted(remotes))} not yet consumed")
    return "; ".join(parts)


# --- the record of what was done ------------------------------------------------------------------------------

def default_record_file(stack: str) -> Path:
    from kaa.local.runtime import default_state_dir
    return default_state_dir() / "failover" / f"{stack}.json"


def write_record(path: Path, result: MoveResult) -> None:
    """`failover` starts the file; `failback` adds itself to it, so the pair of moves stays together."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {}
    if result.kind == "failback" and path.exists():
        doc = read_record(path) or {}
    doc[result.kind] = {**result.as_dict(), "record_file": str(path)}
    if result.kind == "failover":
        doc.pop("failback", None)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
    result.record_file = str(path)


def read_record(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise KaaError(f"{path}: not a failover record ({exc})") from None
    if not isinstance(doc, dict):
        raise KaaError(f"{path}: not a failover record (a JSON object is expected)")
    return doc
