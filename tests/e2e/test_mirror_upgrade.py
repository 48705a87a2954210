"""A stack deployed with one `MirrorLeftovers` per remote twin (the layout before the twin sets) upgrades to a
guard and a reaper per cluster with plain `pulumi up` and loses nothing (issue 16).

Deploy the frozen old layout (tests/e2e/mirror_layout_v1) with two mirrored topics, replicate records both ways;
upgrade with today's program while a watcher lists both clusters again and again: no twin and no MM2 topic is
ever missing, the update creates the four new resources and deletes the old ones (their delete, today's
`MirrorLeftovers` provider, keeps what a live connector copies) and nothing else; replication still works, and a
preview is clean. Then drop one topic: its twins go (after the connectors stopped copying) and stay gone; then
destroy leaves no topic or twin of the stack on either cluster.
"""
from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaa.clients.kafka_admin import KafkaAdmin
from kaa.local import LocalPair
from kaa.mirror.mm2_leftovers import mm2_topics
from kaa.pulumi_engine import ROOT
from kaa.topology.spec import load_topology
from tests.e2e.pulumi_stack import PulumiStack
from tests.e2e.test_acl_upgrade import resource_types, use_program
from tests.integration.kafka_helpers import consume, eventually, produce

V1_PROGRAM = Path(__file__).parent / "mirror_layout_v1" / "__main__.py"
PREFIX = "e2e-twinup-"
KEEP, DROP = PREFIX + "orders", PREFIX + "customers"
OLD_TYPE = "pulumi-python:dynamic/kafka-aa:MirrorLeftovers"
NEW_TYPES = ("pulumi-python:dynamic/kafka-aa:MirrorTwinGuard", "pulumi-python:dynamic/kafka-aa:MirrorTwinReaper")


def _small_spec(doc: dict[str, Any]) -> None:
    doc["topics"] = {KEEP: {"partitions": 2}, DROP: {"partitions": 1}}
    doc["mirror"] = {**doc["mirror"], "name_prefix": "e2e-twinup-mm2", "principal": "User:e2e-twinup-mm2"}


def ours(name: str) -> bool:
    return name.startswith(PREFIX) or name.split(".", 1)[-1].startswith(PREFIX)


@pytest.fixture(scope="module")
def stack(engine: dict[str, str], local_pair: LocalPair) -> Iterator[PulumiStack]:
    with tempfile.TemporaryDirectory(prefix="kaa-e2e-twinup-") as tmp:
        s = PulumiStack(Path(tmp), engine, name="twinup")
        s.edit_spec(_small_spec)
        s.init()
        try:
            yield s
        finally:  # leave the pair as found even when a step failed: the names are this module's own
            s.run("destroy", "--yes", "--skip-preview", check=False)
            for alias in ("K1", "K2"):
                admin = KafkaAdmin(local_pair.client_settings(alias)["kafka"], alias)
                if mine := [t for t in admin.topics() if ours(t)]:
                    admin.delete_topics(mine)


def live_topics(pair: LocalPair) -> dict[str, set[str]]:
    return {a: set(KafkaAdmin(pair.client_settings(a)["kafka"], a).topics()) for a in ("K1", "K2")}


class TopicWatcher:
    """Lists both clusters until stopped; keeps every watched topic it ever found missing."""

    def __init__(self, pair: LocalPair, watched: dict[str, set[str]]):
        self.admins = {a: KafkaAdmin(pair.client_settings(a)["kafka"], a) for a in watched}
        self.watched, self.rounds = watched, 0
        self.missing: set[str] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)

    def watch(self) -> None:
        while not self.stop.is_set():
            for alias, admin in self.admins.items():
                self.missing |= {f"{alias}: {t}" for t in self.watched[alias] - set(admin.topics())}
            self.rounds += 1
            time.sleep(0.2)

    def __enter__(self) -> TopicWatcher:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)


