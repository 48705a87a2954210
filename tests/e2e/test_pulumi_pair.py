"""`pulumi up/preview/refresh/destroy` of the pair through the real engine against the real local pair.

The steps build on each other (one stack per module), as a user's day does: up, a no-op preview, a spec
change, out-of-band drift, an unreachable part, destroy.
"""
from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaa.clients.connect_client import ConnectClient
from kaa.clients.kafka_admin import KafkaAdmin
from kaa.clients.pair_access import PairAccess
from kaa.clients.registry_client import RegistryClient
from kaa.local import LocalPair
from kaa.topology.acls import Acl
from kaa.topology.derive import derive
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology
from tests.e2e.pulumi_stack import CREDENTIALS, PulumiStack, changed_resources, remove_remote_twins
from tests.integration.kafka_helpers import consume, eventually, produce, topic_names


@pytest.fixture(scope="module")
def stack(engine: dict[str, str], local_pair: LocalPair) -> Iterator[PulumiStack]:
    with tempfile.TemporaryDirectory(prefix="kaa-e2e-") as tmp:
        s = PulumiStack(Path(tmp), engine)
        s.init()
        yield s
        s.run("destroy", "--yes", "--skip-preview", check=False)
        remove_remote_twins(local_pair, s)


@pytest.fixture(scope="module")
def access(local_pair: LocalPair) -> PairAccess:
    return PairAccess.from_status(local_pair.status_document(), {a: CREDENTIALS["mm2Password"] for a in ("K1", "K2")})


def topology_of(stack: PulumiStack) -> Topology:
    return load_topology(stack.spec_file, name="e2e")


def assert_pair_matches(topology: Topology, access: PairAccess) -> dict[str, dict[str, list[int]]]:
    """Everything the spec derives is live on both clusters, registries and Connect workers."""
    ids: dict[str, dict[str, list[int]]] = {}
    for alias, state in derive(topology).items():
        admin = KafkaAdmin(access[alias].kafka, alias)
        live = admin.topics()
        configs = admin.topic_configs([t.name for t in state.topics])
        for topic in state.topics:
            assert topic.name in live, f"{topic.name} missing on {alias}"
            assert live[topic.name].partitions == topic.partitions, (alias, topic.name)
            assert configs[topic.name] == dict(topic.config), (alias, topic.name, configs[topic.name])
        missing = set(state.acls) - admin.acls()
        assert not missing, f"ACLs missing on {alias}: {sorted(a.describe() for a in missing)[:5]}"
        registry = RegistryClient(access[alias].schema_registry)
        ids[alias] = {}
        for subject in state.subjects:
            versions = registry.all_versions(subject.subject)
            assert len(versions) == len(subject.versions), (alias, subject.subject)
            ids[alias][subject.subject] = [v.id for v in versions]
        connect = ConnectClient(access[alias].connect)
        for connector in state.connectors:
            connect.wait_running(connector.name, timeout=60, require_tasks=connector.kind != "checkpoint")
    assert ids["K1"] == ids["K2"], f"schema IDs differ between the registries: {ids}"
    return ids


def test_up_creates_everything_on_both_clusters_registries_and_connect(stack, access):
    stack.up()
    topology = topology_of(stack)
    ids = assert_pair_matches(topology, access)
    outputs = stack.outputs()
    assert outputs["pair"]["clusters"]["K2"]["remote_topics"] == ["K1.e2e-customers", "K1.e2e-orders",
                                                                    "K1.heartbeats"]
    assert outputs["schema_ids"]["K1"] == outputs["schema_ids"]["K2"]
    assert {s: v for s, v in outputs["schema_ids"]["K1"].items()} == ids["K1"]
    assert set(outputs["connectors"].values()) == {"RUNNING"}
    assert "e2e-mm2-secret" not in json.dumps(outputs)
    produce(access["K1"].kafka, "e2e-orders", [{"key": b"k", "value": b"hello from K1"}])
    eventually(lambda: "K1.e2e-orders" in topic_names(access["K2"].kafka), 60, "K1.e2e-orders on K2")
    assert consume(access["K2"].kafka, ["K1.e2e-orders"], count=1, timeout=60)


