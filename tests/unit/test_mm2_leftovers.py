"""What MM2 leaves behind: which topics a stack's flows make where, when a live connector still keeps one, which
are orphaned, and what the `MirrorLeftovers` provider deletes on update and on delete (fake Kafka and Connect)."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from components.providers import mirror_leftovers as provider
from kaa.errors import KaaError
from kaa.mirror.mm2_leftovers import SOURCE_CLASS, Leftover, kept_by, mm2_topics, orphans, twins
from kaa.mirror.mm2_settings import all_connectors
from kaa.topology.spec import load_topology

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def topology():
    return load_topology(ROOT / "stacks" / "local.yaml")


def live_configs(topology) -> dict[str, dict[str, str]]:
    return {c.name: dict(c.config) for c in all_connectors(topology)}


def test_each_flow_leaves_one_twin_per_mirrored_topic_on_its_target(topology) -> None:
    mirrored = [t.name for t in topology.mirrored_topics]
    assert mirrored
    assert [(t.name, t.cluster, t.copies) for t in twins(topology, "K1", "K2")] == [
        (f"K1.{n}", "K2", n) for n in mirrored]
    assert {t.name for t in twins(topology, "K2", "K1")} == {f"K2.{n}" for n in mirrored}


def test_mm2_own_topics_per_cluster_and_the_flow_that_makes_each(topology) -> None:
    assert [(t.name, t.source, t.target) for t in mm2_topics(topology, "K2")] == [
        ("heartbeats", None, None), ("K1.heartbeats", "K1", "K2"), ("K1.checkpoints.internal", "K1", "K2"),
        ("mm2-offset-syncs.K1.internal", "K2", "K1")]


def test_a_twin_is_kept_while_its_flow_copies_its_topic_and_free_once_not(topology) -> None:
    configs = live_configs(topology)
    source = next(n for n, c in configs.items() if n.endswith("k1-k2-source"))
    twin = twins(topology, "K1", "K2")[0]
    assert kept_by(twin, configs) == source
    # the other direction's connectors and the flow's checkpoint and heartbeat connectors do not copy it
    assert kept_by(twin, {n: c for n, c in configs.items() if n != source}) is None
    assert kept_by(Leftover("K1.gone", "K2", "K1", "K2", "gone"), configs) is None
    excluded = {source: {**configs[source], "topics": ".*", "topics.exclude": re.escape(twin.copies or "")}}
    assert kept_by(twin, excluded) is None
    assert kept_by(twin, {source: {**configs[source], "topics": ".*"}}) == source
    assert kept_by(twin, {"other": {"connector.class": "FileStreamSource", "topics": ".*"}}) is None


def test_mm2_own_topics_are_kept_while_any_connector_of_their_flow_runs(topology) -> None:
    configs = live_configs(topology)
    heartbeats, mirrored_heartbeats, checkpoints, offset_syncs = mm2_topics(topology, "K2")
    checkpoint_only = {n: c for n, c in configs.items() if n.endswith("k1-k2-checkpoint")}
    assert kept_by(checkpoints, checkpoint_only) == next(iter(checkpoint_only))
    assert kept_by(mirrored_heartbeats, checkpoint_only) is None  # only a source connector copies heartbeats
    assert kept_by(offset_syncs, checkpoint_only) is None  # the K2->K1 flow's
    k2_k1 = {n: c for n, c in configs.items() if "k2-k1" in n}
    assert kept_by(offset_syncs, k2_k1) is not None
    assert kept_by(heartbeats, k2_k1) is not None and kept_by(heartbeats, {}) is None


def test_orphans_are_twins_of_dropped_or_deleted_topics_and_unused_mm2_topics(topology) -> None:
    mirrored = [t.name for t in topology.mirrored_topics]
    k1 = {*mirrored, "K2." + mirrored[0], "K2.dropped", "K2.heartbeats", "heartbeats", "K2.checkpoints.internal",
          "mm2-offset-syncs.K2.internal", "K2.K1.cycle", "unrelated"}
    k2 = {*mirrored[1:], "K1." + mirrored[0], "K1." + mirrored[1]}
    free, kept = orphans(topology, {"K1": k1, "K2": k2}, {})
    names = {(t.cluster, t.name) for t in free}
    assert ("K1", "K2.dropped") in names  # no longer mirrored by the spec
    assert ("K1", f"K2.{mirrored[0]}") in names  # its source is gone from K2
    assert ("K2", f"K1.{mirrored[1]}") not in names  # mirrored, source present: expected, not an orphan
    assert {n for c, n in names if c == "K1"} >= {"heartbeats", "K2.heartbeats", "K2.checkpoints.internal",
                                                  "mm2-offset-syncs.K2.internal"}
    assert not {("K1", "K2.K1.cycle"), ("K1", "unrelated")} & names and kept == []
    free, kept = orphans(topology, {"K1": k1, "K2": k2}, live_configs(topology))
    assert {(t.cluster, t.name) for t in free} == {("K1", "K2.dropped")}  # the source connector stops nothing else
    assert {keeper for _, keeper in kept} and all(t.name != "K2.dropped" for t, _ in kept)
    scoped, _ = orphans(topology, {"K1": k1, "K2": k2}, {}, scope=re.compile("nothing"))
    assert all(t.copies is None or t.name.endswith("heartbeats") for t in scoped)
    dedicated = replace(topology, mirror=replace(topology.mirror, runtime="dedicated"))
    free, _ = orphans(dedicated, {"K1": k1, "K2": k2}, {})
    assert {t.name for t in free} == {"K2.dropped", f"K2.{mirrored[0]}"}  # MM2 outside Connect: only twins


# --- the provider ---------------------------------------------------------------------------------------------

class FakeAdmin:
    topics_by_label: dict[str, set[str]] = {}
    deleted: list[tuple[str, str]] = []

    def __init__(self, settings: dict[str, str], label: str) -> None:
        assert settings["sasl.password"] == "pw"
        self.label = label

    def topics(self) -> dict[str, Any]:
        return dict.fromkeys(self.topics_by_label[self.label])

    def delete_topics(self, names: list[str]) -> None:
        for name in names:
            self.topics_by_label[self.label].discard(name)
            self.deleted.append((self.label, name))


class FakeConnect:
    live: dict[str, dict[str, str]] = {}
    down = False
    cas: list[str] = []

    def __init__(self, url: str, auth: tuple[str, str] | None = None, tls: Any = None) -> None:
        FakeConnect.cas.append(tls.ca_file if tls else "")

    def configs(self) -> dict[str, dict[str, str]]:
        if self.down:
            raise KaaError("Kafka Connect at http://k2:8083 unreachable")
        return dict(self.live)


@pytest.fixture
def fakes(monkeypatch, topology):
    monkeypatch.setattr(provider, "KafkaAdmin", FakeAdmin)
    monkeypatch.setattr("kaa.leftover_removal.poll", lambda fetch, done, timeout, interval: fetch())
    monkeypatch.setattr(provider, "ConnectClient", FakeConnect)
    FakeAdmin.deleted = []
    FakeConnect.live, FakeConnect.down, FakeConnect.cas = {}, False, []
    FakeAdmin.topics_by_label = {"K2": {"K1.a", "K1.b", "heartbeats", "K1.checkpoints.internal"}}
    return topology


def props(*leftovers: Leftover) -> dict[str, Any]:
    return {"label": "K2", "stack": "local", "kafka": {"bootstrap.servers": "k2:9092", "sasl.password": "pw"},
            "connects": [{"url": "https://k2:8083", "auth": None, "ca": "/k2-ca.pem"}],
            "topics": [t.to_props() for t in leftovers],
            "timeout": 1}


A, B = Leftover("K1.a", "K2", "K1", "K2", "a"), Leftover("K1.b", "K2", "K1", "K2", "b")


def test_delete_removes_every_topic_no_connector_keeps(fakes) -> None:
    own = mm2_topics(fakes, "K2")
    provider.LeftoverTopicsProvider().delete("K2/K1.a", props(A, B, *own))
    assert sorted(FakeAdmin.deleted) == [("K2", "K1.a"), ("K2", "K1.b"), ("K2", "K1.checkpoints.internal"),
                                         ("K2", "heartbeats")]
    assert FakeConnect.cas == ["/k2-ca.pem"]  # an HTTPS worker is verified against the stack's CA


def test_delete_keeps_what_a_live_connector_still_copies_or_uses(fakes) -> None:
    FakeConnect.live = {"other-k1-k2-source": {"connector.class": SOURCE_CLASS,
                                               "source.cluster.alias": "K1", "target.cluster.alias": "K2",
                                               "topics": "a"}}
    provider.LeftoverTopicsProvider().delete("id", props(A, B, *mm2_topics(fakes, "K2")))
    assert FakeAdmin.deleted == [("K2", "K1.b")]  # `a` is still copied; heartbeats and checkpoints still used


def test_an_update_deletes_only_the_twins_of_dropped_topics(fakes) -> None:
    result = provider.LeftoverTopicsProvider().update("id", props(A, B), props(B))
    assert FakeAdmin.deleted == [("K2", "K1.a")] and result.outs["topics"] == [B.to_props()]
    provider.LeftoverTopicsProvider().update("id", props(B), props(B))
    assert FakeAdmin.deleted == [("K2", "K1.a")]


def test_an_unreachable_connect_keeps_everything_and_names_the_command(fakes) -> None:
    FakeConnect.down = True
    with pytest.raises(KaaError, match=r"keeping them.*scripts/kaa twins --stack local --yes"):
        provider.LeftoverTopicsProvider().delete("id", props(A))
    assert FakeAdmin.deleted == []


def test_the_list_of_topics_changes_in_place_and_a_move_replaces() -> None:
    p = provider.LeftoverTopicsProvider()
    diff = p.diff("id", props(A, B), props(B))
    assert (diff.changes, diff.replaces) == (True, [])
    assert p.diff("id", props(A), props(A)).changes is False
    assert p.diff("id", props(A), {**props(A), "label": "K1"}).replaces == ["label"]
