"""Failover decisions as plain data: which offsets a group gets on the other cluster, the subscription it
switches to, and whether a flow is ready. No client here: `failover_status.py` reads the pair and
`failover_moves.py` applies the plan.

The rules (MM2 translates a group's offsets one way only, source to target):
- on the target, a group's position on a remote topic (`K1.orders` on K2) comes from MM2: the offsets
  `sync.group.offsets` committed there, or the newest checkpoint when that is further on. Only forward: a
  position is never moved back behind what MM2 (or the group itself) committed;
- a position on the target's own topic (`orders` on K2) has no translation (MM2 does not translate back): it is
  the group's own committed offset there, else the first offset at or after a point in time;
- a checkpoint that points past the end of its remote partition belongs to an older incarnation of the topic
  and is ignored.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kaa.mirror.mm2_records import Checkpoint

TopicPartitionKey = tuple[str, int]

# Where a planned position comes from.
COMMITTED = "committed"  # already committed on the target (by MM2's sync.group.offsets, or the group), kept
CHECKPOINT = "checkpoint"  # the newest checkpoint, ahead of what MM2 synced: committed by us
OWN = "own"  # the group's own committed offset on the target's local topic, kept
BY_TIME = "by-time"  # no offset of its own: the first record at or after a time
NONE = "none"  # nothing to go by: the consumer's auto.offset.reset decides


@dataclass(frozen=True)
class PartitionPlan:
    topic: str
    partition: int
    before: int | None  # the group's committed offset on the target now
    after: int | None  # where it will be (None: unset)
    source: str
    note: str = ""

    @property
    def commits(self) -> bool:
        return self.after is not None and self.after != self.before

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"topic": self.topic, "partition": self.partition, "before": self.before,
                                  "after": self.after, "source": self.source}
        if self.note:
            out["note"] = self.note
        return out


def latest_checkpoints(records: Iterable[Checkpoint], group: str | None = None,
                       ) -> dict[str, dict[TopicPartitionKey, Checkpoint]]:
    """The newest checkpoint per group and remote partition; `records` in log order (the newest wins)."""
    out: dict[str, dict[TopicPartitionKey, Checkpoint]] = {}
    for cp in records:
        if group is None or cp.group == group:
            out.setdefault(cp.group, {})[(cp.topic, cp.partition)] = cp
    return out


def drop_stale(checkpoints: Mapping[TopicPartitionKey, Checkpoint], source_committed: Mapping[TopicPartitionKey, int],
               source_alias: str, separator: str = ".") -> tuple[dict[TopicPartitionKey, Checkpoint], list[str]]:
    """Checkpoints that can describe the group's current offsets on the source (whose committed offsets are
    known): one ahead of the committed offset, or for a partition with none, comes from an older incarnation
    of the topic or group (a compacted checkpoints topic keeps them) and would skip records."""
    kept, dropped = {}, []
    prefix = f"{source_alias}{separator}"
    for (remote, partition), cp in checkpoints.items():
        committed = source_committed.get((remote[len(prefix):] if remote.startswith(prefix) else remote, partition))
        if committed is None or cp.upstream_offset > committed:
            dropped.append(f"{remote}[{partition}]: checkpoint of upstream offset {cp.upstream_offset} is ahead of "
                           f"the group's committed {committed if committed is not None else '(none)'}: stale, ignored")
        else:
            kept[(remote, partition)] = cp
    return kept, dropped


def remote_positions(remote_ends: Mapping[str, Sequence[int]], synced: Mapping[TopicPartitionKey, int],
                     checkpoints: Mapping[TopicPartitionKey, Checkpoint]) -> list[PartitionPlan]:
    """Positions on the target's remote topics (`remote_ends`: end offset per partition of each)."""
    plans = []
    for topic in sorted(remote_ends):
        for partition, end in enumerate(remote_ends[topic]):
            have = synced.get((topic, partition))
            cp = checkpoints.get((topic, partition))
            note = ""
            if cp is not None and cp.downstream_offset > end:
                note = f"checkpoint {cp.downstream_offset} is past the end ({end}): stale, ignored"
                cp = None
            if cp is not None and (have is None or cp.downstream_offset > have):
                plans.append(PartitionPlan(topic, partition, have, cp.downstream_offset, CHECKPOINT,
                                           f"upstream offset {cp.upstream_offset}"))
            elif have is not None:
                plans.append(PartitionPlan(topic, partition, have, have, COMMITTED, note))
            else:
                plans.append(PartitionPlan(topic, partition, None, None, NONE,
                                           note or "no checkpoint: the consumer's auto.offset.reset decides"))
    return plans


def local_positions(own: Mapping[TopicPartitionKey, int], by_time: Mapping[TopicPartitionKey, int],
                    at: str) -> list[PartitionPlan]:
    """Positions on the target's own topics: the group's own offsets, else the offsets at time `at`."""
    plans = []
    for (topic, partition) in sorted(set(own) | set(by_time)):
        have = own.get((topic, partition))
        if have is not None:
            plans.append(PartitionPlan(topic, partition, have, have, OWN))
        else:
            plans.append(PartitionPlan(topic, partition, None, by_time[(topic, partition)], BY_TIME,
                                       f"first record at or after {at}"))
    return plans


