"""Failover decisions on hand-made facts: MM2's record formats, positions (only forward), stale checkpoints,
subscriptions, the readiness verdict and the command line's renderings."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kaa.cli import build_parser
from kaa.cli.cmd_failover import _time, render_move, render_status
from kaa.failover.failover_plan import (
    BY_TIME,
    CHECKPOINT,
    COMMITTED,
    NONE,
    OWN,
    FlowFacts,
    GroupFacts,
    Limits,
    drop_stale,
    latest_checkpoints,
    local_positions,
    reasons_not_ready,
    remote_positions,
    seek_forward,
    subscription,
)
from kaa.mirror.mm2_records import (
    Checkpoint,
    Heartbeat,
    RecordFormatError,
    decode_checkpoint,
    decode_heartbeat,
    encode_checkpoint,
    encode_heartbeat,
)

ROOT = Path(__file__).resolve().parents[2]

# Bytes as MM2 (Kafka 4.1) wrote them on the local pair: K1.checkpoints.internal and K1.heartbeats on K2.
CHECKPOINT_KEY = b"\x00\nit-billing\x00\x0cK1.it-orders\x00\x00\x00\x00"
CHECKPOINT_VALUE = b"\x00\x00" + (150).to_bytes(8, "big") + (1).to_bytes(8, "big") + b"\x00\x00"
HEARTBEAT_KEY = b"\x00\x02K2\x00\x02K1"
HEARTBEAT_VALUE = b"\x00\x00\x00\x00\x01\xa2\x17\xe0YW"


def cp(topic: str, partition: int, upstream: int, downstream: int, group: str = "billing") -> Checkpoint:
    return Checkpoint(group, topic, partition, upstream, downstream)


# --- MM2 record formats ---------------------------------------------------------------------------------------

def test_a_checkpoint_written_by_mm2_decodes():
    expected = Checkpoint("it-billing", "K1.it-orders", 0, 150, 1, "")
    assert decode_checkpoint(CHECKPOINT_KEY, CHECKPOINT_VALUE) == expected


def test_a_heartbeat_written_by_mm2_decodes():
    assert decode_heartbeat(HEARTBEAT_KEY, HEARTBEAT_VALUE) == Heartbeat("K2", "K1", 1795696908631)


def test_encoding_round_trips_and_matches_mm2_bytes():
    original = Checkpoint("it-billing", "K1.it-orders", 0, 150, 1, "")
    assert encode_checkpoint(original) == (CHECKPOINT_KEY, CHECKPOINT_VALUE)
    beat = Heartbeat("K2", "K1", 1795696908631)
    assert encode_heartbeat(beat) == (HEARTBEAT_KEY, HEARTBEAT_VALUE)
    unicode = Checkpoint("grüppe", "K1.ördérs", 7, 2**40, 2**33, "meta")
    assert decode_checkpoint(*encode_checkpoint(unicode)) == unicode


@pytest.mark.parametrize(("key", "value", "message"), [
    (CHECKPOINT_KEY, b"\x00\x01" + CHECKPOINT_VALUE[2:], "unknown version 1"),
    (CHECKPOINT_KEY, CHECKPOINT_VALUE[:9], "truncated"),
    (CHECKPOINT_KEY[:5], CHECKPOINT_VALUE, "truncated"),
    (b"\xff\xff" + CHECKPOINT_KEY[2:], CHECKPOINT_VALUE, "negative string length"),
])
def test_bytes_that_are_not_a_checkpoint_are_refused(key, value, message):
    with pytest.raises(RecordFormatError, match=message):
        decode_checkpoint(key, value)


# --- positions ------------------------------------------------------------------------------------------------

def test_the_newest_checkpoint_per_group_and_partition_wins():
    records = [cp("K1.orders", 0, 10, 9), cp("K1.orders", 1, 5, 5), cp("K1.orders", 0, 20, 19),
               cp("K1.orders", 0, 99, 99, group="other")]
    latest = latest_checkpoints(records)
    assert latest["billing"] == {("K1.orders", 0): records[2], ("K1.orders", 1): records[1]}
    assert set(latest_checkpoints(records, "other")) == {"other"}


def test_remote_positions_move_only_forward():
    plans = remote_positions(
        {"K1.orders": [100, 100, 100, 100]},
        synced={("K1.orders", 0): 40, ("K1.orders", 1): 60, ("K1.orders", 3): 5},
        checkpoints={("K1.orders", 0): cp("K1.orders", 0, 52, 50), ("K1.orders", 1): cp("K1.orders", 1, 50, 50),
                     ("K1.orders", 2): cp("K1.orders", 2, 30, 30)},
    )
    got = {p.partition: (p.before, p.after, p.source, p.commits) for p in plans}
    assert got == {
        0: (40, 50, CHECKPOINT, True),  # the checkpoint is further on than what MM2 synced
        1: (60, 60, COMMITTED, False),  # never back behind MM2's synced offset
        2: (None, 30, CHECKPOINT, True),  # nothing synced yet
        3: (5, 5, COMMITTED, False),  # no checkpoint: MM2's offset stays
    }


def test_a_checkpoint_past_the_end_is_stale_and_no_translation_leaves_the_position_unset():
    plans = remote_positions({"K1.orders": [10, 10]}, {}, {("K1.orders", 0): cp("K1.orders", 0, 500, 480)})
    assert [(p.after, p.source) for p in plans] == [(None, NONE), (None, NONE)]
    assert "stale" in plans[0].note and "auto.offset.reset" in plans[1].note
    assert not any(p.commits for p in plans)


def test_local_positions_keep_the_groups_own_offsets_else_go_by_time():
    plans = local_positions({("orders", 0): 7}, {("orders", 0): 3, ("orders", 1): 12}, "2025-01-01T00:00:00Z")
    assert [(p.partition, p.before, p.after, p.source) for p in plans] == [(0, 7, 7, OWN), (1, None, 12, BY_TIME)]
    assert "2025-01-01T00:00:00Z" in plans[1].note


def test_seek_by_time_never_rewinds():
    plans = seek_forward({("orders", 0): 50, ("orders", 1): 10}, {("orders", 0): 40, ("orders", 1): 30,
                                                                   ("orders", 2): 5}, "T")
    assert [(p.partition, p.before, p.after, p.source) for p in plans] == [
        (0, 50, 50, OWN), (1, 10, 30, BY_TIME), (2, None, 5, BY_TIME)]


def test_checkpoints_ahead_of_the_groups_commit_are_stale():
    checkpoints = {("K1.orders", 0): cp("K1.orders", 0, 30, 29), ("K1.orders", 1): cp("K1.orders", 1, 900, 880),
                   ("K1.orders", 2): cp("K1.orders", 2, 4, 4)}
    kept, dropped = drop_stale(checkpoints, {("orders", 0): 30, ("orders", 1): 25}, "K1")
    assert set(kept) == {("K1.orders", 0)}
    assert len(dropped) == 2 and "K1.orders[1]" in dropped[0] and "(none)" in dropped[1]


def test_the_subscription_takes_the_local_topic_and_the_remote_copy_only():
    one = subscription("K1", ["orders"])
    assert one == r"^(K1\.)?orders$"
    assert [t for t in ("orders", "K1.orders", "K2.orders", "K1.orders2", "xorders") if re.match(one, t)] == [
        "orders", "K1.orders"]
    two = subscription("K1", ["payments", "orders.v2"])
    assert two == r"^(K1\.)?(orders\.v2|payments)$"
    assert re.match(two, "K1.orders.v2") and not re.match(two, "K1.ordersXv2")


# --- readiness ------------------------------------------------------------------------------------------------

def ready_flow(**changes) -> FlowFacts:
    group = GroupFacts("billing", {("orders", 0): 10}, {("K1.orders", 0): cp("K1.orders", 0, 10, 10)}, {},
                       "EMPTY", 0)
    flow = FlowFacts("K1", "K2", lag={"orders": 3}, checkpoint_age_s=4.0, heartbeat_age_s=1.0, groups=[group])
    for key, value in changes.items():
        setattr(flow, key, value)
    return flow


def test_a_healthy_flow_is_ready():
    assert reasons_not_ready(ready_flow(), Limits()) == []


@pytest.mark.parametrize(("changes", "expected"), [
    ({"target_error": "no answer"}, "K2 unreachable: no answer"),
    ({"heartbeat_age_s": 300.0}, "newest heartbeat from K1 is 300 s old"),
    ({"heartbeat_age_s": None}, "no heartbeat from K1 has reached K2"),
    ({"lag": {"orders": 5000, "payments": 1}}, "replication lag 5001 records (> 1000; most on orders: 5000)"),
])
def test_each_reason_a_flow_is_not_ready(changes, expected):
    reasons = reasons_not_ready(ready_flow(**changes), Limits())
    assert len(reasons) == 1 and expected in reasons[0], reasons


def test_with_the_source_down_an_old_heartbeat_is_expected_and_lag_unknown():
    flow = ready_flow(source_error="down", lag=None, heartbeat_age_s=400.0)
    flow.groups[0].source_committed = None
    assert reasons_not_ready(flow, Limits()) == []


def test_groups_without_translation_or_active_on_the_target_are_not_ready():
    flow = ready_flow()
    flow.groups[0].source_committed = {("orders", 0): 10, ("orders", 1): 4}
    flow.groups[0].target_members = 2
    reasons = reasons_not_ready(flow, Limits())
    assert reasons == ["group billing: no translated offset on K2 for orders[1]",
                       "group billing has 2 active member(s) on K2: MM2 cannot sync into it and a failover cannot "
                       "set its offsets"]
    assert flow.groups[0].behind() == 0


# --- command line ---------------------------------------------------------------------------------------------

def test_run_needs_from_to_and_a_group():
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["failover", "run", "--stack", "local", "--from", "K1"])
    assert exc.value.code == 2


def test_times_are_epoch_ms_or_iso_with_a_zone():
    assert _time("1700000000000") == 1700000000000
    assert _time("2023-11-14T22:13:20Z") == 1700000000000
    with pytest.raises(Exception, match="no time zone"):
        _time("2023-11-14T22:13:20")


def test_renderings_name_positions_settings_and_reasons():
    move = {
        "kind": "failover", "from": "K1", "to": "K2", "at": "T", "source_state": "unreachable: x", "dry_run": False,
        "groups": [{"group": "billing", "subscription": r"^(K1\.)?orders$", "notes": ["n1"],
                    "positions": [{"topic": "K1.orders", "partition": 0, "before": 4, "after": 9,
                                   "source": "checkpoint", "note": "upstream offset 9"},
                                  {"topic": "orders", "partition": 0, "before": 3, "after": 3, "source": "own"}]}],
        "client_settings": {"cluster": "K2", "bootstrap.servers": "b:1", "security.protocol": "SASL_SSL",
                            "consumers": {"billing": {"subscribe": r"^(K1\.)?orders$"}},
                            "producers": {"topics": ["orders"], "never": ["K1.orders"]}},
        "explanation": ["e1"], "record_file": "/tmp/r.json",
    }
    text = render_move(move)
    for expected in ("Failover K1 -> K2", r"subscribe ^(K1\.)?orders$", "K1.orders[0]  4 -> 9  checkpoint",
                     "orders[0]  3 (kept)  own", "bootstrap.servers=b:1", "producers write orders (never K1.orders)",
                     "note: n1", "- e1", "Recorded in /tmp/r.json"):
        assert expected in text, (expected, text)
    status = {"stack": "s", "ready": False, "flows": [{
        "source": "K1", "target": "K2", "ready": False, "reasons": ["why"], "target_reachable": True,
        "lag": None, "lag_total": None, "checkpoint_age_s": None, "heartbeat_age_s": 2.0, "heartbeat_at": "T",
        "groups": [{"group": "g", "target_state": "EMPTY", "target_members": 0, "checkpoints_behind": 0,
                    "partitions": [{"topic": "K1.orders", "partition": 0, "source_committed": None,
                                    "checkpoint_upstream": 5, "checkpoint_downstream": 4, "synced": 4}]}]}]}
    text = render_status(status)
    for expected in ("NOT ready", "lag   unknown: K1 unreachable", "last checkpoint   none found",
                     "last heartbeat    2.0 s ago (T)",
                     "K1.orders[0]  committed on K1 -  checkpoint 5 -> 4  committed on K2 4",
                     "not ready: why"):
        assert expected in text, (expected, text)


def test_the_drill_summary_names_each_figure():
    from kaa.cli.cmd_drill import render
    text = render({"lost": 0, "duplicates": 595, "rpo_records": 1, "rto_seconds": 2.28,
                   "acknowledged": {"K1": 623, "K2": 2823}, "duplicates_at_failover": 411,
                   "duplicates_at_failback": 184, "failback_reread_without_seek": 15, "lost_in_k1_log": 0,
                   "failover_seconds": 2.17, "k1_restart_seconds": 19.5, "backlog_replicated_seconds": 0.4,
                   "total_seconds": 72.4})
    for expected in ("lost           0  (acknowledged: K1 623, K2 2823)", "at failover 411, at failback 184",
                     "rpo_records    1", "rto_seconds    2.28", "whole drill 72.4 s"):
        assert expected in text, (expected, text)