def test_an_immediate_preview_has_no_changes(stack):
    result = stack.run("preview", "--expect-no-changes", "--diff", check=False)
    assert result.returncode == 0, f"preview after up shows changes:\n{result.stdout[-5000:]}"


def test_a_spec_change_previews_exactly_that_change_and_applies_to_both_sides(stack, access):
    def change(doc: dict[str, Any]) -> None:
        doc["topics"]["e2e-payments"] = {"partitions": 1, "config": {"retention.ms": "86400000"}}
        doc["topics"]["e2e-orders"]["config"]["retention.ms"] = "259200000"
        doc["topics"]["e2e-orders"]["partitions"] = 3
        doc["topics"]["e2e-orders"]["schema"]["value"].append("schemas/e2e-order-v2.avsc")

    stack.edit_spec(change)
    changes = changed_resources(stack.preview_json())
    expected = {
        "pair-K1-topic-e2e-payments": "create", "pair-K2-topic-e2e-payments": "create",
        "pair-K1-topic-e2e-orders": "update", "pair-K2-topic-e2e-orders": "update",
        # each registry's pass (which owns its subjects) registers the new version (in order, the second after
        # the first)
        "pair-K1-schemas-pass": "update", "pair-K2-schemas-pass": "update",
        # the source and checkpoint connectors of both flows now list e2e-payments
        "pair-mirror-e2e-mm2-k1-k2-source": "update", "pair-mirror-e2e-mm2-k2-k1-source": "update",
        "pair-mirror-e2e-mm2-k1-k2-checkpoint": "update", "pair-mirror-e2e-mm2-k2-k1-checkpoint": "update",
        # MM2 will make the new topic's twin on each side: each cluster's twin guard and reaper now hold it
        "pair-mirror-twins-guard-K1": "update", "pair-mirror-twins-guard-K2": "update",
        "pair-mirror-twins-reaper-K1": "update", "pair-mirror-twins-reaper-K2": "update",
        # MM2 reads the new topic on each side: three bindings more in its ACL set
        "pair-K1-acls-e2e-mm2": "update", "pair-K2-acls-e2e-mm2": "update",
    }
    assert changes == expected
    # The diff names each binding added (one `+` line each), not the set as a whole.
    diff = stack.run("preview", "--diff").stdout
    marked = sorted(" ".join(line.split()) for line in diff.splitlines()
                    if line.strip()[:8] in ("+ ALLOW ", "- ALLOW "))
    assert marked == sorted(f'+ ALLOW {op} topic e2e-payments : "TOPIC LITERAL {op} * ALLOW e2e-payments"'
                            for op in ("READ", "DESCRIBE", "DESCRIBE_CONFIGS") for _ in ("K1", "K2")), diff[-3000:]
    stack.up()
    ids = assert_pair_matches(topology_of(stack), access)
    assert len(ids["K1"]["e2e-orders-value"]) == 2


def test_out_of_band_changes_are_seen_by_refresh(stack, access):
    KafkaAdmin(access["K2"].kafka).set_topic_configs({"e2e-customers": {"retention.ms": "1000"}})
    ConnectClient(access["K1"].connect).delete("e2e-mm2-k2-k1-heartbeat")
    RegistryClient(access["K2"].schema_registry).delete_subject("e2e-customers-value", permanent=True)
    gone = Acl("User:e2e-billing", "TOPIC", "LITERAL", "K2.e2e-orders", "READ")
    KafkaAdmin(access["K1"].kafka).delete_acls([gone])  # the ACL set's read sees it, the update restores it
    changes = changed_resources(stack.preview_json("--refresh"))
    assert changes == {
        "pair-K2-topic-e2e-customers": "update",
        "pair-mirror-e2e-mm2-k2-k1-heartbeat": "create",
        "pair-K2-schemas-pass": "update",  # its refresh no longer finds the subject: registered again
        "pair-K1-acls-e2e-billing": "update",
    }
    stack.up("--refresh")
    assert_pair_matches(topology_of(stack), access)
    assert stack.run("preview", "--expect-no-changes", check=False).returncode == 0


