"""What MM2 leaves on a cluster that is no Pulumi resource: the remote twins of mirrored topics (`K1.orders` on K2)
and MM2's own topics (`heartbeats`, `K1.heartbeats`, `K1.checkpoints.internal`, `mm2-offset-syncs.K2.internal`).

Pure: which topics a stack's flows leave where, and whether a live MM2 connector still writes or reads one (then
it is not left over and must not be deleted: MM2 would recreate it, or another deployment still needs it).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kaa.mirror.mm2_settings import CONNECTOR_CLASSES
from kaa.topology import naming
from kaa.topology.model import Topology

HEARTBEATS = "heartbeats"
MIRROR_CLASSES = frozenset(CONNECTOR_CLASSES.values())
SOURCE_CLASS = CONNECTOR_CLASSES["source"]


@dataclass(frozen=True)
class Leftover:
    """A topic on `cluster` that MM2 (not Pulumi) creates for the flow `source`->`target`.

    `copies` is the source topic a twin mirrors (None for MM2's own topics); `source` is None for `heartbeats`,
    which every MM2 deployment on the cluster shares."""

    name: str
    cluster: str
    source: str | None
    target: str | None
    copies: str | None = None

    def to_props(self) -> dict[str, str | None]:
        return {"name": self.name, "cluster": self.cluster, "source": self.source, "target": self.target,
                "copies": self.copies}

    @classmethod
    def from_props(cls, props: Mapping[str, str | None]) -> Leftover:
        return cls(str(props["name"]), str(props["cluster"]), props.get("source"), props.get("target"),
                   props.get("copies"))


def twins(topology: Topology, source: str, target: str) -> tuple[Leftover, ...]:
    """The remote topics the flow source->target creates on target, one per mirrored topic."""
    sep = topology.mirror.separator
    return tuple(Leftover(naming.remote_topic(source, t.name, sep), target, source, target, t.name)
                 for t in topology.mirrored_topics)


def mm2_topics(topology: Topology, alias: str) -> tuple[Leftover, ...]:
    """MM2's own topics on `alias`: its heartbeats, the mirror of the other side's, the checkpoints of the flow
    into it and the offset syncs of the flow out of it (`offset-syncs.topic.location: source`)."""
    other = topology.other(alias).alias
    sep = topology.mirror.separator
    return (
        Leftover(HEARTBEATS, alias, None, None),
        Leftover(naming.remote_topic(other, HEARTBEATS, sep), alias, other, alias, HEARTBEATS),
        Leftover(naming.checkpoints_topic(other, sep), alias, other, alias),
        Leftover(naming.offset_syncs_topic(other), alias, alias, other),
    )


def _patterns(value: str | None) -> list[re.Pattern[str]]:
    return [re.compile(p.strip()) for p in (value or "").split(",") if p.strip()]


def copies_topic(config: Mapping[str, str], topic: str) -> bool:
    """Whether a MirrorSourceConnector with `config` replicates `topic` (Kafka's DefaultTopicFilter: `topics` and
    `topics.exclude` are comma-separated regexes matched against the whole name; heartbeats always go)."""
    if topic == HEARTBEATS:
        return True
    included = any(p.fullmatch(topic) for p in _patterns(config.get("topics", ".*")))
    return included and not any(p.fullmatch(topic) for p in _patterns(config.get("topics.exclude")))


def kept_by(leftover: Leftover, connectors: Mapping[str, Mapping[str, str]]) -> str | None:
    """The name of a live MM2 connector (name -> config, from any Connect worker of the pair) that still writes or
    reads `leftover`, or None when nothing does and it can be deleted."""
    for name, config in sorted(connectors.items()):
        if config.get("connector.class") not in MIRROR_CLASSES:
            continue
        if leftover.source is None:
            return name  # heartbeats: any MM2 flow on the pair may write or read them
        if (config.get("source.cluster.alias"), config.get("target.cluster.alias")) != (leftover.source,
                                                                                       leftover.target):
            continue
        if leftover.copies is None:
            return name
        if config.get("connector.class") == SOURCE_CLASS and copies_topic(config, leftover.copies):
            return name
    return None


def orphans(topology: Topology, live: Mapping[str, Iterable[str]], connectors: Mapping[str, Mapping[str, str]],
            scope: re.Pattern[str] | None = None) -> tuple[list[Leftover], list[tuple[Leftover, str]]]:
    """What of MM2's is left on the pair and nothing needs: `live` is each alias's topic names. Returns the
    deletable leftovers and those a live connector keeps (with its name).

    A twin `<other>.<topic>` is left over when the spec does not mirror `topic` or `topic` is gone from `other`;
    MM2's own topics when no connector runs their flow (with MM2 outside Connect no flow is visible: only twins).
    `scope` keeps only twins whose local name it matches (clusters shared by several stacks)."""
    sep = topology.mirror.separator
    topics = {alias: set(names) for alias, names in live.items()}
    mirrored = {t.name for t in topology.mirrored_topics}
    candidates: list[Leftover] = []
    for alias in topology.aliases:
        other = topology.other(alias).alias
        prefix = f"{other}{sep}"
        for name in sorted(topics.get(alias, ())):
            local = name[len(prefix):]
            if not name.startswith(prefix) or naming.reserved_reason(local) \
                    or naming.remote_prefix_alias(local, topology.aliases, sep):
                continue  # not a twin of a topic: MM2's own topics, or a cycle topic drift reports itself
            if scope is not None and not scope.fullmatch(local):
                continue
            if local not in mirrored or local not in topics.get(other, set()):
                candidates.append(Leftover(name, alias, other, alias, local))
        if topology.mirror.runtime == "connect":
            candidates += [m for m in mm2_topics(topology, alias) if m.name in topics.get(alias, set())]
    free, kept = [], []
    for leftover in candidates:
        keeper = kept_by(leftover, connectors)
        if keeper is None:
            free.append(leftover)
        else:
            kept.append((leftover, keeper))
    return free, kept
