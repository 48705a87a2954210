"""Both clusters' desired state from one topology: topics, remote topics, MM2 connectors, schema order."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from kaa.mirror.mm2_settings import (
    BYTE_ARRAY,
    CONNECTOR_CLASSES,
    REPLICATION_POLICY,
    Connector,
    all_connectors,
    flow_connectors,
)
from kaa.topology import naming
from kaa.topology.derive import derive, registration_order
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology

ROOT = Path(__file__).resolve().parents[2]
LOCAL_TOPICS = {"customers", "orders", "payments", "shipments"}
KINDS = ("source", "checkpoint", "heartbeat")


def test_both_clusters_hold_the_same_local_topics(local: Topology) -> None:
    state = derive(local)
    assert list(state) == ["K1", "K2"]
    written = yaml.safe_load((ROOT / "stacks" / "base.yaml").read_text())["topics"]
    for alias in ("K1", "K2"):
        # compared with the stack file itself, not with the model derive() was given
        assert {t.name: t.partitions for t in state[alias].topics} == {n: b["partitions"] for n, b in written.items()}
        producers = {n: tuple(b["producers"]) for n, b in written.items()}
        assert {t.name: t.producers for t in state[alias].topics} == producers
    assert {t.name for t in state["K1"].topics} == LOCAL_TOPICS
    orders = next(t for t in state["K1"].topics if t.name == "orders")
    assert (orders.partitions, orders.replication_factor) == (6, 1)
    assert dict(orders.config) == {
        "cleanup.policy": "delete",
        "retention.ms": "604800000",
        "compression.type": "zstd",
        "min.insync.replicas": "1",
    }


def test_remote_topics_are_expected_on_the_other_cluster(local: Topology) -> None:
    state = derive(local)
    assert {r.name for r in state["K2"].remote_topics} == {f"K1.{t}" for t in LOCAL_TOPICS} | {"K1.heartbeats"}
    assert {r.name for r in state["K1"].remote_topics} == {f"K2.{t}" for t in LOCAL_TOPICS} | {"K2.heartbeats"}
    k1_orders = next(r for r in state["K2"].remote_topics if r.name == "K1.orders")
    assert (k1_orders.source_alias, k1_orders.source_topic) == ("K1", "orders")
    for alias, cluster in state.items():
        other = local.other(alias).alias
        assert all(r.source_alias == other for r in cluster.remote_topics)
        assert all(naming.topic_source(r.name) == other for r in cluster.remote_topics)


def test_no_remote_topic_is_among_the_local_topics(local: Topology) -> None:
    for cluster in derive(local).values():
        local_names = {t.name for t in cluster.topics}
        assert local_names.isdisjoint(r.name for r in cluster.remote_topics)
        assert local_names.isdisjoint(cluster.mm2_internal_topics)
        assert all(naming.topic_source(name) not in local.aliases for name in local_names)


def test_mm2_internal_topics_per_cluster(local: Topology) -> None:
    # K1 holds mm2-offset-syncs.K2.internal, K2.checkpoints.internal and heartbeats; K2 mirrors this.
    state = derive(local)
    assert set(state["K1"].mm2_internal_topics) == {"heartbeats", "K2.checkpoints.internal",
                                                    "mm2-offset-syncs.K2.internal"}
    assert set(state["K2"].mm2_internal_topics) == {"heartbeats", "K1.checkpoints.internal",
                                                    "mm2-offset-syncs.K1.internal"}


def test_each_flow_runs_on_the_connect_cluster_of_its_target(local: Topology) -> None:
    state = derive(local)
    on_k2, on_k1 = state["K2"].connectors, state["K1"].connectors
    assert [c.name for c in on_k2] == ["mm2-k1-k2-source", "mm2-k1-k2-checkpoint", "mm2-k1-k2-heartbeat"]
    assert [c.name for c in on_k1] == ["mm2-k2-k1-source", "mm2-k2-k1-checkpoint", "mm2-k2-k1-heartbeat"]
    assert {(c.source, c.target, c.runs_on) for c in on_k2} == {("K1", "K2", "K2")}
    assert {(c.source, c.target, c.runs_on) for c in on_k1} == {("K2", "K1", "K1")}
    for connector in on_k1 + on_k2:
        assert connector.config["connector.class"] == CONNECTOR_CLASSES[connector.kind]
        assert connector.config["source.cluster.alias"] == connector.source
        assert connector.config["target.cluster.alias"] == connector.target


@pytest.mark.parametrize("runtime", ["dedicated", "strimzi"])
def test_no_connector_goes_on_connect_when_mm2_runs_elsewhere(local: Topology, runtime: str) -> None:
    topology = replace(local, mirror=replace(local.mirror, runtime=runtime))
    assert all_connectors(topology) == ()
    assert {alias: s.connectors for alias, s in derive(topology).items()} == {"K1": (), "K2": ()}
    assert len(all_connectors(local)) == 6  # the default runtime, connect, deploys all six


def _swapped(config: dict[str, str], topology: Topology) -> dict[str, str]:
    """The config with K1 and K2 exchanged: aliases, bootstrap servers and credential placeholders."""
    k1, k2 = topology.clusters
    swap = {
        k1.alias: k2.alias,
        k2.alias: k1.alias,
        k1.bootstrap: k2.bootstrap,
        k2.bootstrap: k1.bootstrap,
        f"${{kaa:jaas:{k1.alias}}}": f"${{kaa:jaas:{k2.alias}}}",
        f"${{kaa:jaas:{k2.alias}}}": f"${{kaa:jaas:{k1.alias}}}",
    }
    return {key: swap.get(value, value) for key, value in config.items()}


@pytest.mark.parametrize("stack_name", ["local", "prod"])
@pytest.mark.parametrize("kind", KINDS)
def test_the_two_directions_differ_only_by_the_swapped_aliases(stacks, stack_name: str, kind: str) -> None:
    topology = stacks(stack_name)
    k1_to_k2 = {c.kind: c for c in flow_connectors(topology, "K1", "K2")}[kind]
    k2_to_k1 = {c.kind: c for c in flow_connectors(topology, "K2", "K1")}[kind]
    assert _swapped(dict(k1_to_k2.config), topology) == dict(k2_to_k1.config)
    differing = {k for k in k1_to_k2.config if k1_to_k2.config[k] != k2_to_k1.config[k]}
    allowed = {"source.cluster.alias", "target.cluster.alias", "source.cluster.bootstrap.servers",
               "target.cluster.bootstrap.servers", "source.cluster.sasl.jaas.config",
               "target.cluster.sasl.jaas.config", "producer.override.sasl.jaas.config",
               "producer.override.bootstrap.servers"}
    assert differing <= allowed
    assert {"source.cluster.alias", "target.cluster.alias", "target.cluster.bootstrap.servers",
            "producer.override.bootstrap.servers"} <= differing
    # the worker's producer writes to the target's listener (the stack's), not whichever the worker uses itself
    assert k1_to_k2.config["producer.override.bootstrap.servers"] == topology.cluster("K2").bootstrap


def _by_kind(connectors: tuple[Connector, ...]) -> dict[str, dict[str, str]]:
    return {c.kind: dict(c.config) for c in connectors}


def test_connector_configs_follow_the_active_active_rules(local: Topology) -> None:
    configs = _by_kind(flow_connectors(local, "K1", "K2"))
    for config in configs.values():
        assert config["replication.policy.class"] == REPLICATION_POLICY
        assert config["replication.policy.separator"] == "."
        assert config["producer.override.acks"] == "all"
        assert config["producer.override.enable.idempotence"] == "true"
        assert {config["key.converter"], config["value.converter"], config["header.converter"]} == {BYTE_ARRAY}
        assert config["target.cluster.bootstrap.servers"] == "127.0.0.1:29092"
        assert config["target.cluster.sasl.jaas.config"] == "${kaa:jaas:K2}"
        assert config["producer.override.sasl.jaas.config"] == "${kaa:jaas:K2}"  # writes into K2 as the MM2 user
    source, checkpoint, heartbeat = configs["source"], configs["checkpoint"], configs["heartbeat"]
    assert source["topics"] == "customers, orders, payments, shipments"
    excluded = source["topics.exclude"].split(", ")
    assert {"_schemas", "connect-.*", r".*[\-\.]internal", "__.*"} <= set(excluded)
    assert source["sync.topic.acls.enabled"] == "false"
    assert source["sync.topic.configs.enabled"] == "true"
    assert source["offset-syncs.topic.location"] == "source"
    assert source["replication.factor"] == "1"
    assert source["tasks.max"] == "1"
    assert checkpoint["groups"] == "analytics-customers, analytics-orders, analytics-shipments, billing"
    assert checkpoint["sync.group.offsets.enabled"] == "true"
    assert checkpoint["emit.checkpoints.enabled"] == "true"
    assert checkpoint["checkpoints.topic.replication.factor"] == "1"
    assert heartbeat["emit.heartbeats.enabled"] == "true"
    assert heartbeat["heartbeats.topic.replication.factor"] == "1"


def test_prod_uses_the_environments_replication_factors_and_tasks(prod: Topology) -> None:
    configs = _by_kind(flow_connectors(prod, "K1", "K2"))
    assert configs["source"]["tasks.max"] == "4"
    assert configs["source"]["replication.factor"] == "3"
    assert configs["source"]["offset-syncs.topic.replication.factor"] == "3"
    assert configs["checkpoint"]["checkpoints.topic.replication.factor"] == "3"
    assert configs["heartbeat"]["heartbeats.topic.replication.factor"] == "3"
    assert configs["source"]["source.cluster.security.protocol"] == "SASL_SSL"


def test_registration_order_is_one_sequence_for_both_registries(local: Topology) -> None:
    assert registration_order(local) == [
        ("customers-value", 0, "schemas/customers-value.json"),
        ("orders-value", 0, "schemas/orders-value-v1.avsc"),
        ("payments-key", 0, "schemas/payments-key.avsc"),
        ("payments-value", 0, "schemas/payments-value.avsc"),
        ("shipments-value", 0, "schemas/shipments-value.proto"),
    ]
    state = derive(local)
    for alias in ("K1", "K2"):
        assert [(s.subject, [v.path for v in s.versions]) for s in state[alias].subjects] == [
            (subject, [path]) for subject, _, path in registration_order(local)
        ]


AVRO = '{"type": "record", "name": "%s", "fields": [{"name": "id", "type": "string"}%s]}'
CLUSTERS = """clusters:
  K1: {bootstrap_servers: ["k1:9092"], schema_registry: "http://k1:8081", connect: "http://k1:8083"}
  K2: {bootstrap_servers: ["k2:9092"], schema_registry: "http://k2:8081", connect: "http://k2:8083"}