def seek_forward(current: Mapping[TopicPartitionKey, int], by_time: Mapping[TopicPartitionKey, int],
                 at: str) -> list[PartitionPlan]:
    """Failback's seek by time: move each position to the offset at time `at`, never backwards."""
    plans = []
    for (topic, partition) in sorted(set(current) | set(by_time)):
        have = current.get((topic, partition))
        target = by_time.get((topic, partition))
        if target is not None and (have is None or target > have):
            plans.append(PartitionPlan(topic, partition, have, target, BY_TIME, f"first record at or after {at}"))
        else:
            plans.append(PartitionPlan(topic, partition, have, have, OWN if have is not None else NONE))
    return plans


def subscription(source_alias: str, topics: Iterable[str], separator: str = ".") -> str:
    """The regex a consumer subscribes to after moving: the target's own topic and the source's remote copy."""
    names = sorted(set(topics))
    alternatives = "|".join(_escape(t) for t in names)
    body = alternatives if len(names) == 1 else f"({alternatives})"
    return f"^({_escape(source_alias + separator)})?{body}$"


def _escape(name: str) -> str:
    """Topic names and aliases hold letters, digits, `.`, `_` and `-`: only `.` means something in a regex."""
    return re.sub(r"([.^$*+?{}\[\]\\|()])", r"\\\1", name)


@dataclass(frozen=True)
class Limits:
    max_lag: int = 1000  # records a flow may be behind and still count as ready
    max_age_s: float = 60.0  # how old the newest heartbeat may be


@dataclass
class GroupFacts:
    """One group of a flow source->target: what it committed on the source and what the target offers."""

    group: str
    source_committed: dict[TopicPartitionKey, int] | None  # on the source topics; None: source unreachable
    checkpoints: dict[TopicPartitionKey, Checkpoint] = field(default_factory=dict)  # keyed by remote topic
    synced: dict[TopicPartitionKey, int] = field(default_factory=dict)  # committed on the target's remote topics
    target_state: str = "UNKNOWN"
    target_members: int = 0
    stale: list[str] = field(default_factory=list)  # checkpoints ignored (see `drop_stale`)

    def untranslated(self, source_alias: str, separator: str = ".") -> list[str]:
        """Source partitions the group committed that have neither a checkpoint nor a synced offset."""
        if not self.source_committed:
            return []
        missing = []
        for (topic, partition) in sorted(self.source_committed):
            remote = (f"{source_alias}{separator}{topic}", partition)
            if remote not in self.checkpoints and remote not in self.synced:
                missing.append(f"{topic}[{partition}]")
        return missing

    def behind(self, separator: str = ".") -> int:
        """Records committed on the source that the newest checkpoints do not cover yet."""
        if not self.source_committed:
            return 0
        total = 0
        for (remote, partition), cp in self.checkpoints.items():
            topic = remote.split(separator, 1)[1]
            total += max(0, self.source_committed.get((topic, partition), cp.upstream_offset) - cp.upstream_offset)
        return total


@dataclass
class FlowFacts:
    source: str
    target: str
    source_error: str | None = None
    target_error: str | None = None
    lag: dict[str, int] | None = None  # records per source topic not yet in its remote topic
    checkpoint_age_s: float | None = None
    heartbeat_age_s: float | None = None
    heartbeat_at_ms: int | None = None
    groups: list[GroupFacts] = field(default_factory=list)


def reasons_not_ready(flow: FlowFacts, limits: Limits, separator: str = ".") -> list[str]:
    """Why consumers of `flow.source` could not move to `flow.target` now; empty means ready."""
    out = []
    if flow.target_error:
        return [f"{flow.target} unreachable: {flow.target_error}"]
    if flow.heartbeat_age_s is None:
        out.append(f"no heartbeat from {flow.source} has reached {flow.target} ({flow.source}.heartbeats is empty)")
    elif flow.source_error is None and flow.heartbeat_age_s > limits.max_age_s:
        out.append(f"the newest heartbeat from {flow.source} is {flow.heartbeat_age_s:.0f} s old "
                   f"(> {limits.max_age_s:.0f} s): the {flow.source}->{flow.target} flow is not replicating")
    if flow.lag is not None:
        total = sum(flow.lag.values())
        if total > limits.max_lag:
            worst = max(flow.lag, key=lambda t: flow.lag[t] if flow.lag else 0)
            out.append(f"replication lag {total} records (> {limits.max_lag}; most on {worst}: {flow.lag[worst]})")
    for group in flow.groups:
        missing = group.untranslated(flow.source, separator)
        if missing:
            out.append(f"group {group.group}: no translated offset on {flow.target} for {', '.join(missing)}")
        if group.target_members:
            out.append(f"group {group.group} has {group.target_members} active member(s) on {flow.target}: "
                       "MM2 cannot sync into it and a failover cannot set its offsets")
    return out
