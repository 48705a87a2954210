"""The TLS pair (`kaa local up --tls`): its certificates, its generated configs and its own ports, without
starting anything (tests/tls starts the real pair)."""
from __future__ import annotations

import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from kaa.cli import build_parser
from kaa.local import LocalPair
from kaa.local.local_users import CONNECT_REST, REGISTRY_REST
from kaa.local.tls_material import ensure_tls_files


def read_properties(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def prepared(tmp_path: Path) -> LocalPair:
    """A TLS pair whose configs are written as `up` writes them (brokers marked formatted: no JVM runs)."""
    pair = LocalPair(tmp_path, tls=True, progress=None)
    ensure_tls_files(tmp_path)
    for service in pair.services(("kafka",)):
        service.data_dir.mkdir(parents=True)
        (service.data_dir / "meta.properties").write_text("formatted\n")
    pair._prepare(pair.services(), "java")
    return pair


def test_certificates_are_made_once_and_keys_stay_private(tmp_path: Path) -> None:
    files = ensure_tls_files(tmp_path)
    ca_first = files.ca.read_bytes()
    assert ensure_tls_files(tmp_path).ca.read_bytes() == ca_first  # a restart keeps the CA clients trust
    for secret in (files.server_key, files.client_key, files.server_keystore, files.keystore_password_file):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
    assert files.server_key.read_text().startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8, as Kafka/Quarkus need
    client = x509.load_pem_x509_certificate(files.client_cert.read_bytes())
    assert client.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "admin"


def test_the_server_certificate_verifies_for_the_pairs_loopback_names_against_the_ca(tmp_path: Path) -> None:
    files = ensure_tls_files(tmp_path)
    server = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
    ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
    server.verify_directly_issued_by(ca)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    context = ssl.create_default_context(cafile=str(files.ca))  # the CA file loads as a trust anchor
    assert context.cert_store_stats()["x509_ca"] == 1


def test_brokers_listen_sasl_ssl_and_mtls_and_trust_their_own_ca(tmp_path: Path) -> None:
    pair = prepared(tmp_path)
    k1 = read_properties(pair.services(("kafka",), ("K1",))[0].config_file)
    assert k1["listeners"] == "CLIENT://127.0.0.1:19192,MTLS://127.0.0.1:19194,CONTROLLER://127.0.0.1:19193"
    assert k1["listener.security.protocol.map"] == "CLIENT:SASL_SSL,MTLS:SSL,CONTROLLER:PLAINTEXT"
    assert k1["listener.name.mtls.ssl.client.auth"] == "required"
    assert k1["ssl.keystore.location"] == str(tmp_path / "tls" / "server.p12")
    assert k1["ssl.keystore.password"] == (tmp_path / "tls" / "server.p12.password").read_text().strip()
    assert (k1["ssl.truststore.type"], k1["ssl.truststore.location"]) == ("PEM", str(tmp_path / "tls" / "ca.pem"))
    assert k1["ssl.principal.mapping.rules"].startswith("RULE:^CN=")
    assert k1["sasl.enabled.mechanisms"] == "SCRAM-SHA-512,PLAIN"  # PLAIN over TLS too
    assert k1["sasl.mechanism.inter.broker.protocol"] == "SCRAM-SHA-512"
    assert 'user_admin="admin-secret"' in k1["listener.name.client.plain.sasl.jaas.config"]
    assert stat.S_IMODE(pair.services(("kafka",), ("K1",))[0].config_file.stat().st_mode) == 0o600


def test_connect_serves_https_with_basic_auth_and_its_clients_verify_the_ca(tmp_path: Path) -> None:
    pair = prepared(tmp_path)
    service = pair.services(("connect",), ("K2",))[0]
    props = read_properties(service.config_file)
    assert props["listeners"] == "https://127.0.0.1:28443"
    assert props["rest.extension.classes"].endswith("BasicAuthSecurityRestExtension")
    assert props["listeners.https.ssl.keystore.location"] == str(tmp_path / "tls" / "server.p12")
    for prefix in ("", "producer.", "consumer.", "admin."):
        assert props[prefix + "security.protocol"] == "SASL_SSL"
        assert props[prefix + "ssl.truststore.location"] == str(tmp_path / "tls" / "ca.pem")
    assert props["scheduled.rebalance.max.delay.ms"] == "0"  # a lone worker reassigns at once after a restart
    assert f'file="{service.rest_users_file}"' in service.jaas_file.read_text()
    assert service.rest_users_file.read_text() == f"{CONNECT_REST.name}: {CONNECT_REST.password}\n"
    command = pair.command(service, "java")
    assert f"-Djava.security.auth.login.config={service.jaas_file}" in command
    assert command[command.index("-cp") + 1].endswith(f":{pair.runtime.connect_basic_auth_jar}")


def test_registries_serve_only_https_and_demand_basic_auth_everywhere(tmp_path: Path) -> None:
    pair = prepared(tmp_path)
    service = pair.services(("registry",), ("K1",))[0]
    props = read_properties(service.quarkus_config_file)
    assert props["quarkus.http.ssl-port"] == "18444"
    assert props["quarkus.http.insecure-requests"] == "disabled"
    assert props["quarkus.http.auth.permission.everything.paths"] == "/*"
    assert props["quarkus.http.auth.permission.everything.policy"] == "authenticated"
    assert props[f"quarkus.security.users.embedded.users.{REGISTRY_REST.name}"] == REGISTRY_REST.password
    command = pair.command(service, "java")
    assert REGISTRY_REST.password not in " ".join(command)  # passwords stay off the command line
    assert "-Dquarkus.http.port=18446" in command  # plain HTTP moves off the HTTPS port (and stays closed)


def test_the_tls_pair_has_its_own_ports_and_state_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAA_LOCAL_TLS_STATE", str(tmp_path / "tls-state"))
    monkeypatch.setenv("KAA_LOCAL_STATE", str(tmp_path / "plain-state"))
    plain, tls = LocalPair(progress=None), LocalPair(tls=True, progress=None)
    assert (plain.state_dir, tls.state_dir) == (tmp_path / "plain-state", tmp_path / "tls-state")
    plain_ports = {p for s in plain.services() for p in s.ports}
    tls_ports = {p for s in tls.services() for p in s.ports}
    assert not plain_ports & tls_ports
    assert {19192, 19193, 19194, 18443, 18444, 18445} <= tls_ports
    document = tls.status_document([])
    assert document["tls"]["ca_file"] == str(tmp_path / "tls-state" / "tls" / "ca.pem")
    k1 = document["clusters"]["K1"]
    assert k1["kafka"]["security.protocol"] == "SASL_SSL" and k1["kafka_mtls"]["security.protocol"] == "SSL"
    assert k1["connect"] == "https://127.0.0.1:18443"
    assert "tls" not in plain.status_document([])


@pytest.mark.parametrize("argv", [["local", "up", "--tls"], ["local", "--tls", "up"]])
def test_cli_selects_the_tls_pair_either_way(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert args.tls is True
    assert build_parser().parse_args(["local", "up"]).tls is False


def test_only_the_tls_pair_needs_connects_basic_auth_extension(tmp_path: Path) -> None:
    """The plaintext pair starts without the extension jar (no Maven call for a part it does not use)."""
    from kaa.local.runtime import Runtime

    runtime = Runtime("4.1.2", "3.3.3", tmp_path)
    for marker in (runtime.kafka_lib.parent / ".complete", runtime.apicurio_jar.parent / ".complete",
                   runtime.apicurio_jar):
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("x")
    assert runtime.is_installed() and not runtime.is_installed(tls=True)
    runtime.connect_basic_auth_jar.parent.mkdir(parents=True)
    runtime.connect_basic_auth_jar.write_text("jar")
    assert runtime.is_installed(tls=True)



def test_wiping_the_tls_pair_names_the_local_tls_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kaa.cli import main

    assert main(["local", "--state-dir", str(tmp_path), "down", "--tls", "--wipe"]) == 0
    out = capsys.readouterr().out
    assert "nothing to stop" in out and "--stack local-tls" in out and "make up" not in out


def test_status_of_a_tls_pair_that_never_started_reads_down(tmp_path: Path) -> None:
    """No state folder yet (so no CA file): the broker probe answers DOWN instead of librdkafka's refusal of a
    missing ssl.ca.location escaping as a traceback from `kaa local status --tls`."""
    from kaa.local import probes
    from kaa.local.local_users import ADMIN

    missing_ca = str(tmp_path / "nowhere" / "ca.pem")
    assert probes.kafka_login("127.0.0.1:1", ADMIN, timeout=0.5, ca_file=missing_ca) == probes.DOWN
