"""How a pair is reached outside Pulumi: every credential and TLS file lands where the clients use it, comes from
the documented place, and never shows in what a command prints."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from kaa.cli.cmd_drift import secrets_of
from kaa.clients.pair_access import SETTINGS, PairAccess, config_name, env_name
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology

ROOT = Path(__file__).resolve().parents[2]
TLS_STATUS = {"clusters": {"K1": {
    "kafka": {"bootstrap.servers": "127.0.0.1:19192", "security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN",
              "sasl.username": "admin", "sasl.password": "kafka-Pw-1", "ssl.ca.location": "/state/tls/ca.pem"},
    "schema_registry": "https://127.0.0.1:18444/apis/ccompat/v7", "connect": "https://127.0.0.1:18443",
    "schema_registry_auth": {"username": "registry-admin", "password": "registry-Pw-2"},
    "connect_auth": {"username": "connect-admin", "password": "connect-Pw-3"},
    "ca_file": "/state/tls/http-ca.pem",
}}}


@pytest.fixture
def prod() -> Topology:
    return load_topology(ROOT / "stacks" / "prod.yaml")


def test_the_local_status_document_gives_every_client_its_credentials_and_ca() -> None:
    side = PairAccess.from_status(TLS_STATUS, {"K1": "mm2-Pw-4"})["K1"]
    registry, connect = side.registry_client(alias="K1"), side.connect_client()
    assert registry.headers["authorization"].startswith("Basic ")
    assert registry.pool.ca_certs == "/state/tls/http-ca.pem"
    assert connect.session.auth == ("connect-admin", "connect-Pw-3")
    assert connect.tls_options == {"verify": "/state/tls/http-ca.pem"}
    assert sorted(side.secrets()) == ["connect-Pw-3", "kafka-Pw-1", "mm2-Pw-4", "registry-Pw-2"]


def test_an_https_pair_without_its_own_http_ca_is_verified_against_the_kafka_ca() -> None:
    entry = {k: v for k, v in TLS_STATUS["clusters"]["K1"].items() if k != "ca_file"}
    side = PairAccess.from_status({"clusters": {"K1": entry}}, {})["K1"]
    assert side.http_tls.ca_file == "/state/tls/ca.pem"


def test_redacted_and_drift_scrubbing_cover_every_secret() -> None:
    access = PairAccess.from_status(TLS_STATUS, {"K1": "mm2-Pw-4"})
    shown = json.dumps(access["K1"].redacted())
    assert not any(s in shown for s in ("kafka-Pw-1", "registry-Pw-2", "connect-Pw-3", "mm2-Pw-4"))
    assert "registry-admin:***" in shown and "connect-admin:***" in shown
    assert set(secrets_of(access)) == {"kafka-Pw-1", "registry-Pw-2", "connect-Pw-3", "mm2-Pw-4"}


def test_every_setting_is_read_from_its_environment_variable(prod: Topology, tmp_path: Path) -> None:
    environ = {env_name(alias, setting): f"{alias}-{setting}" for alias in prod.aliases for setting in SETTINGS}
    side = PairAccess.from_env(prod, environ)["K2"]
    assert dict(side.kafka) == {
        "bootstrap.servers": prod.cluster("K2").bootstrap, "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "K2-admin_username", "sasl.password": "K2-admin_password",
        "ssl.ca.location": "K2-kafka_ca_file", "ssl.certificate.location": "K2-kafka_cert_file",
        "ssl.key.location": "K2-kafka_key_file", "ssl.key.password": "K2-kafka_key_password"}
    assert side.registry_auth == ("K2-registry_username", "K2-registry_password")
    assert side.connect_auth == ("K2-connect_username", "K2-connect_password")
    assert (side.http_tls.ca_file, side.http_tls.cert_file, side.http_tls.key_file) == \
        ("K2-http_ca_file", "K2-http_cert_file", "K2-http_key_file")
    assert side.mm2_password == "K2-mm2_password"
    assert side.fix["http_ca"] == "KAA_K2_HTTP_CA_FILE"


def test_pulumi_config_keys_are_read_and_the_environment_wins(prod: Topology) -> None:
    config = {"K1": {SETTINGS[s][1]: f"config-{s}" for s in SETTINGS}}
    side = PairAccess.from_config(prod, config, {"KAA_K1_CONNECT_PASSWORD": "env-pw"})["K1"]
    assert side.registry_auth == ("config-registry_username", "config-registry_password")
    assert side.connect_auth == ("config-connect_username", "env-pw")
    assert side.kafka["ssl.certificate.location"] == "config-kafka_cert_file"
    assert side.fix["connect_auth"] == f"{config_name('K1', 'connect_username')} / KAA_K1_CONNECT_PASSWORD"


def test_the_stack_truststore_is_the_default_kafka_ca(prod: Topology) -> None:
    cluster = prod.cluster("K1")
    with_ca = replace(cluster, security=replace(cluster.security, ssl_truststore="/etc/kafka/ca.pem"))
    topology = replace(prod, clusters=(with_ca, prod.cluster("K2")))
    side = PairAccess.from_env(topology, {})["K1"]
    assert side.kafka["ssl.ca.location"] == "/etc/kafka/ca.pem"
    assert side.fix["kafka_ca"] == "clusters.K1.security.ssl_truststore"
    assert PairAccess.from_env(topology, {})["K2"].fix["kafka_ca"] == \
        "clusters.K2.security.ssl_truststore (or KAA_K2_KAFKA_CA_FILE)"
