"""The twin sets (a guard and a reaper per cluster instead of one resource per twin): which topics each removes
at each step (pure, kaa/mirror/twin_sets.py), and what their providers do against a fake Kafka and Connect; plus
the previous layout's `MirrorLeftovers` delete during an upgrade, while the stack's connectors run."""
from __future__ import annotations

import pytest

from components.providers import mirror_leftovers as old_provider
from components.providers.mirror_twin_sets import TwinGuardProvider, TwinReaperProvider
from kaa.errors import KaaError
from kaa.mirror.mm2_leftovers import SOURCE_CLASS, Leftover, mm2_topics, twins
from kaa.mirror.twin_sets import dropped, held_on, to_remove
from tests.unit.test_mm2_leftovers import A, B, FakeAdmin, FakeConnect, fakes, live_configs, props, topology

__all__ = ["fakes", "topology"]  # pytest fixtures used here
C = Leftover("K1.c", "K2", "K1", "K2", "c")
HB = Leftover("heartbeats", "K2", None, None)


# --- which topics, when (pure) ------------------------------------------------------------------------------------

def test_a_cluster_holds_the_twins_of_the_flow_into_it_then_mm2s_own_topics(topology) -> None:
    assert held_on(topology, "K2") == twins(topology, "K1", "K2") + mm2_topics(topology, "K2")
    assert held_on(topology, "K1") == twins(topology, "K2", "K1") + mm2_topics(topology, "K1")
    assert {t.cluster for t in held_on(topology, "K1")} == {"K1"}


def test_dropped_is_what_the_old_list_has_and_the_new_one_not_in_the_old_order() -> None:
    assert dropped([C, A, B], [B]) == [C, A]
    assert dropped([A, B], [B, A]) == [] and dropped([A], [A, B, C]) == []
    assert dropped([A, B], []) == [A, B] and dropped([], [A]) == []
    # the same name on another cluster is another topic
    assert dropped([A], [Leftover("K1.a", "K1", "K1", "K2", "a")]) == [A]
    # a twin whose other fields changed is still the same topic: not dropped
    assert dropped([A], [Leftover("K1.a", "K2", None, None)]) == []


@pytest.mark.parametrize(("role", "step", "removed"), [
    ("guard", "create", []), ("guard", "update", []), ("guard", "delete", [A, B, HB]),
    ("reaper", "create", []), ("reaper", "update", [A, HB]), ("reaper", "delete", [A, B, HB]),
])
def test_each_role_removes_at_each_step(role, step, removed) -> None:
    # olds: what the resource held; news: its inputs after the step (on delete the engine passes the olds)
    assert to_remove(role, step, [A, B, HB], [B, C] if step != "delete" else [A, B, HB]) == removed


def test_nothing_is_removed_on_create_whatever_the_olds() -> None:
    assert to_remove("reaper", "create", [A], []) == [] and to_remove("guard", "create", [A], []) == []
    assert to_remove("reaper", "update", [A, B]) == [A, B]  # news default: nothing held any more


# --- the providers ------------------------------------------------------------------------------------------------

COPIES_A = {"k1-k2-source": {"connector.class": SOURCE_CLASS, "source.cluster.alias": "K1",
                             "target.cluster.alias": "K2", "topics": "a"}}


def test_a_guard_update_removes_nothing_even_a_twin_no_connector_copies(fakes) -> None:
    result = TwinGuardProvider().update("K2/guard", props(A, B), props(B))
    assert FakeAdmin.deleted == [] and result.outs["topics"] == [B.to_props()]


def test_a_reaper_update_removes_the_dropped_twins_no_connector_copies_any_more(fakes) -> None:
    result = TwinReaperProvider().update("K2/reaper", props(A, B), props(B))
    assert FakeAdmin.deleted == [("K2", "K1.a")] and result.outs["topics"] == [B.to_props()]
    TwinReaperProvider().update("K2/reaper", props(B), props(B))
    assert FakeAdmin.deleted == [("K2", "K1.a")]


def test_a_reaper_update_keeps_a_dropped_twin_a_live_connector_still_copies(fakes) -> None:
    FakeConnect.live = COPIES_A
    TwinReaperProvider().update("K2/reaper", props(A, B), props(B))
    assert FakeAdmin.deleted == []


def test_a_reaper_update_with_connect_down_keeps_everything_and_fails(fakes) -> None:
    FakeConnect.down = True
    with pytest.raises(KaaError, match=r"keeping them.*scripts/kaa twins --stack local --yes"):
        TwinReaperProvider().update("K2/reaper", props(A, B), props(B))
    assert FakeAdmin.deleted == []


@pytest.mark.parametrize("provider", [TwinGuardProvider, TwinReaperProvider])
def test_a_delete_removes_what_it_holds_but_what_a_live_connector_uses(fakes, provider) -> None:
    own = mm2_topics(fakes, "K2")
    provider().delete("K2/x", props(A, B, *own))
    assert sorted(FakeAdmin.deleted) == [("K2", "K1.a"), ("K2", "K1.b"), ("K2", "K1.checkpoints.internal"),
                                         ("K2", "heartbeats")]
    FakeAdmin.deleted, FakeAdmin.topics_by_label = [], {"K2": {"K1.a", "K1.b", "heartbeats"}}
    FakeConnect.live = COPIES_A  # destroy: the reaper goes while the connectors still run
    provider().delete("K2/x", props(A, B, *own))
    assert FakeAdmin.deleted == [("K2", "K1.b")]


@pytest.mark.parametrize("provider", [TwinGuardProvider, TwinReaperProvider])
def test_create_removes_nothing_and_names_the_cluster_and_role(fakes, provider) -> None:
    result = provider().create(props(A, B))
    assert FakeAdmin.deleted == [] and result.id == f"K2/{provider.role}" and result.outs == props(A, B)


@pytest.mark.parametrize("provider", [TwinGuardProvider, TwinReaperProvider])
def test_every_input_change_is_an_update_never_a_replacement(provider) -> None:
    p = provider()
    assert p.diff("id", props(A, B), props(A, B)).changes is False
    for key, value in [("topics", [B.to_props()]), ("label", "K1"), ("stack", "other"), ("kafka", {"x": "y"}),
                       ("connects", [])]:
        diff = p.diff("id", props(A, B), {**props(A, B), key: value})
        assert (diff.changes, diff.replaces) == (True, []), key


# --- the upgrade: the previous layout's resources are deleted while the stack's connectors run ---------------------

def test_the_old_per_twin_delete_removes_nothing_while_the_stacks_connectors_run(fakes, monkeypatch) -> None:
    """`pulumi up` of the new program deletes every `MirrorLeftovers` of the old state (their provider is today's
    module): with the stack's six connectors live, it keeps every twin and MM2 topic, so the upgrade loses none."""
    monkeypatch.setattr(old_provider, "ConnectClient", FakeConnect)
    FakeConnect.live = live_configs(fakes)
    held = held_on(fakes, "K2")
    FakeAdmin.topics_by_label = {"K2": {t.name for t in held}}
    for leftover in held:
        old_provider.LeftoverTopicsProvider().delete(f"K2/{leftover.name}", props(leftover))
    old_provider.LeftoverTopicsProvider().delete("K2/mm2", props(*mm2_topics(fakes, "K2")))
    assert FakeAdmin.deleted == [] and FakeAdmin.topics_by_label["K2"] == {t.name for t in held}