defaults: {partitions: 1, replication_factor: 1}
"""


def _write_stack(tmp_path: Path, topics: str) -> Path:
    (tmp_path / "v1.avsc").write_text(AVRO % ("V", ""))
    (tmp_path / "v2.avsc").write_text(AVRO % ("V", ', {"name": "n", "type": ["null", "long"], "default": null}'))
    (tmp_path / "k.avsc").write_text(AVRO % ("K", ""))
    stack = tmp_path / "stack.yaml"
    stack.write_text(CLUSTERS + topics)
    return stack


def test_registration_order_keeps_versions_oldest_first_and_keys_before_values(tmp_path: Path) -> None:
    stack = _write_stack(tmp_path, """topics:
  zebra: {schema: {value: [v1.avsc, v2.avsc], key: k.avsc}}
  alpha: {schema: {value: v2.avsc}}
""")
    assert registration_order(load_topology(stack)) == [
        ("alpha-value", 0, "v2.avsc"),
        ("zebra-key", 0, "k.avsc"),
        ("zebra-value", 0, "v1.avsc"),
        ("zebra-value", 1, "v2.avsc"),
    ]


def test_an_unmirrored_topic_has_no_remote_twin(tmp_path: Path) -> None:
    stack = _write_stack(tmp_path, """topics:
  orders: {consumers: [{principal: "User:billing", group: billing}]}
  audit: {mirror: false, consumers: [{principal: "User:auditor", group: audit}]}
