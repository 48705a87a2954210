"""`kaa render mm2` outputs, compared exactly with tests/golden/render/<stack>/ (KAA_UPDATE_GOLDEN=1 rewrites).

Beyond the exact text: secrets appear only as references, both flows are present, and every format keeps the
active-active rules (DefaultReplicationPolicy, ACL sync off, idempotent acks=all producers).
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from kaa.mirror.mm2_render import SECRETS_FILE, render_connect, render_properties, render_strimzi
from kaa.mirror.mm2_settings import REPLICATION_POLICY
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology

ROOT = Path(__file__).resolve().parents[2]
RENDER = ROOT / "tests" / "golden" / "render"
STACKS = ("local", "prod")
FILES = {"mm2.properties": render_properties, "connect.json": render_connect, "strimzi.yaml": render_strimzi}
FLOWS = (("K1", "K2"), ("K2", "K1"))


@pytest.mark.parametrize("file_name", sorted(FILES))
@pytest.mark.parametrize("stack", STACKS)
def test_render_matches_golden(stacks: Callable[[str], Topology], golden: Callable[[Path, str], None],
                               stack: str, file_name: str) -> None:
    golden(RENDER / stack / file_name, FILES[file_name](stacks(stack)))


def _properties(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition(" = ")
            assert key not in out, f"{key} set twice"
            out[key] = value
    return out


def _connectors(text: str) -> list[dict[str, Any]]:
    return [c for cluster in json.loads(text)["connect_clusters"].values() for c in cluster["connectors"]]


@pytest.mark.parametrize("stack", STACKS)
def test_no_password_value_is_rendered(stacks: Callable[[str], Topology], stack: str) -> None:
    topology = stacks(stack)
    for render in FILES.values():
        text = render(topology)
        assert "${kaa:" not in text  # every internal placeholder was resolved to a reference
        passwords = re.findall(r'password=\\?"([^"\\]*)', text)
        assert passwords or render is render_strimzi  # both stacks use SASL: the check is not vacuous
        for password in passwords:
            assert password.startswith(f"${{file:{SECRETS_FILE}:"), password
    properties = _properties(render_properties(topology))
    for alias in topology.aliases:
        jaas = properties[f"{alias}.sasl.jaas.config"]
        assert f'password="${{file:{SECRETS_FILE}:{alias}.password}}"' in jaas
    for connector in _connectors(render_connect(topology)):
        for key, value in connector["config"].items():
            if key.endswith("sasl.jaas.config"):
                assert re.search(r'password="\$\{file:[^}]+\}";$', value), (connector["name"], key)
    for document in yaml.safe_load_all(render_strimzi(topology)):
        for cluster in (document["spec"]["target"], *(m["source"] for m in document["spec"]["mirrors"])):
            authentication = cluster["authentication"]
            assert set(authentication) == {"type", "username", "passwordSecret"}
            assert set(authentication["passwordSecret"]) == {"secretName", "password"}


@pytest.mark.parametrize("stack", STACKS)
def test_mm2_properties_keep_the_active_active_rules(stacks: Callable[[str], Topology], stack: str) -> None:
    properties = _properties(render_properties(stacks(stack)))
    assert properties["clusters"] == "K1, K2"
    for source, target in FLOWS:
        assert properties[f"{source}->{target}.enabled"] == "true"
    assert properties["replication.policy.class"] == REPLICATION_POLICY
    assert properties["replication.policy.separator"] == "."
    assert properties["sync.topic.acls.enabled"] == "false"
    assert properties["sync.group.offsets.enabled"] == "true"
    assert properties["emit.heartbeats.enabled"] == "true"
    assert properties["emit.checkpoints.enabled"] == "true"
    assert {"_schemas", "connect-.*"} <= set(properties["topics.exclude"].split(", "))
    for alias in ("K1", "K2"):
        assert properties[f"{alias}.producer.acks"] == "all"
        assert properties[f"{alias}.producer.enable.idempotence"] == "true"


@pytest.mark.parametrize("stack", STACKS)
def test_connect_json_runs_each_flow_on_its_target(stacks: Callable[[str], Topology], stack: str) -> None:
    topology = stacks(stack)
    clusters = json.loads(render_connect(topology))["connect_clusters"]
    assert {target: c["flow"] for target, c in clusters.items()} == {"K2": "K1->K2", "K1": "K2->K1"}
    for target, cluster in clusters.items():
        assert cluster["url"] == topology.cluster(target).connect
        source = topology.other(target).alias
        names = [c["name"] for c in cluster["connectors"]]
        assert names == [f"mm2-{source.lower()}-{target.lower()}-{kind}" for kind in ("source", "checkpoint",
                                                                                      "heartbeat")]
        for connector in cluster["connectors"]:
            config = connector["config"]
            assert (config["source.cluster.alias"], config["target.cluster.alias"]) == (source, target)
            assert config["replication.policy.class"] == REPLICATION_POLICY
            assert config["producer.override.acks"] == "all"
            assert config["producer.override.enable.idempotence"] == "true"
            assert all(isinstance(v, str) for v in config.values())  # Connect wants strings
        assert cluster["connectors"][0]["config"]["sync.topic.acls.enabled"] == "false"


@pytest.mark.parametrize("stack", STACKS)
def test_strimzi_has_one_resource_per_target(stacks: Callable[[str], Topology], stack: str) -> None:
    documents = list(yaml.safe_load_all(render_strimzi(stacks(stack))))
    assert [d["kind"] for d in documents] == ["KafkaMirrorMaker2", "KafkaMirrorMaker2"]
    for document, (source, target) in zip(documents, FLOWS, strict=True):
        spec = document["spec"]
        assert spec["target"]["alias"] == target
        (mirror,) = spec["mirrors"]
        assert mirror["source"]["alias"] == source
        assert mirror["sourceConnector"]["config"]["replication.policy.class"] == REPLICATION_POLICY
        assert mirror["sourceConnector"]["config"]["sync.topic.acls.enabled"] == "false"
        # The worker's group and internal topics are those the MM2 principal's ACLs grant (dedicated defaults).
        assert spec["target"]["groupId"] == f"{source}-mm2"
        assert [spec["target"][f"{kind}StorageTopic"] for kind in ("config", "offset", "status")] == [
            f"mm2-{kind}.{source}.internal" for kind in ("configs", "offsets", "status")]
        target_config = spec["target"]["config"]
        assert target_config["producer.acks"] == "all"
        assert target_config["producer.enable.idempotence"] == "true"


@pytest.mark.parametrize("stack", STACKS)
def test_identity_replication_policy_is_never_rendered(stacks: Callable[[str], Topology], stack: str) -> None:
    for render in FILES.values():
        assert "IdentityReplicationPolicy" not in render(stacks(stack))


def test_the_throughput_profile_reaches_every_render(stacks: Callable[[str], Topology]) -> None:
    local = stacks("local")
    tuned = replace(local, mirror=replace(local.mirror, profile="throughput"))
    properties = _properties(render_properties(tuned))
    assert {k: v for k, v in properties.items() if k not in _properties(render_properties(local))} == {
        "source.consumer.max.poll.records": "2000", "source.consumer.fetch.min.bytes": "65536",
        "source.consumer.fetch.max.wait.ms": "100",
        **{f"{alias}.producer.{k}": v for alias in ("K1", "K2") for k, v in (
            ("batch.size", "262144"), ("linger.ms", "20"), ("compression.type", "lz4"),
            ("max.in.flight.requests.per.connection", "5"))}}
    for document in yaml.safe_load_all(render_strimzi(tuned)):
        spec = document["spec"]
        assert spec["target"]["config"]["producer.linger.ms"] == "20"
        assert spec["mirrors"][0]["sourceConnector"]["config"]["source.consumer.max.poll.records"] == "2000"
        assert "source.consumer.max.poll.records" not in spec["mirrors"][0]["checkpointConnector"]["config"]
    connectors = _connectors(render_connect(tuned))
    assert [c["config"].get("producer.override.linger.ms") for c in connectors] == ["20", None, None] * 2


# Golden cases whose input stack sits beside the expected renders (tests/golden/render/<case>/stack.yaml).
CASES = ("tls", "mtls")


def case(name: str) -> Topology:
    return load_topology(RENDER / name / "stack.yaml", name=name)


@pytest.mark.parametrize("file_name", sorted(FILES))
@pytest.mark.parametrize("name", CASES)
def test_render_of_a_case_matches_golden(golden: Callable[[Path, str], None], name: str, file_name: str) -> None:
    golden(RENDER / name / file_name, FILES[file_name](case(name)))


TRUSTSTORES = {"K1": "/etc/kafka/tls/k1-ca.pem", "K2": "/etc/kafka/tls/k2-truststore.p12"}
LOGIN = {"K1": "org.apache.kafka.common.security.scram.ScramLoginModule",
         "K2": "org.apache.kafka.common.security.plain.PlainLoginModule"}


def _truststore(alias: str) -> dict[str, str]:
    """What a client of `alias` needs to trust its brokers: the location, and the type (PEM) or a password
    reference (PKCS12)."""
    extra = {"ssl.truststore.type": "PEM"} if alias == "K1" else \
        {"ssl.truststore.password": f"${{file:{SECRETS_FILE}:K2.ssl.truststore.password}}"}
    return {"ssl.truststore.location": TRUSTSTORES[alias], **extra}


def test_the_truststore_reaches_every_client_config() -> None:
    topology = case("tls")
    properties = _properties(render_properties(topology))
    for alias in ("K1", "K2"):
        assert {k: properties[f"{alias}.{k}"] for k in _truststore(alias)} == _truststore(alias)
        assert properties[f"{alias}.security.protocol"] == "SASL_SSL"
    for connector in _connectors(render_connect(topology)):
        config = connector["config"]
        for role in ("source", "target"):
            alias = config[f"{role}.cluster.alias"]
            assert {k: config.get(f"{role}.cluster.{k}") for k in _truststore(alias)} == _truststore(alias), \
                (connector["name"], role)
    for document in yaml.safe_load_all(render_strimzi(topology)):
        for cluster in (document["spec"]["target"], document["spec"]["mirrors"][0]["source"]):
            assert cluster["tls"] == {"trustedCertificates": [
                {"secretName": f"{cluster['alias'].lower()}-cluster-ca-cert", "pattern": "*.crt"}]}


def test_plain_logs_in_with_the_plain_login_module_and_scram_with_scram() -> None:
    topology = case("tls")
    properties = _properties(render_properties(topology))
    for alias in ("K1", "K2"):
        assert properties[f"{alias}.sasl.mechanism"] == ("SCRAM-SHA-512" if alias == "K1" else "PLAIN")
        assert properties[f"{alias}.sasl.jaas.config"] == (
            f'{LOGIN[alias]} required username="mm2" password="${{file:{SECRETS_FILE}:{alias}.password}}";')
    for connector in _connectors(render_connect(topology)):
        config = connector["config"]
        target = config["target.cluster.alias"]
        for prefix, alias in (("source.cluster.", config["source.cluster.alias"]), ("target.cluster.", target),
                              ("producer.override.", target)):
            if prefix == "producer.override." and "MirrorSourceConnector" not in config["connector.class"]:
                continue
            assert config[f"{prefix}sasl.jaas.config"].startswith(f"{LOGIN[alias]} required "), (connector["name"],
                                                                                                prefix)
    for document in yaml.safe_load_all(render_strimzi(topology)):
        for cluster in (document["spec"]["target"], document["spec"]["mirrors"][0]["source"]):
            assert cluster["authentication"] == {
                "type": "scram-sha-512" if cluster["alias"] == "K1" else "plain", "username": "mm2",
                "passwordSecret": {"secretName": f"mm2-{cluster['alias'].lower()}-credentials",
                                   "password": "password"}}


def _keystore(alias: str) -> dict[str, str]:
    folder = f"/etc/kafka/tls/{alias.lower()}"
    return {"ssl.keystore.type": "PEM", "ssl.keystore.certificate.chain": f"${{dir:{folder}:mm2.crt}}",
            "ssl.keystore.key": f"${{dir:{folder}:mm2.key}}"}


def test_a_client_certificate_reaches_mm2_as_a_pem_keystore_of_references() -> None:
    topology = case("mtls")
    properties = _properties(render_properties(topology))
    assert properties["config.providers"] == "file,dir"
    assert properties["config.providers.dir.class"] == \
        "org.apache.kafka.common.config.provider.DirectoryConfigProvider"
    for alias in ("K1", "K2"):
        assert {k: properties.get(f"{alias}.{k}") for k in _keystore(alias)} == _keystore(alias)
    assert properties["K1.security.protocol"] == "SSL" and "K1.sasl.jaas.config" not in properties
    for connector in _connectors(render_connect(topology)):
        config = connector["config"]
        target = config["target.cluster.alias"]
        roles = [("source.cluster.", config["source.cluster.alias"]), ("target.cluster.", target)]
        if "MirrorSourceConnector" in config["connector.class"]:
            roles.append(("producer.override.", target))  # the worker's producer writes as MM2
        for prefix, alias in roles:
            assert {k: config.get(prefix + k) for k in _keystore(alias)} == _keystore(alias), (connector["name"],
                                                                                                prefix)
    for document in yaml.safe_load_all(render_strimzi(topology)):
        for cluster in (document["spec"]["target"], document["spec"]["mirrors"][0]["source"]):
            expected = {"type": "tls", "certificateAndKey": {"secretName": "mm2-k1-client-cert",
                                                             "certificate": "tls.crt", "key": "tls.key"}} \
                if cluster["alias"] == "K1" else {"type": "scram-sha-256", "username": "mm2", "passwordSecret": {
                    "secretName": "mm2-k2-credentials", "password": "password"}}
            assert cluster["authentication"] == expected
    for render in FILES.values():
        assert "BEGIN" not in render(topology)  # references, never a certificate or key


@pytest.mark.parametrize("name", CASES)
def test_no_secret_value_is_rendered_on_a_tls_estate(name: str) -> None:
    """Every password-like setting of every client prefix is a config-provider reference."""
    topology = case(name)
    secret_like = re.compile(r"(password|keystore\.key|certificate\.chain)$")
    properties = _properties(render_properties(topology))
    configs = [properties] + [c["config"] for c in _connectors(render_connect(topology))]
    checked = 0
    for config in configs:
        for key, value in config.items():
            if secret_like.search(key):
                checked += 1
                assert re.fullmatch(r"\$\{(file|dir):[^}]+\}", value), (key, value)
            if key.endswith("sasl.jaas.config"):
                checked += 1
                assert re.search(r'password="\$\{file:[^}]+\}";$', value), (key, value)
    assert checked >= 10  # the case has secrets to check
