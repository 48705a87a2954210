"""A TLS stack under Pulumi's mocks: the kafka providers verify the brokers against the stack's CA and present
the client certificate, the dynamic providers get the CA of the registries and Connect, and no secret is plain."""
from __future__ import annotations

from pathlib import Path

import pytest

from kaa.topology.model import Topology
from kaa.topology.spec import load_topology
from tests.component_capture import is_secret, registered, unwrap_secret

ROOT = Path(__file__).resolve().parents[2]


def tls_stack(tmp_path: Path, security: str) -> Topology:
    (tmp_path / "tls.yaml").write_text(f"""extends: {ROOT / "stacks" / "base.yaml"}
clusters:
  K1: {{bootstrap_servers: ["k1:9093"], schema_registry: "https://k1:8081", connect: "https://k1:8083",
       security: {security}}}
  K2: {{bootstrap_servers: ["k2:9093"], schema_registry: "https://k2:8081", connect: "https://k2:8083",
       security: {{protocol: SASL_SSL, sasl_mechanism: SCRAM-SHA-512, ssl_truststore: certs/k2-ca.pem,
                  http_ca: certs/k2-http-ca.pem}}}}
defaults: {{replication_factor: 1}}
""")
    return load_topology(tmp_path / "tls.yaml", name="tls")


def client_files(tmp_path: Path) -> tuple[str, str]:
    """A client certificate and key at certs/c.pem and certs/k.pem (contents only need to be recognisable)."""
    certs = tmp_path / "certs"
    certs.mkdir(exist_ok=True)
    cert, key = "-----BEGIN CERTIFICATE-----\nMIIcert\n-----END CERTIFICATE-----\n", \
        "-----BEGIN PRIVATE KEY-----\nMIIkey\n-----END PRIVATE KEY-----\n"
    (certs / "c.pem").write_text(cert)
    (certs / "k.pem").write_text(key)
    return cert, key


def test_kafka_providers_verify_the_ca_and_present_the_client_certificate(tmp_path: Path) -> None:
    client_files(tmp_path)
    topology = tls_stack(tmp_path, "{protocol: SSL, ssl_truststore: certs/k1-ca.pem, "
                                   "ssl_client_cert: certs/c.pem, ssl_client_key: certs/k.pem}")
    providers = {r.name: r.inputs for r in registered(topology) if r.typ == "pulumi:providers:kafka"}
    k1, k2 = providers["pair-K1-provider"], providers["pair-K2-provider"]
    certs = tmp_path / "certs"
    assert (k1["tlsEnabled"], k1["skipTlsVerify"], k1["caCert"]) == ("true", "false", str(certs / "k1-ca.pem"))
    assert (k1["clientCert"], k1["clientKey"]) == (str(certs / "c.pem"), str(certs / "k.pem"))
    assert "saslUsername" not in k1 and "saslPassword" not in k1  # mTLS: the certificate is the login
    assert (k2["tlsEnabled"], k2["caCert"], k2["saslMechanism"]) == ("true", str(certs / "k2-ca.pem"),
                                                                     "scram-sha512")
    assert "clientCert" not in k2 and "caCertFile" not in k2
    assert is_secret(k2["saslPassword"])


def test_dynamic_providers_get_each_clusters_http_ca_and_secret_credentials(tmp_path: Path) -> None:
    topology = tls_stack(tmp_path, "{protocol: SASL_SSL, sasl_mechanism: SCRAM-SHA-512, "
                                   "ssl_truststore: certs/k1-ca.pem}")
    regs = registered(topology)
    certs = tmp_path / "certs"
    cas = {"K1": str(certs / "k1-ca.pem"), "K2": str(certs / "k2-http-ca.pem")}  # http_ca wins over the truststore
    connectors = [r for r in regs if r.typ.endswith("MirrorConnector")]
    assert connectors
    for connector in connectors:
        inputs = connector.inputs
        assert inputs["ca"] == cas[inputs["label"]], connector.name
        assert is_secret(inputs["config"])
        config = unwrap_secret(inputs["config"])
        assert config["source.cluster.security.protocol"] == config["target.cluster.security.protocol"] == "SASL_SSL"
        assert config["source.cluster.ssl.truststore.type"] == "PEM"
    subjects = [r for r in regs if r.typ.endswith("SchemaRegistrationPass")]
    assert len(subjects) == 2
    for subject in subjects:
        inputs = subject.inputs
        assert inputs["ca"] == cas[inputs["label"]]
        assert inputs["check_cas"] == [cas["K1"], cas["K2"]]
        assert is_secret(inputs["check_auths"]) and is_secret(inputs["auth"])