UNREACHABLE = {
    "connect": (("connect",), "http://127.0.0.1:28999", "clusters.K2.connect: the Kafka Connect of K2 cannot be "
                "reached: http://127.0.0.1:28999/connectors did not answer"),
    "registry": (("schema_registry",), "http://127.0.0.1:28998/apis/ccompat/v7", "clusters.K2.schema_registry: "
                 "the schema registry of K2 cannot be reached: http://127.0.0.1:28998/apis/ccompat/v7/subjects"),
    "kafka": (("bootstrap_servers",), ["127.0.0.1:29997"], "clusters.K2.bootstrap_servers: the Kafka cluster of "
              "K2 cannot be reached: no bootstrap server accepts connections (sasl_plaintext://127.0.0.1:29997/bootstrap"),
}


@pytest.mark.parametrize("part", list(UNREACHABLE))
def test_an_unreachable_part_fails_clearly_and_a_rerun_converges(stack, access, part):
    ids_before = assert_pair_matches(topology_of(stack), access)
    good = stack.spec_file.read_text()
    (key,), bad_value, expected_text = UNREACHABLE[part]

    def break_part(doc: dict[str, Any]) -> None:
        doc["clusters"]["K2"][key] = bad_value
        doc["topics"][f"e2e-returns-{part}"] = {"partitions": 1}

    stack.edit_spec(break_part)
    failed = stack.run("up", "--yes", "--skip-preview", check=False, timeout=600)
    assert failed.returncode != 0
    text = failed.stdout + failed.stderr
    assert expected_text in text, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    assert "created" not in text and "deleted" not in text and "updated" not in text, text[-3000:]
    stack.spec_file.write_text(good)
    stack.up("--refresh")
    ids_after = assert_pair_matches(topology_of(stack), access)
    assert ids_after == ids_before, "schema IDs changed or were duplicated by the rerun"
    assert stack.run("preview", "--expect-no-changes", check=False).returncode == 0


def test_destroy_removes_what_the_stack_created_connectors_first(stack, access):
    topology = topology_of(stack)
    state = derive(topology)
    connectors = {a: {c.name for c in state[a].connectors} for a in topology.aliases}
    topics = {t.name for t in topology.topics}
    # Watch the pair while destroy runs: every connector must be gone before the first topic goes.
    process = subprocess.Popen(["pulumi", "destroy", "--yes", "--skip-preview", "--stack", stack.name,
                                "--non-interactive"], cwd=stack.project_dir, env=stack.env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    connectors_gone_at = topic_gone_at = None
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and (connectors_gone_at is None or topic_gone_at is None):
        now = time.monotonic()
        live = {a: set(ConnectClient(access[a].connect).connectors()) for a in topology.aliases}
        if connectors_gone_at is None and not any(live[a] & connectors[a] for a in topology.aliases):
            connectors_gone_at = now
        if topic_gone_at is None and any(topics - set(KafkaAdmin(access[a].kafka).topics()) for a in topology.aliases):
            topic_gone_at = now
        if process.poll() is not None and connectors_gone_at is not None and topic_gone_at is not None:
            break
        time.sleep(0.2)
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output[-4000:]
    assert connectors_gone_at is not None and topic_gone_at is not None, output[-2000:]
    assert connectors_gone_at <= topic_gone_at, "a topic was deleted while MM2 connectors still ran"
    for alias, cluster_state in state.items():
        live_topics = KafkaAdmin(access[alias].kafka).topics()
        assert not {t.name for t in cluster_state.topics} & set(live_topics), f"topics left on {alias}"
        leftover = {a for a in KafkaAdmin(access[alias].kafka).acls() if a.principal.startswith("User:e2e-")}
        assert not leftover, f"ACLs left on {alias}: {sorted(a.describe() for a in leftover)[:5]}"
        registry = RegistryClient(access[alias].schema_registry)
        assert not [s for s in registry.subjects() if s.startswith("e2e-")], f"subjects left in {alias}'s registry"
        connect = ConnectClient(access[alias].connect)
        assert not [c for c in connect.connectors() if c.startswith("e2e-mm2-")], f"connectors left on {alias}"