def replicated(pair: LocalPair, marker: str) -> None:
    """A record produced on each side's KEEP arrives in the other side's twin."""
    for source, target in (("K1", "K2"), ("K2", "K1")):
        value = f"{marker}-{source}".encode()
        produce(pair.client_settings(source)["kafka"], KEEP, [{"key": b"k", "value": value}])

        def arrived(src: str = source, tgt: str = target, val: bytes = value) -> bool:
            got = consume(pair.client_settings(tgt)["kafka"], [f"{src}.{KEEP}"], 100, timeout=5)
            return val in [m.value() for m in got]

        eventually(arrived, 120, f"{marker} record from {source} reaching {source}.{KEEP} on {target}", interval=2)


def test_an_old_layout_stack_upgrades_to_twin_sets_without_losing_a_twin(stack: PulumiStack, local_pair: LocalPair):
    topology = load_topology(stack.spec_file, name=stack.name)
    twins = {"K2": {f"K1.{KEEP}", f"K1.{DROP}"}, "K1": {f"K2.{KEEP}", f"K2.{DROP}"}}

    # 1. The previous layout: one MirrorLeftovers per twin (4) and per cluster for MM2's topics (2).
    use_program(stack, V1_PROGRAM)
    stack.up()
    types = resource_types(stack)
    assert types.count(OLD_TYPE) == 6 and not set(NEW_TYPES) & set(types), types
    eventually(lambda: all(twins[a] <= t for a, t in live_topics(local_pair).items()), 120, "MM2 creating the twins")
    replicated(local_pair, "before")
    live = live_topics(local_pair)
    mm2 = {a: {t.name for t in mm2_topics(topology, a)} & live[a] for a in ("K1", "K2")}
    assert all("heartbeats" in mm2[a] for a in mm2), mm2  # MM2's own topics are there to be watched too
    watched = {a: twins[a] | mm2[a] | {KEEP, DROP} for a in ("K1", "K2")}

    # 2. Today's program: the preview creates the four new resources and deletes the six old ones, nothing else.
    use_program(stack, ROOT / "__main__.py")
    steps = [s for s in stack.preview_json()["steps"] if s.get("op") not in ("same", "read")]
    ops = sorted((s["op"], s["urn"].split("::")[2].split("$")[-1]) for s in steps)
    assert ops == sorted([("create", t) for t in NEW_TYPES for _ in ("K1", "K2")] + [("delete", OLD_TYPE)] * 6), ops

    # 3. Plain `pulumi up` (no migration step) while a watcher lists both clusters.
    with TopicWatcher(local_pair, watched) as watcher:
        stack.up()
    assert watcher.rounds > 1, "the watcher did not look during the update"
    assert not watcher.missing, f"missing during the upgrade: {sorted(watcher.missing)}"
    last = json.loads(stack.run("stack", "history", "--json", "--page-size", "1").stdout)[0]
    assert (last["kind"], last["result"]) == ("update", "succeeded")
    assert {k: v for k, v in last["resourceChanges"].items() if k != "same"} == {"create": 4, "delete": 6}, last
    types = resource_types(stack)
    assert OLD_TYPE not in types and sorted(t for t in types if t in NEW_TYPES) == sorted(NEW_TYPES * 2)
    live = live_topics(local_pair)
    assert all(watched[a] <= live[a] for a in watched), "a twin or MM2 topic went in the upgrade"
    replicated(local_pair, "after")
    assert stack.run("preview", "--expect-no-changes", check=False).returncode == 0

    # 4. Drop a topic: its twins go once the connectors stopped copying it, and MM2 does not bring them back.
    stack.edit_spec(lambda doc: doc["topics"].pop(DROP))
    stack.up()
    for _ in range(2):
        live = live_topics(local_pair)
        assert f"K1.{DROP}" not in live["K2"] and f"K2.{DROP}" not in live["K1"], "a dropped topic's twin stayed"
        assert f"K1.{KEEP}" in live["K2"] and f"K2.{KEEP}" in live["K1"], "a kept topic's twin went too"
        time.sleep(12)  # more than two of MM2's topic refreshes (5 s): a still-copying flow would recreate it

    # 5. Destroy: nothing of the stack is left on either cluster.
    stack.run("destroy", "--yes", "--skip-preview")
    left = {a: sorted(t for t in topics if ours(t)) for a, topics in live_topics(local_pair).items()}
    assert left == {"K1": [], "K2": []}, f"left after destroy: {left}"
