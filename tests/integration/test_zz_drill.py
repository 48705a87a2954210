"""The failover drill on the real pair: K1's broker is killed, the group fails over to K2 and back, nothing
acknowledged is lost.

The drill reports its own figures from its own clients; this test checks them with reads of its own (plain
consumers and the admin API, none of the drill's clients), at three stages the drill stops at:
- failover: the group's positions MM2's translation gave it on K2, and MM2's newest checkpoints there;
- failback: K1 is back, and the group's positions on K1 are still those of the cut;
- end: every log, before the drill removes its topology.
From those: what the producers really wrote (end offsets and the records of each source log, against the
acknowledged counts), that MM2 replicated all of it, that the group skips nothing on K2 that it had not committed
on K1, that it re-reads no more than the translated offsets allow, and that it read both logs to the end on K1.

Named to sort last in its folder: it stops K1's broker of the shared pair for about a minute, so it runs after
the other integration tests, and it must leave the pair healthy (it restarts K1 with `LocalPair.up()`).
"""
from __future__ import annotations

import json
import sys
from typing import Any

from kaa.clients import kafka_groups as kg
from kaa.failover.drill import TOPIC, Drill, run_drill
from kaa.local import LocalPair
from kaa.mirror.mm2_records import decode_checkpoint
from kaa.topology import naming
from tests.integration.drill_check import failover_check

Key = tuple[str, int]


class Observer:
    """The test's own view of the drill, read at the drill's stages."""

    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}

    def __call__(self, stage: str, drill: Drill) -> None:
        getattr(self, stage)(drill)

    def failover(self, drill: Drill) -> None:
        admin = drill.admin(drill.k2)
        remote = naming.remote_topic(drill.k1, TOPIC, drill.sep)
        self.seen["translated"] = {k: o for k, o in kg.committed(admin, drill.group).items() if k[0] == remote}
        topic = naming.checkpoints_topic(drill.k1, drill.sep)
        newest: dict[int, Any] = {}
        for record in kg.read_topic(admin, drill.access[drill.k2].kafka, topic, admin.topics()[topic].partitions, 30):
            if record.key is None or record.value is None:
                continue
            checkpoint = decode_checkpoint(record.key, record.value)
            if checkpoint.group == drill.group and checkpoint.topic == remote:
                newest[checkpoint.partition] = checkpoint  # a partition's checkpoints are in order
        self.seen["checkpoints"] = newest

    def failback(self, drill: Drill) -> None:
        committed = kg.committed(drill.admin(drill.k1), drill.group)
        self.seen["committed_on_k1"] = {k: o for k, o in committed.items() if k[0] == TOPIC}

    def end(self, drill: Drill) -> None:
        logs: dict[str, list[kg.RawRecord]] = {}
        for alias, topic in ((drill.k1, TOPIC), (drill.k2, TOPIC),
                             (drill.k2, naming.remote_topic(drill.k1, TOPIC, drill.sep)),
                             (drill.k1, naming.remote_topic(drill.k2, TOPIC, drill.sep))):
            admin = drill.admin(alias)
            count = admin.topics()[topic].partitions
            logs[f"{topic}@{alias}"] = kg.read_topic(admin, drill.access[alias].kafka, topic, count, 60)
            self.seen[f"ends {topic}@{alias}"] = kg.end_offsets(admin, {topic: count})
        self.seen["logs"] = logs
        self.seen["final_on_k1"] = kg.committed(drill.admin(drill.k1), drill.group)
        self.seen["offset_lag_max"] = drill.topology.mirror.offset_lag_max


def events(records: list[kg.RawRecord]) -> list[str]:
    return [bytes(r.value or b"").decode() for r in records]


def test_the_drill_loses_nothing_as_its_own_reads_of_the_clusters_show(local_pair: LocalPair) -> None:
    observer = Observer()
    try:
        report = run_drill(local_pair, log=lambda line: print(line, file=sys.stderr, flush=True), observe=observer)
    finally:
        if not local_pair.is_healthy():
            local_pair.up()
    assert local_pair.is_healthy(), "the drill must leave the shared pair healthy"
    doc = report.as_dict()
    print(json.dumps({k: v for k, v in doc.items() if k != "timeline"}, indent=1), file=sys.stderr)
    seen = observer.seen
    logs = seen["logs"]
    k1_log, k2_log = logs[f"{TOPIC}@K1"], logs[f"{TOPIC}@K2"]
    acked = doc["acknowledged"]

    # 1. What the producers really wrote: each source log holds every record once (idempotent producers), at
    # least every acknowledged one and at most those plus the ones whose acknowledgement never came
    for log, alias, written_acked in ((k1_log, "K1", acked["K1"] + acked["K1 after failback"]),
                                      (k2_log, "K2", acked["K2"])):
        in_log = sum(seen[f"ends {TOPIC}@{alias}"].values())
        assert in_log == len(log) == len(set(events(log))), f"{alias}: a record written twice or a gap"
        assert written_acked <= in_log <= written_acked + doc["unacknowledged"], (alias, in_log, acked)
    assert acked["K1"] > 100 and acked["K2"] > 100 and acked["K1 after failback"] > 0, acked

    # 2. MM2 replicated every record of each source log to the other cluster
    assert set(events(k1_log)) <= set(events(logs[f"K1.{TOPIC}@K2"])), "K1 records missing from K2"
    assert set(events(k2_log)) <= set(events(logs[f"K2.{TOPIC}@K1"])), "K2 records missing from K1"

    # 3. Failover of K1's records: from its translated positions on K2 the group reads everything it had not
    # committed on K1 at the cut, and re-reads at most what the checkpoint lagged behind its commit plus MM2's
    # translation granularity (offset.lag.max)
    translated, checkpoints = seen["translated"], seen["checkpoints"]
    assert set(translated) == {(f"K1.{TOPIC}", p) for p in range(3)}, translated
    check = failover_check(k1_log, logs[f"K1.{TOPIC}@K2"], TOPIC, f"K1.{TOPIC}", seen["committed_on_k1"], translated,
                           {p: c.upstream_offset for p, c in checkpoints.items()}, seen["offset_lag_max"])
    print(json.dumps({"independent_failover_check": check.partitions}, indent=1), file=sys.stderr)
    assert not check.skipped, f"records never committed on K1 that the group skips on K2: {sorted(check.skipped)[:9]}"
    assert set(check.partitions) == {0, 1, 2} and not check.over_bound, check.partitions

    # 4. After failback the group read both of K1's logs to the end
    final = seen["final_on_k1"]
    for topic in (TOPIC, f"K2.{TOPIC}"):
        ends = seen[f"ends {topic}@K1"]
        assert {k: final.get(k) for k in ends} == ends, (topic, final, ends)

    # The drill's own figures agree, and its timings are sane
    assert doc["lost"] == 0, f"acknowledged records never read: {doc['lost_events']}"
    assert doc["lost_in_k1_log"] == 0, "K1's log lost acknowledged records across a SIGKILL"
    assert 0 <= doc["rpo_records"] <= acked["K1"]
    assert 0 < doc["rto_seconds"] < 30, doc["rto_seconds"]
    assert doc["status_before_cut"]["ready"], doc["status_before_cut"]
    assert {p["source"] for p in doc["failover_positions"] if p["topic"] == f"K1.{TOPIC}"} <= {
        "committed", "checkpoint"}
    back_home = [p for p in doc["failback_positions"] if p["topic"] == TOPIC]
    assert back_home and all(p["source"] in ("by-time", "own") for p in back_home), back_home
    assert all(p["before"] is None or p["after"] >= p["before"] for p in back_home), "seeking by time never rewinds"
