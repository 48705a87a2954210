"""MM2 settings that a wrong character would silently break: the topic allow-list is a list of regexes, the remote
topics' replication factor, the truststore and the login module of each side, and the tasks of each connector."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kaa.errors import SpecError
from kaa.mirror.mm2_render import SECRETS_FILE, render_connect, render_properties
from kaa.mirror.mm2_settings import flow_connectors, jaas_config, remote_replication_factor
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology


def stack(tmp_path: Path, topics: str, security: str = "{protocol: PLAINTEXT}", mirror: str = "{}") -> Topology:
    (tmp_path / "stack.yaml").write_text(f"""clusters:
  K1: {{bootstrap_servers: ["k1:9092"], schema_registry: "http://k1:8081", connect: "http://k1:8083",
       security: {security}}}
  K2: {{bootstrap_servers: ["k2:9092"], schema_registry: "http://k2:8081", connect: "http://k2:8083",
       security: {security}}}
defaults: {{partitions: 1, replication_factor: 1}}
mirror: {mirror}
topics:
{topics}""")
    return load_topology(tmp_path / "stack.yaml")


def configs(topology: Topology) -> dict[str, dict[str, str]]:
    return {c.kind: dict(c.config) for c in flow_connectors(topology, "K1", "K2")}


def allowed(pattern_list: str, topic: str) -> bool:
    """MM2 reads `topics` as a comma-separated list of regexes, each matched against the whole name."""
    return any(re.fullmatch(p.strip(), topic) for p in pattern_list.split(","))


def test_dots_in_topic_names_are_escaped_in_the_allow_list(tmp_path: Path) -> None:
    topology = stack(tmp_path, "  orders.v2: {}\n  payments: {}\n")
    for kind in ("source", "checkpoint"):
        topics = configs(topology)[kind]["topics"]
        assert allowed(topics, "orders.v2") and allowed(topics, "payments")
        assert not allowed(topics, "ordersXv2"), topics
        assert not allowed(topics, "orders.v2.extra") and not allowed(topics, "payments2")


def test_topics_that_opted_out_are_not_in_the_allow_list(tmp_path: Path) -> None:
    topics = configs(stack(tmp_path, "  orders: {}\n  audit: {mirror: false}\n"))["source"]["topics"]
    assert allowed(topics, "orders") and not allowed(topics, "audit")


def test_remote_topics_get_the_largest_replication_factor_asked_for(tmp_path: Path) -> None:
    topology = stack(tmp_path, "  a: {replication_factor: 2}\n  b: {replication_factor: 3}\n  c: {}\n")
    assert remote_replication_factor(topology) == 3
    assert configs(topology)["source"]["replication.factor"] == "3"
    assert [(t.name, t.replication_factor) for t in topology.topics] == [("a", 2), ("b", 3), ("c", 1)]


def test_an_explicit_mirror_replication_factor_wins(tmp_path: Path) -> None:
    topology = stack(tmp_path, "  a: {replication_factor: 3}\n", mirror="{replication_factor: 2}")
    assert configs(topology)["source"]["replication.factor"] == "2"


def test_topics_that_are_not_mirrored_do_not_raise_the_replication_factor(tmp_path: Path) -> None:
    topology = stack(tmp_path, "  a: {replication_factor: 2}\n  b: {replication_factor: 3, mirror: false}\n")
    assert configs(topology)["source"]["replication.factor"] == "2"


def test_the_truststore_reaches_both_clusters_clients(tmp_path: Path) -> None:
    topology = stack(tmp_path, "  a: {}\n", security="{protocol: SSL, ssl_truststore: /etc/kafka/ca.jks}")
    for kind, config in configs(topology).items():
        assert config["source.cluster.ssl.truststore.location"] == "/etc/kafka/ca.jks", kind
        assert config["target.cluster.ssl.truststore.location"] == "/etc/kafka/ca.jks", kind
        assert config["source.cluster.security.protocol"] == config["target.cluster.security.protocol"] == "SSL"
        assert "source.cluster.sasl.jaas.config" not in config


def test_a_pem_ca_file_is_read_as_a_pem_truststore(tmp_path: Path) -> None:
    topology = stack(tmp_path, "  a: {}\n", security="{protocol: SASL_SSL, sasl_mechanism: SCRAM-SHA-512, "
                     "ssl_truststore: /etc/kafka/ca.pem}")
    for kind, config in configs(topology).items():
        assert config["source.cluster.ssl.truststore.type"] == config["target.cluster.ssl.truststore.type"] == "PEM"
        assert config["target.cluster.security.protocol"] == "SASL_SSL", kind
        # the worker's producer writes to the target's listener (its own bootstrap): it verifies it with the CA too
        assert (config["producer.override.ssl.truststore.location"],
                config["producer.override.ssl.truststore.type"]) == ("/etc/kafka/ca.pem", "PEM"), kind
    jks = configs(stack(tmp_path, "  a: {}\n", security="{protocol: SSL, ssl_truststore: /etc/kafka/ca.jks}"))
    assert "source.cluster.ssl.truststore.type" not in jks["source"]  # JKS is Kafka's default


def test_without_a_truststore_no_location_is_set(tmp_path: Path) -> None:
    config = configs(stack(tmp_path, "  a: {}\n", security="{protocol: SSL}"))["source"]
    assert not [k for k in config if "truststore" in k]


@pytest.mark.parametrize(("mechanism", "module"), [
    ("PLAIN", "org.apache.kafka.common.security.plain.PlainLoginModule"),
    ("SCRAM-SHA-256", "org.apache.kafka.common.security.scram.ScramLoginModule"),
    ("SCRAM-SHA-512", "org.apache.kafka.common.security.scram.ScramLoginModule"),
])
def test_the_login_module_follows_the_sasl_mechanism(tmp_path: Path, mechanism: str, module: str) -> None:
    topology = stack(tmp_path, "  a: {}\n", security=f"{{protocol: SASL_SSL, sasl_mechanism: {mechanism}}}")
    assert jaas_config(topology, "K1", "pw") == f'{module} required username="mm2" password="pw";'
    source = configs(topology)["source"]
    assert source["source.cluster.sasl.mechanism"] == source["producer.override.sasl.mechanism"] == mechanism


def test_only_the_source_connector_runs_more_than_one_task(tmp_path: Path) -> None:
    by_kind = configs(stack(tmp_path, "  a: {}\n", mirror="{tasks_max: 4}"))
    assert {k: c["tasks.max"] for k, c in by_kind.items()} == {"source": "4", "checkpoint": "1", "heartbeat": "1"}


def test_an_encrypted_client_key_adds_its_password_everywhere_the_keystore_goes(tmp_path: Path) -> None:
    mtls = "{protocol: SSL, ssl_truststore: /ca.pem, ssl_client_cert: /c.pem, ssl_client_key: /k.pem"
    plain = configs(stack(tmp_path, "  a: {}\n", security=mtls + "}"))["source"]
    assert not [k for k in plain if k.endswith("ssl.key.password")]
    topology = stack(tmp_path, "  a: {}\n", security=mtls + ", ssl_client_key_encrypted: true}")
    config = configs(topology)["source"]
    for prefix in ("source.cluster.", "target.cluster.", "producer.override."):
        alias = "K1" if prefix == "source.cluster." else "K2"
        assert config[prefix + "ssl.keystore.key"] == f"${{kaa:tls:{alias}:key}}"
        assert config[prefix + "ssl.key.password"] == f"${{kaa:tls:{alias}:key_password}}"
    properties = render_properties(topology)
    assert f"K1.ssl.key.password = ${{file:{SECRETS_FILE}:K1.ssl.key.password}}" in properties
    connect = json.loads(render_connect(topology))["connect_clusters"]["K2"]["connectors"][0]["config"]
    assert connect["source.cluster.ssl.key.password"] == f"${{file:{SECRETS_FILE}:K1.ssl.key.password}}"
    assert connect["source.cluster.ssl.keystore.key"] == "${dir:/:k.pem}"


def test_ssl_client_key_encrypted_needs_a_key(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as exc:
        stack(tmp_path, "  a: {}\n", security="{protocol: SSL, ssl_client_key_encrypted: true}")
    assert any("clusters.K1.security.ssl_client_key_encrypted: needs ssl_client_key" in p for p in exc.value.problems)
