"""The drill test's own failover check (tests/integration/drill_check.py) on made-up logs: it must see a record
skipped after failover and a re-read larger than the translated offsets allow."""
from __future__ import annotations

from kaa.clients.kafka_groups import RawRecord
from tests.integration.drill_check import failover_check


def log(topic: str, events_by_partition: dict[int, list[str]]) -> list[RawRecord]:
    return [RawRecord(topic, p, o, 0, None, e.encode()) for p, events in events_by_partition.items()
            for o, e in enumerate(events)]


SOURCE = log("t", {0: [f"a{i}" for i in range(10)], 1: [f"b{i}" for i in range(5)]})
REMOTE = log("K1.t", {0: [f"a{i}" for i in range(10)], 1: [f"b{i}" for i in range(5)]})  # MM2's copy on the target
COMMITTED = {("t", 0): 6, ("t", 1): 5}


def check(translated: dict[int, int], checkpoint: dict[int, int], lag_max: int = 2):  # type: ignore[no-untyped-def]
    return failover_check(SOURCE, REMOTE, "t", "K1.t", COMMITTED, {("K1.t", p): o for p, o in translated.items()},
                          checkpoint, lag_max)


def test_a_failover_from_the_checkpoint_skips_nothing_and_rereads_within_the_bound() -> None:
    result = check({0: 4, 1: 5}, {0: 5, 1: 5})
    assert result.skipped == set()
    assert result.partitions[0] == {"committed": 6, "checkpoint": 5, "translated": 4, "reread": 2, "allowed": 3}
    assert result.partitions[1]["reread"] == 0 and result.over_bound == {}


def test_a_translated_offset_past_the_commit_skips_records() -> None:
    result = check({0: 8, 1: 5}, {0: 5, 1: 5})
    assert result.skipped == {"a6", "a7"} and result.partitions[0]["reread"] == 0


def test_records_mm2_copied_twice_are_counted_once() -> None:
    twice = log("K1.t", {0: [f"a{i}" for i in range(10)] + [f"a{i}" for i in range(3, 10)], 1: []})
    result = failover_check(SOURCE, twice, "t", "K1.t", COMMITTED, {("K1.t", 0): 10, ("K1.t", 1): 0}, {0: 6}, 0)
    assert result.skipped == set() and result.partitions[0]["reread"] == 3  # a3..a5, from the second copy


def test_a_translated_offset_far_behind_the_commit_rereads_too_much() -> None:
    result = check({0: 0, 1: 0}, {0: 5, 1: 5})
    assert result.skipped == set()
    assert result.over_bound == {0: {"committed": 6, "checkpoint": 5, "translated": 0, "reread": 6, "allowed": 3},
                                 1: {"committed": 5, "checkpoint": 5, "translated": 0, "reread": 5, "allowed": 2}}


def test_no_commit_on_the_source_means_everything_must_be_read() -> None:
    result = failover_check(SOURCE, REMOTE, "t", "K1.t", {}, {("K1.t", 0): 1, ("K1.t", 1): 0}, {}, 2)
    assert result.skipped == {"a0"}
