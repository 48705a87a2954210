"""A TLS stack under Pulumi's mocks: the kafka providers verify the brokers against the stack's CA and present
the client certificate, the dynamic providers get the CA of the registries and Connect, and no secret is plain."""
from __future__ import annotations

from pathlib import Path

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


def test_kafka_providers_verify_the_ca_and_present_the_client_certificate(tmp_path: Path) -> None:
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