def mtls_connectors(tmp_path: Path, extra: str = "") -> dict[str, dict[str, str]]:
    topology = tls_stack(tmp_path, "{protocol: SSL, ssl_truststore: certs/k1-ca.pem, "
                                   f"ssl_client_cert: certs/c.pem, ssl_client_key: certs/k.pem{extra}}}")
    out = {}
    for r in registered(topology):
        if r.typ.endswith("MirrorConnector"):
            assert is_secret(r.inputs["config"]), r.name  # the key is in it: never plain in state or preview
            out[r.inputs["name"]] = unwrap_secret(r.inputs["config"])
    return out


def test_connectors_carry_the_client_keystore_of_an_mtls_cluster_and_write_through_its_listener(
        tmp_path: Path) -> None:
    cert, key = client_files(tmp_path)
    connectors = mtls_connectors(tmp_path)
    assert len(connectors) == 6
    for name, config in connectors.items():
        k1 = "source.cluster." if name.startswith("mm2-k1-k2") else "target.cluster."
        assert (config[k1 + "ssl.keystore.type"], config[k1 + "ssl.keystore.certificate.chain"],
                config[k1 + "ssl.keystore.key"]) == ("PEM", cert, key), name
        assert k1 + "ssl.key.password" not in config  # an unencrypted key has no password
        # the worker's producer writes to the target's own listener with the target's settings
        k2 = "source.cluster." if k1 == "target.cluster." else "target.cluster."
        assert "ssl.keystore.key" not in "".join(k for k in config if k.startswith(k2))
        target = "k2:9093" if name.startswith("mm2-k1-k2") else "k1:9093"
        assert config["producer.override.bootstrap.servers"] == target
        if target == "k1:9093":
            assert (config["producer.override.security.protocol"], config["producer.override.ssl.keystore.key"]) \
                == ("SSL", key)
        assert "${kaa:" not in "".join(config.values())


def test_an_encrypted_client_key_gets_its_password_from_the_environment_over_config(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client_files(tmp_path)
    monkeypatch.setenv("KAA_K1_KAFKA_KEY_PASSWORD", "k1-key-pw-from-env")
    connectors = mtls_connectors(tmp_path, ", ssl_client_key_encrypted: true")
    config = connectors["mm2-k1-k2-source"]
    assert config["source.cluster.ssl.key.password"] == "k1-key-pw-from-env"
    assert "producer.override.ssl.key.password" not in config  # K2 logs in with SCRAM, no client key
    assert connectors["mm2-k2-k1-source"]["producer.override.ssl.key.password"] == "k1-key-pw-from-env"


def test_the_acl_sets_of_a_cluster_with_an_encrypted_key_get_its_password(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client_files(tmp_path)
    monkeypatch.setenv("KAA_K1_KAFKA_KEY_PASSWORD", "k1-key-pw-from-env")
    topology = tls_stack(tmp_path, "{protocol: SSL, ssl_truststore: certs/k1-ca.pem, ssl_client_cert: certs/c.pem, "
                                   "ssl_client_key: certs/k.pem, ssl_client_key_encrypted: true}")
    sets = [r.inputs for r in registered(topology) if r.typ.endswith("AclSet")]
    k1 = [unwrap_secret(s["connection"]) for s in sets if s["label"] == "K1"]
    assert k1 and all(c["ssl.key.password"] == "k1-key-pw-from-env" for c in k1)
    assert all(is_secret(s["connection"]) for s in sets)
