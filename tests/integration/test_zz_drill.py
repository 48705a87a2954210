"""The failover drill on the real pair: K1's broker is killed, the group fails over to K2 and back, nothing
acknowledged is lost.

Named to sort last in its folder: it stops K1's broker of the shared pair for about a minute, so it runs after
the other integration tests, and it must leave the pair healthy (it restarts K1 with `LocalPair.up()`).
"""
from __future__ import annotations

import json
import sys

from kaa.failover.drill import run_drill
from kaa.local import LocalPair


def test_the_drill_loses_nothing_and_reports_its_figures(local_pair: LocalPair) -> None:
    try:
        report = run_drill(local_pair, log=lambda line: print(line, file=sys.stderr, flush=True))
    finally:
        if not local_pair.is_healthy():
            local_pair.up()
    assert local_pair.is_healthy(), "the drill must leave the shared pair healthy"
    doc = report.as_dict()
    print(json.dumps({k: v for k, v in doc.items() if k != "timeline"}, indent=1), file=sys.stderr)
    acked = doc["acknowledged"]
    assert doc["lost"] == 0, f"acknowledged records never read: {doc['lost_events']}"
    assert doc["lost_in_k1_log"] == 0, "K1's log lost acknowledged records across a SIGKILL"
    assert acked["K1"] > 100 and acked["K2"] > 100 and acked["K1 after failback"] > 0, acked
    assert doc["read_unique"] >= sum(acked.values())
    assert 0 <= doc["duplicates"] == doc["read"] - doc["read_unique"]
    assert doc["duplicates"] == sum(sum(t.values()) for t in doc["duplicates_by_phase_and_topic"].values())
    assert 0 <= doc["rpo_records"] <= acked["K1"]
    assert 0 < doc["rto_seconds"] < 30, doc["rto_seconds"]
    assert doc["status_before_cut"]["ready"], doc["status_before_cut"]
    # the group moved onto K1.drill-orders on K2 from MM2's translation, and came back by time
    assert {p["source"] for p in doc["failover_positions"] if p["topic"] == "K1.drill-orders"} <= {
        "committed", "checkpoint"}
    back_home = [p for p in doc["failback_positions"] if p["topic"] == "drill-orders"]
    assert back_home and all(p["source"] in ("by-time", "own") for p in back_home), back_home
    assert all(p["before"] is None or p["after"] >= p["before"] for p in back_home), "seeking by time never rewinds"
