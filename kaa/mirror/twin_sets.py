"""The topics MM2 makes on one cluster, held as two Pulumi resources per cluster instead of one per twin: which
topics they hold and which each one removes at each step of its life.

A cluster's **guard** comes before the connectors (they depend on it): Pulumi creates it first and, on destroy,
deletes it after them, so its delete removes every twin and MM2 topic once MM2 has stopped. Its update removes
nothing: it runs before the connectors' update, while they may still copy a dropped topic.
A cluster's **reaper** comes after the connectors (it depends on them): its update runs once they stopped copying
a dropped topic, so it removes the twins dropped from the spec. Its delete runs before the connectors go (destroy)
and removes what it holds too; the caller keeps whatever a live MM2 connector still uses, so on destroy that is
only what no connector copies any more (a dropped twin an earlier failed update left behind).

Pure: the provider decides nothing else, and every removal still goes through `kept_by` (kaa/leftover_removal.py).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from kaa.mirror.mm2_leftovers import Leftover, mm2_topics, twins
from kaa.topology.model import Topology

Role = Literal["guard", "reaper"]
Step = Literal["create", "update", "delete"]


def held_on(topology: Topology, alias: str) -> tuple[Leftover, ...]:
    """What a cluster's guard and reaper hold: the twins of the flow into `alias`, then MM2's own topics there."""
    return twins(topology, topology.other(alias).alias, alias) + mm2_topics(topology, alias)


def dropped(olds: Sequence[Leftover], news: Sequence[Leftover]) -> list[Leftover]:
    """Those of `olds` no longer in `news` (by name and cluster), in their old order."""
    kept = {(t.cluster, t.name) for t in news}
    return [t for t in olds if (t.cluster, t.name) not in kept]


def to_remove(role: Role, step: Step, olds: Sequence[Leftover], news: Sequence[Leftover] = ()) -> list[Leftover]:
    """What `role`'s provider removes at `step` (`olds`: its state before the step, `news`: its inputs after)."""
    if step == "delete":
        return list(olds)
    if step == "update" and role == "reaper":
        return dropped(olds, news)
    return []  # create (MM2 makes the topics), and the guard's update (the connectors may still copy them)