""")
    topology = load_topology(stack)
    state = derive(topology)
    assert {t.name for t in state["K1"].topics} == {"audit", "orders"}
    assert {r.name for r in state["K2"].remote_topics} == {"K1.orders", "K1.heartbeats"}
    source = _by_kind(state["K2"].connectors)["source"]
    assert source["topics"] == "orders"
    assert _by_kind(state["K2"].connectors)["checkpoint"]["groups"] == "billing"
    auditor = {(a.resource_type, a.resource_name) for a in state["K1"].acls if a.principal == "User:auditor"}
    assert auditor == {("TOPIC", "audit"), ("GROUP", "audit")}
    mm2_topics = {a.resource_name for a in state["K1"].acls if a.principal == "User:mm2" and a.resource_type == "TOPIC"}
    assert "audit" not in mm2_topics and "orders" in mm2_topics


def test_the_throughput_profile_tunes_only_the_source_tasks_clients(local: Topology) -> None:
    tuned = replace(local, mirror=replace(local.mirror, profile="throughput"))
    for plain, fast in zip(all_connectors(local), all_connectors(tuned), strict=True):
        added = {k: v for k, v in fast.config.items() if k not in plain.config}
        assert {k: v for k, v in fast.config.items() if k in plain.config} == dict(plain.config)
        if plain.kind != "source":
            assert added == {}
            continue
        assert added == {
            "producer.override.batch.size": "262144", "producer.override.linger.ms": "20",
            "producer.override.compression.type": "lz4", "producer.override.max.in.flight.requests.per.connection": "5",
            "source.consumer.max.poll.records": "2000", "source.consumer.fetch.min.bytes": "65536",
            "source.consumer.fetch.max.wait.ms": "100"}
        # Same semantics as the default profile: durable, no duplicates on retry.
        assert (fast.config["producer.override.acks"], fast.config["producer.override.enable.idempotence"]) == (
            "all", "true")
