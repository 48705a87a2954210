"""What a stack leaves behind, through the real engine on the shared pair: MM2's remote twins and its own topics
go with the stack (issue 18, item 8).

Up a two-topic stack, let MM2 create the twins; drop one topic: the preview updates each cluster's twin guard
and reaper, `pulumi up` deletes the twins (the reaper, after the connectors stopped copying) and MM2 does not
bring them back; destroy: no topic of the stack and no twin on either cluster, and
MM2's own topics gone unless another deployment's MM2 connector on the pair still uses them (then kept, by rule).
The stack has its own topic names, connector prefix and MM2 principal, so it shares the pair with the rest.
"""
from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaa.clients.connect_client import ConnectClient
from kaa.clients.kafka_admin import KafkaAdmin
from kaa.local import LocalPair
from kaa.mirror.mm2_leftovers import kept_by, mm2_topics
from kaa.topology.spec import load_topology
from tests.e2e.pulumi_stack import PulumiStack, changed_resources
from tests.integration.kafka_helpers import eventually

PREFIX = "e2e-twins-"
KEEP, DROP = PREFIX + "orders", PREFIX + "customers"
TWINS = {"K2": {f"K1.{KEEP}", f"K1.{DROP}"}, "K1": {f"K2.{KEEP}", f"K2.{DROP}"}}


def _small_spec(doc: dict[str, Any]) -> None:
    doc["topics"] = {KEEP: {"partitions": 2}, DROP: {"partitions": 1}}
    doc["mirror"] = {**doc["mirror"], "name_prefix": "e2e-twins-mm2", "principal": "User:e2e-twins-mm2"}


@pytest.fixture(scope="module")
def stack(engine: dict[str, str], local_pair: LocalPair) -> Iterator[PulumiStack]:
    with tempfile.TemporaryDirectory(prefix="kaa-e2e-twins-") as tmp:
        s = PulumiStack(Path(tmp), engine, name="twins")
        s.edit_spec(_small_spec)
        s.init()
        try:
            yield s
        finally:  # leave the pair as found even when a step failed: the names are this module's own
            s.run("destroy", "--yes", "--skip-preview", check=False)
            for alias, topics in live_topics(local_pair).items():
                mine = [t for t in topics if t.startswith(PREFIX) or t.split(".", 1)[-1].startswith(PREFIX)]
                if mine:
                    KafkaAdmin(local_pair.client_settings(alias)["kafka"], alias).delete_topics(mine)


def live_topics(pair: LocalPair) -> dict[str, set[str]]:
    return {a: set(KafkaAdmin(pair.client_settings(a)["kafka"], a).topics()) for a in ("K1", "K2")}


def mm2_connectors(pair: LocalPair) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for alias in ("K1", "K2"):
        out.update(ConnectClient(pair.client_settings(alias)["connect"]).configs())
    return out


def test_mm2_creates_the_twins_of_the_stacks_topics(stack, local_pair):
    stack.up()
    eventually(lambda: all(TWINS[a] <= t for a, t in live_topics(local_pair).items()), 90,
               "MM2 creating the four twins")


def test_dropping_a_topic_previews_and_deletes_its_twins_and_mm2_does_not_recreate_them(stack, local_pair):
    stack.edit_spec(lambda doc: doc["topics"].pop(DROP))
    changes = changed_resources(stack.preview_json())
    # each cluster's twin guard and reaper no longer hold the dropped topic's twin (the reaper deletes it, after
    # the connectors' update); no resource is replaced and the only resources deleted are the topic's own
    for alias in ("K1", "K2"):
        assert changes[f"pair-mirror-twins-guard-{alias}"] == "update", changes
        assert changes[f"pair-mirror-twins-reaper-{alias}"] == "update", changes
    assert changes["pair-mirror-e2e-twins-mm2-k1-k2-source"] == "update", changes
    assert not [n for n, op in changes.items() if op not in ("update", "delete")], changes
    assert sorted(n for n, op in changes.items() if op == "delete") == [
        "pair-K1-topic-e2e-twins-customers", "pair-K2-topic-e2e-twins-customers"], changes
    stack.up()
    live = live_topics(local_pair)
    assert f"K1.{DROP}" not in live["K2"] and f"K2.{DROP}" not in live["K1"], "the dropped topic's twins stayed"
    assert f"K1.{KEEP}" in live["K2"] and f"K2.{KEEP}" in live["K1"], "a kept topic's twin went too"
    time.sleep(12)  # more than two of MM2's topic refreshes (5 s): a still-copying flow would recreate the twin
    live = live_topics(local_pair)
    assert f"K1.{DROP}" not in live["K2"] and f"K2.{DROP}" not in live["K1"], "MM2 recreated a dropped twin"


def test_destroy_leaves_no_topic_and_no_twin_of_the_stack_on_either_cluster(stack, local_pair):
    topology = load_topology(stack.spec_file, name="twins")
    stack.run("destroy", "--yes", "--skip-preview")
    live = live_topics(local_pair)
    for alias in ("K1", "K2"):
        other = "K2" if alias == "K1" else "K1"
        left = {t for t in live[alias] if t.startswith(PREFIX) or t.startswith(f"{other}.{PREFIX}")}
        assert not left, f"left on {alias} after destroy: {sorted(left)}"
    # MM2's own topics are shared by every MM2 flow between these aliases: gone, unless another deployment's
    # connector still uses one (the rule the provider applies, checked against what runs now).
    others = mm2_connectors(local_pair)
    assert not [n for n in others if n.startswith("e2e-twins-mm2-")], "the stack's connectors outlived destroy"
    for alias in ("K1", "K2"):
        for topic in mm2_topics(topology, alias):
            keeper = kept_by(topic, others)
            if keeper is None:
                assert topic.name not in live[alias], f"{topic.name} left on {alias} with no MM2 connector using it"
            else:
                assert topic.name in live[alias], f"{topic.name} deleted on {alias} while {keeper} uses it"
