"""Certificate paths in stack files: expanded from variables, `~` and the stack's folder; bad ones give one line
naming the file and key."""
from __future__ import annotations

from pathlib import Path

import pytest

from kaa.errors import SpecError
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology
from kaa.topology.stack_paths import UnsetVariable, expand_path


def stack(folder: Path, security: str) -> Topology:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stack.yaml").write_text(f"""clusters:
  K1: {{bootstrap_servers: ["k1:9093"], schema_registry: "https://k1:8081", connect: "https://k1:8083",
       security: {security}}}
  K2: {{bootstrap_servers: ["k2:9093"], schema_registry: "https://k2:8081", connect: "https://k2:8083"}}
defaults: {{partitions: 1, replication_factor: 1}}
topics:
  a: {{}}
""")
    return load_topology(folder / "stack.yaml")


def test_paths_expand_variables_defaults_home_and_the_stack_folder(tmp_path: Path) -> None:
    env = {"CERTS": "/run/certs"}
    assert expand_path("${CERTS}/ca.pem", tmp_path, env) == "/run/certs/ca.pem"
    assert expand_path("${MISSING:-/opt/ca}/ca.pem", tmp_path, env) == "/opt/ca/ca.pem"
    assert expand_path("${MISSING:-${CERTS}/x}/ca.pem", tmp_path, env) == "/run/certs/x/ca.pem"
    assert expand_path("~/ca.pem", tmp_path, env) == str(Path.home() / "ca.pem")
    assert expand_path("certs/ca.pem", tmp_path, env) == str(tmp_path / "certs" / "ca.pem")
    with pytest.raises(UnsetVariable):
        expand_path("${MISSING}/ca.pem", tmp_path, env)


def test_a_tls_cluster_carries_its_ca_client_certificate_and_http_ca(tmp_path: Path) -> None:
    topology = stack(tmp_path, "{protocol: SSL, ssl_truststore: tls/ca.pem, ssl_client_cert: tls/c.pem, "
                               "ssl_client_key: tls/k.pem, http_ca: /etc/http-ca.pem}")
    sec = topology.cluster("K1").security
    assert (sec.ssl_truststore, sec.ssl_client_cert, sec.ssl_client_key) == tuple(
        str(tmp_path / "tls" / name) for name in ("ca.pem", "c.pem", "k.pem"))
    assert sec.uses_tls and sec.http_verify == "/etc/http-ca.pem"
    plain = topology.cluster("K2").security
    assert not plain.uses_tls and plain.http_verify is None


def test_the_http_ca_defaults_to_the_brokers_ca(tmp_path: Path) -> None:
    sec = stack(tmp_path, "{protocol: SASL_SSL, sasl_mechanism: PLAIN, ssl_truststore: /ca.pem}").cluster("K1").security
    assert sec.http_verify == "/ca.pem"


@pytest.mark.parametrize(("security", "line"), [
    ("{protocol: SSL, ssl_truststore: '${KAA_NOT_SET_ANYWHERE}/ca.pem'}",
     "clusters.K1.security.ssl_truststore: names ${KAA_NOT_SET_ANYWHERE}, which is not set"),
    ("{protocol: SSL, ssl_client_cert: /c.pem}",
     "clusters.K1.security: ssl_client_cert and ssl_client_key go together"),
    ("{protocol: SASL_PLAINTEXT, sasl_mechanism: PLAIN, ssl_client_cert: /c.pem, ssl_client_key: /k.pem}",
     "clusters.K1.security.protocol: must be SSL or SASL_SSL with a client certificate"),
])
def test_bad_tls_settings_are_one_line_naming_file_and_key(tmp_path: Path, security: str, line: str) -> None:
    with pytest.raises(SpecError) as caught:
        stack(tmp_path, security)
    problems = caught.value.problems
    assert len(problems) == 1 and line in problems[0] and "stack.yaml" in problems[0], problems


def test_commands_reach_the_pair_with_the_files_the_stack_names(tmp_path: Path) -> None:
    """`kaa drift`/`failover` and the pre-flight default to the stack's CA, client certificate and HTTPS CA; an
    environment variable still wins, and a failure names the stack key to fix."""
    from kaa.clients.pair_access import PairAccess

    topology = stack(tmp_path, "{protocol: SSL, ssl_truststore: /ca.pem, ssl_client_cert: /c.pem, "
                               "ssl_client_key: /k.pem, http_ca: /http-ca.pem}")
    k1 = PairAccess.from_config(topology, {}, {}).clusters["K1"]
    assert (k1.kafka["ssl.ca.location"], k1.kafka["ssl.certificate.location"], k1.kafka["ssl.key.location"]) == (
        "/ca.pem", "/c.pem", "/k.pem")
    assert k1.http_tls.ca_file == "/http-ca.pem"
    assert "clusters.K1.security.http_ca" in k1.fix["http_ca"]
    overridden = PairAccess.from_config(topology, {}, {"KAA_K1_HTTP_CA_FILE": "/env-ca.pem"}).clusters["K1"]
    assert overridden.http_tls.ca_file == "/env-ca.pem"
    k2 = PairAccess.from_config(topology, {}, {}).clusters["K2"]  # plaintext: no files
    assert k2.http_tls.ca_file == "" and "ssl.ca.location" not in k2.kafka
