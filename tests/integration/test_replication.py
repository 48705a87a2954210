"""The replication claims of the design, shown on the real pair with the toolkit's own derived configs."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kaa.clients.connect_client import ConnectClient
from kaa.clients.kafka_admin import KafkaAdmin
from kaa.clients.pair_access import PairAccess
from kaa.clients.registry_client import RegistryClient
from kaa.direct_apply import ApplyResult, apply_schemas
from kaa.errors import RegistryError
from kaa.local import LocalPair
from kaa.topology.derive import derive
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology
from tests.integration import topology_fixture as fx
from tests.integration.kafka_helpers import as_user, committed, consume, eventually, produce, topic_names

STACK = Path(__file__).parent / "stacks" / "itest.yaml"


@pytest.fixture(scope="module")
def topology() -> Topology:
    return load_topology(STACK)


@pytest.fixture(scope="module")
def access(local_pair: LocalPair, topology: Topology) -> PairAccess:
    return PairAccess.from_status(local_pair.status_document(), {a: fx.MM2_PASSWORD for a in topology.aliases})


@pytest.fixture(scope="module")
def applied(topology: Topology, access: PairAccess) -> Iterator[ApplyResult]:
    fx.remove(topology, access)
    result = fx.apply(topology, access)
    yield result
    fx.remove(topology, access)


def admin(access: PairAccess, alias: str) -> KafkaAdmin:
    return KafkaAdmin(access[alias].kafka, alias)


def test_topics_exist_on_both_clusters_with_identical_partitions_and_configs(applied, topology, access):
    live = {a: admin(access, a).topics() for a in topology.aliases}
    configs = {a: admin(access, a).topic_configs([t.name for t in topology.topics]) for a in topology.aliases}
    for topic in topology.topics:
        for alias in topology.aliases:
            assert live[alias][topic.name].partitions == topic.partitions
            assert live[alias][topic.name].replication_factor == topic.replication_factor
            assert configs[alias][topic.name] == dict(topic.config), (alias, topic.name)
    assert configs["K1"] == configs["K2"]


def test_connectors_run_on_the_connect_worker_of_their_target(applied, topology, access):
    for alias, state in derive(topology).items():
        client = ConnectClient(access[alias].connect)
        other = ConnectClient(access[topology.other(alias).alias].connect)
        for connector in state.connectors:
            assert connector.target == alias
            status = client.status(connector.name)
            assert status is not None and status["connector"]["state"] == "RUNNING", status
            assert all(t["state"] == "RUNNING" for t in status["tasks"]), status
            assert other.status(connector.name) is None, f"{connector.name} must not run on the source's Connect"


@pytest.mark.parametrize(("source", "target"), [("K1", "K2"), ("K2", "K1")])
def test_records_arrive_in_the_remote_topic_with_key_headers_timestamp_and_partition(applied, access, source,
                                                                                     target):
    stamp = int(time.time() * 1000) - 60_000
    marker = f"{source}-{time.monotonic_ns()}"
    records = [
        {"key": f"k{i}".encode(), "value": f"{marker}-{i}".encode(), "partition": i % 3,
         "headers": [("event-id", f"{marker}-{i}".encode()), ("origin", source.encode())], "timestamp": stamp + i}
        for i in range(6)
    ]
    produce(access[source].kafka, "it-orders", records)
    remote = f"{source}.it-orders"
    eventually(lambda: remote in topic_names(access[target].kafka), 60, f"{remote} created on {target}")
    seen = [m for m in consume(access[target].kafka, [remote], count=200, timeout=60)
            if m.value().decode().startswith(marker)]
    assert len(seen) == 6, f"expected 6 records in {remote} on {target}, saw {len(seen)}"
    by_value = {m.value().decode(): m for m in seen}
    for i, r in enumerate(records):
        m = by_value[r["value"].decode()]
        assert m.key() == r["key"]
        assert m.partition() == r["partition"]
        assert m.timestamp()[1] == stamp + i
        assert dict(m.headers()) == {k: v for k, v in r["headers"]}


def test_no_cycles_and_heartbeats_flow_both_ways(applied, topology, access):
    produce(access["K1"].kafka, "it-orders", [{"value": b"cycle-check", "partition": 0}])
    eventually(lambda: "K1.it-orders" in topic_names(access["K2"].kafka), 60, "K1.it-orders on K2")
    time.sleep(12)  # more than two topic refresh intervals: a cycle would have been created by now
    for alias in topology.aliases:
        names = topic_names(access[alias].kafka)
        cycles = sorted(n for n in names if n.count(".") >= 2 and n.split(".")[0] in topology.aliases
                        and n.split(".")[1] in topology.aliases)
        assert cycles == [], f"cycle topics on {alias}: {cycles}"
        assert f"{alias}.it-orders" not in names, f"{alias}'s own data mirrored back to {alias}"
        other = topology.other(alias).alias
        remote_heartbeats = f"{other}.heartbeats"
        eventually(lambda a=alias, rh=remote_heartbeats: rh in topic_names(access[a].kafka), 60,
                   f"{remote_heartbeats} on {alias}")
        beats = consume(access[alias].kafka, [remote_heartbeats], count=3, timeout=60)
        assert len(beats) >= 3, f"heartbeats from {other} are not arriving on {alias}"


def test_config_change_and_partition_increase_reach_the_remote_topic(applied, access):
    produce(access["K1"].kafka, "it-mutable", [{"value": b"x"}])
    eventually(lambda: "K1.it-mutable" in topic_names(access["K2"].kafka), 60, "K1.it-mutable on K2")
    source, target = admin(access, "K1"), admin(access, "K2")
    source.set_topic_configs({"it-mutable": {"retention.ms": "43200000"}})
    eventually(lambda: target.topic_configs(["K1.it-mutable"])["K1.it-mutable"].get("retention.ms") == "43200000",
               60, "retention.ms of K1.it-mutable synced to 43200000")
    source.add_partitions({"it-mutable": 2})
    eventually(lambda: target.topics()["K1.it-mutable"].partitions == 2, 60, "K1.it-mutable grown to 2 partitions")


def test_consumer_group_offsets_are_translated_to_the_other_cluster(applied, access):
    consumer_k1 = as_user(access["K1"].kafka, "it-consumer", fx.APP_USERS["it-consumer"])
    consumer_k2 = as_user(access["K2"].kafka, "it-consumer", fx.APP_USERS["it-consumer"])
    produce(access["K1"].kafka, "it-orders", [{"value": f"offset-{i}".encode(), "partition": 0} for i in range(300)])
    eventually(lambda: "K1.it-orders" in topic_names(access["K2"].kafka), 60, "K1.it-orders on K2")
    read = consume(consumer_k1, ["it-orders"], count=150, group="it-billing", commit=True, timeout=60)
    assert len(read) == 150
    source_offsets = committed(consumer_k1, "it-billing", "it-orders", 3)
    assert source_offsets, "the group committed nothing on K1"

    def translated() -> dict[int, int] | None:
        offsets = committed(consumer_k2, "it-billing", "K1.it-orders", 3)
        return offsets if offsets.get(0, 0) > 0 else None

    offsets = eventually(translated, 90, "it-billing's offsets synced to K1.it-orders on K2", interval=2)
    for partition, offset in offsets.items():
        assert 0 < offset <= source_offsets.get(partition, 0) + 1, (partition, offset, source_offsets)


def test_schemas_get_the_same_ids_and_an_out_of_band_registration_is_caught(applied, topology, access):
    ids = applied.schema_ids
    assert ids["K1"] == ids["K2"] and ids["K1"], ids
    for alias in topology.aliases:
        registry = RegistryClient(access[alias].schema_registry)
        for subject, subject_ids in ids[alias].items():
            assert [v.id for v in registry.all_versions(subject)] == subject_ids
    # Someone registers a schema in K2's registry only: the next registration through the toolkit must fail.
    k1, k2 = (RegistryClient(access[a].schema_registry) for a in topology.aliases)
    rogue = '{"type":"record","name":"Rogue","namespace":"it","fields":[{"name":"x","type":"string"}]}'
    k2.register("it-rogue-value", rogue, "AVRO")
    extra = load_topology(STACK)
    newer = '{"type":"record","name":"Later","namespace":"it","fields":[{"name":"y","type":"long"}]}'
    from dataclasses import replace

    from kaa.topology.model import SchemaVersion, SubjectSpec
    later = SubjectSpec("it-later-value", (SchemaVersion("later.avsc", "AVRO", newer),), "BACKWARD")
    extra = replace(extra, topics=tuple(replace(t, subjects=(*t.subjects, later)) if t.name == "it-mutable" else t
                                        for t in extra.topics))
    try:
        with pytest.raises(RegistryError, match="schema ID mismatch for subject 'it-later-value'"):
            apply_schemas(extra, access)
    finally:
        # Align the registries again: the same schema in K1's registry too, then drop the test subjects.
        k1.register("it-rogue-value", rogue, "AVRO")
        for client in (k1, k2):
            client.delete_subject("it-rogue-value", permanent=True)
            client.delete_subject("it-later-value", permanent=True)
    assert apply_schemas(load_topology(STACK), access)["K1"] == ids["K1"]


def test_acls_are_enforced_for_consumers_producers_and_mm2(applied, topology, access):
    consumer = as_user(access["K1"].kafka, "it-consumer", fx.APP_USERS["it-consumer"])
    producer = as_user(access["K1"].kafka, "it-producer", fx.APP_USERS["it-producer"])
    produce(producer, "it-orders", [{"value": b"from-producer"}])
    produce(access["K2"].kafka, "it-orders", [{"value": b"for-remote-read"}])
    eventually(lambda: "K2.it-orders" in topic_names(access["K1"].kafka), 60, "K2.it-orders on K1")
    assert consume(consumer, ["it-orders"], count=1, group="it-billing", timeout=30)
    assert consume(consumer, ["K2.it-orders"], count=1, group="it-billing", timeout=30)
    with pytest.raises(RuntimeError, match="TOPIC_AUTHORIZATION_FAILED|Not authorized|authoriz"):
        consume(consumer, ["it-customers"], count=1, group="it-billing", timeout=20)
    with pytest.raises(RuntimeError, match="GROUP_AUTHORIZATION_FAILED|authoriz"):
        consume(consumer, ["it-orders"], count=1, group="someone-elses-group", timeout=20)
    with pytest.raises(RuntimeError, match="TOPIC_AUTHORIZATION_FAILED|authoriz"):
        produce(producer, "K2.it-orders", [{"value": b"must-not-land"}])
    # The MM2 principal's derived set is enough: both flows replicated above, and every connector Connect runs
    # (what MM2 really logs in with, read back from the workers) uses it-mm2 on both clusters, never admin.
    for alias, state in derive(topology).items():
        client = ConnectClient(access[alias].connect)
        for connector in state.connectors:
            live = client.config(connector.name)
            assert live is not None, connector.name
            logins = {key: live[key] for key in live if key.endswith("sasl.jaas.config")}
            assert {"source.cluster.sasl.jaas.config", "target.cluster.sasl.jaas.config"} <= set(logins), connector.name
            for key, login in logins.items():
                assert 'username="it-mm2"' in login, f"{connector.name} {key} does not log in as it-mm2"


def test_registries_out_of_step_are_aligned_again(applied, topology, access):
    """After a one-sided registration, `align_id_counters` makes the next schema get the same ID on both sides."""
    from kaa.schemas.schema_sync import align_id_counters

    k1, k2 = (RegistryClient(access[a].schema_registry) for a in topology.aliases)
    tag = str(time.monotonic_ns())
    one_sided = json.dumps({"type": "record", "name": f"OneSided{tag}", "namespace": "it", "fields": []})
    k2.register(f"it-one-sided-{tag}", one_sided, "AVRO")
    assert align_id_counters(k1, k2) >= 2
    shared = json.dumps({"type": "record", "name": f"Shared{tag}", "namespace": "it", "fields": []})
    try:
        assert k1.register(f"it-shared-{tag}", shared, "AVRO") == k2.register(f"it-shared-{tag}", shared, "AVRO")
    finally:
        for client in (k1, k2):
            client.delete_subject(f"it-shared-{tag}", permanent=True)
            client.delete_subject(f"it-one-sided-{tag}", permanent=True)
