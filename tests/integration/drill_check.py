"""The failover drill's independent check, as a pure function over what the test read from the clusters (so the
check itself is unit-tested: tests/unit/test_drill_check.py)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kaa.clients.kafka_groups import RawRecord


@dataclass(frozen=True)
class FailoverCheck:
    skipped: set[str]  # records the group had not committed on the source and does not read on the target
    partitions: dict[int, dict[str, Any]]  # per partition: positions, records read again, how many allowed

    @property
    def over_bound(self) -> dict[int, dict[str, Any]]:
        return {p: f for p, f in self.partitions.items() if not 0 <= f["reread"] <= f["allowed"]}


def failover_check(source_log: Sequence[RawRecord], remote_log: Sequence[RawRecord], topic: str, remote: str,
                   committed: Mapping[tuple[str, int], int], translated: Mapping[tuple[str, int], int],
                   checkpoint_upstream: Mapping[int, int], offset_lag_max: int) -> FailoverCheck:
    """`committed`: the group's offsets on the source at the cut; `translated`: its offsets on the target after
    the failover; `checkpoint_upstream`: per partition, the source offset of MM2's newest checkpoint of the group.
    A record at or past the group's commit must be read on the target (from the translated offset on); a record
    before it may be read again only as far as the checkpoint lagged behind the commit plus MM2's translation
    granularity (offset.lag.max)."""
    value = {(r.partition, r.offset): bytes(r.value or b"").decode() for r in source_log}
    pending = {e for (p, o), e in value.items() if o >= committed.get((topic, p), 0)}
    done: dict[int, set[str]] = defaultdict(set)
    for (p, o), e in value.items():
        if o < committed.get((topic, p), 0):
            done[p].add(e)
    read: dict[int, set[str]] = defaultdict(set)
    for r in remote_log:
        if r.offset >= translated.get((remote, r.partition), 0):
            read[r.partition].add(bytes(r.value or b"").decode())
    partitions = {}
    for p in sorted({p for p, _ in value} | set(read)):
        commit = committed.get((topic, p), 0)
        partitions[p] = {"committed": commit, "checkpoint": checkpoint_upstream.get(p),
                         "translated": translated.get((remote, p)), "reread": len(read[p] & done[p]),
                         "allowed": commit - checkpoint_upstream.get(p, 0) + offset_lag_max}
    return FailoverCheck(pending - set().union(set(), *read.values()), partitions)
