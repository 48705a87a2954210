"""The pre-flight asks each part the call its client makes, with the credentials and CA it will use, and names
the file, the cluster, the endpoint, the cause and the key to fix. Real HTTPS servers (certificates from
trustme) answer 200, 401, 403 or 5xx, or present a certificate the client must refuse."""
from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import pytest
import trustme

from kaa.clients import reachability
from kaa.clients.http_tls import HttpTls
from kaa.clients.pair_access import ClusterAccess, PairAccess
from kaa.clients.reachability import Failure, kafka_failure, preflight, probe_http, unreachable_parts
from kaa.errors import PreflightError, UnreachableError
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology
from tests.unit import loopback_server
from tests.unit.loopback_server import QuietHandler

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "kaa-reader", "s3cret-basic-pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Handler(QuietHandler):
    """A registry/Connect stand-in: basic auth USER/PASSWORD; `forbidden` users get 403; `status` overrides."""

    status: int | None = None
    forbidden = ("viewer",)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        user, password = self.basic_auth() or ("", "")
        if self.status is not None:
            code = self.status
        elif user in self.forbidden:
            code = 403
        elif (user, password) != (USER, PASSWORD):
            code = 401
        else:
            code = 200
        self.answer(code, [] if code == 200 else {"error_code": code, "message": "no"})


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    return loopback_server.write_ca(ca, tmp_path_factory.mktemp("ca") / "ca.pem")


Serve = Callable[..., str]


@pytest.fixture
def serve(ca: trustme.CA) -> Iterator[Serve]:
    """Start an HTTPS server presenting a certificate `ca` (or `issuer`) issued (for `host`, valid until
    `not_after`); return its base URL."""
    with ExitStack() as servers:
        def start(status: int | None = None, host: str = "127.0.0.1", not_after: datetime.datetime | None = None,
                  issuer: trustme.CA | None = None, client_ca: trustme.CA | None = None) -> str:
            return servers.enter_context(loopback_server.serve(
                type("H", (Handler,), {"status": status}), tls=issuer or ca, host=host, not_after=not_after,
                client_ca=client_ca))

        yield start


@pytest.fixture
def topology() -> Topology:
    return load_topology(ROOT / "stacks" / "local.yaml")


def access_for(topology: Topology, url: str, environ: dict[str, str]) -> PairAccess:
    """Both clusters' registry and Connect at `url`, credentials from `environ` (KAA_<ALIAS>_*)."""
    clusters = tuple(replace(c, schema_registry=url, connect=url) for c in topology.clusters)
    return PairAccess.from_env(replace(topology, clusters=clusters), environ)


def env(ca_file: str, user: str = USER, password: str = PASSWORD) -> dict[str, str]:
    out = {}
    for alias in ("K1", "K2"):
        out |= {f"KAA_{alias}_HTTP_CA_FILE": ca_file, f"KAA_{alias}_REGISTRY_USERNAME": user,
                f"KAA_{alias}_REGISTRY_PASSWORD": password, f"KAA_{alias}_CONNECT_USERNAME": user,
                f"KAA_{alias}_CONNECT_PASSWORD": password}
    return out


def http_lines(topology: Topology, access: PairAccess) -> list[str]:
    return [p.line for p in preflight(topology, access, timeout=5.0, parts=("registry", "connect"))]


def test_authenticated_https_parts_pass_and_the_clients_read_them(serve: Serve, topology: Topology,
                                                                   ca_file: str) -> None:
    url = serve()
    access = access_for(topology, url, env(ca_file))
    assert http_lines(topology, access) == []
    assert access["K1"].registry_client(alias="K1").subjects() == []
    assert access["K2"].connect_client().connectors() == []


def test_wrong_password_is_one_line_naming_cluster_endpoint_cause_and_key(serve: Serve, topology: Topology,
                                                                       ca_file: str) -> None:
    url = serve()
    lines = http_lines(topology, access_for(topology, url, env(ca_file, password="wrong-password")))
    assert lines == [
        f"stacks/local.yaml: clusters.{alias}.{key}: the {what} of {alias} at {url} cannot be reached: "
        f"authentication failed: GET {path} answered HTTP 401 Unauthorized (with user '{USER}'); "
        f"fix KAA_{alias}_{var}_USERNAME / KAA_{alias}_{var}_PASSWORD (nothing was changed)"
        for alias in ("K1", "K2")
        for key, what, path, var in (("schema_registry", "schema registry", "/subjects", "REGISTRY"),
                                     ("connect", "Kafka Connect", "/connectors", "CONNECT"))
    ]
    assert not any("wrong-password" in line for line in lines)


def test_no_credentials_at_all_is_an_authentication_failure(serve: Serve, topology: Topology, ca_file: str) -> None:
    url = serve()
    lines = http_lines(topology, access_for(topology, url, {"KAA_K1_HTTP_CA_FILE": ca_file,
                                                            "KAA_K2_HTTP_CA_FILE": ca_file}))
    assert len(lines) == 4
    assert all("authentication failed: GET /" in line and "HTTP 401 Unauthorized (without credentials)" in line
               for line in lines)
    assert "fix KAA_K1_REGISTRY_USERNAME (or Pulumi config credentials.K1.registryUsername)" in lines[0]


def test_forbidden_is_reported_not_passed(serve: Serve, topology: Topology, ca_file: str) -> None:
    url = serve()
    lines = http_lines(topology, access_for(topology, url, env(ca_file, user="viewer")))
    assert len(lines) == 4 and all("authentication failed: GET" in line and "HTTP 403 Forbidden" in line
                                   for line in lines)


@pytest.mark.parametrize("status", [500, 503])
def test_a_failing_service_is_reported_not_passed(serve: Serve, topology: Topology, ca_file: str,
                                                  status: int) -> None:
    url = serve(status=status)
    lines = http_lines(topology, access_for(topology, url, env(ca_file)))
    assert len(lines) == 4
    assert lines[0] == (f"stacks/local.yaml: clusters.K1.schema_registry: the schema registry of K1 cannot be "
                        f"reached: {url}/subjects answered HTTP {status}: the service is up but failing; start it "
                        "or fix the address (nothing was changed)")


def test_a_certificate_from_another_ca_fails_verification(serve: Serve, topology: Topology, ca_file: str) -> None:
    url = serve(issuer=trustme.CA())
    lines = http_lines(topology, access_for(topology, url, env(ca_file)))
    assert len(lines) == 4
    assert lines[0].startswith(f"stacks/local.yaml: clusters.K1.schema_registry: the schema registry of K1 at {url} "
                               "cannot be reached: certificate verify failed: ")
    assert lines[0].endswith("; fix KAA_K1_HTTP_CA_FILE (nothing was changed)")


def test_the_system_cas_do_not_trust_a_private_ca(serve: Serve, topology: Topology) -> None:
    url = serve()
    lines = http_lines(topology, access_for(topology, url, {}))
    assert "certificate verify failed" in lines[0]
    assert lines[0].endswith("fix KAA_K1_HTTP_CA_FILE (or Pulumi config credentials.K1.httpCaFile) "
                             "(nothing was changed)")


def test_an_expired_certificate_fails_verification(serve: Serve, topology: Topology, ca_file: str) -> None:
    url = serve(not_after=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1))
    failure = probe_http(url, "/subjects", (USER, PASSWORD), HttpTls(ca_file), 5.0, "registry_auth")
    assert failure == Failure("certificate verify failed: certificate has expired", "http_ca")


def test_a_certificate_for_another_host_fails_verification(serve: Serve, ca_file: str) -> None:
    url = serve(host="registry.example.org")
    failure = probe_http(url, "/subjects", (USER, PASSWORD), HttpTls(ca_file), 5.0, "registry_auth")
    assert failure is not None and failure.fix == "http_ca"
    assert failure.cause.startswith("certificate verify failed: ") and "127.0.0.1" in failure.cause


def test_mutual_tls_needs_the_client_certificate(serve: Serve, ca: trustme.CA, ca_file: str,
                                                 tmp_path: Path) -> None:
    client_ca = trustme.CA()
    url = serve(client_ca=client_ca)
    without = probe_http(url, "/subjects", (USER, PASSWORD), HttpTls(ca_file), 5.0, "registry_auth")
    assert without is not None and without.fix == "http_cert", without
    leaf = client_ca.issue_cert("kaa-client")
    cert, key = tmp_path / "client.pem", tmp_path / "client.key"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    assert probe_http(url, "/subjects", (USER, PASSWORD), HttpTls(ca_file, str(cert), str(key)), 5.0,
                      "registry_auth") is None


def test_the_registry_client_names_a_refused_certificate(serve: Serve, ca_file: str) -> None:
    url = serve(issuer=trustme.CA())
    side = ClusterAccess({}, url, url, registry_auth=(USER, PASSWORD), http_tls=HttpTls(ca_file))
    with pytest.raises(UnreachableError, match="did not answer \\(certificate verify failed: "):
        side.registry_client(timeout=3).subjects()
    with pytest.raises(UnreachableError, match="did not answer \\(certificate verify failed: "):
        side.connect_client(timeout=3).connectors()


def test_every_dead_part_is_one_line_naming_file_key_and_fix(topology: Topology) -> None:
    dead = free_port()
    clusters = tuple(replace(c, bootstrap_servers=(f"127.0.0.1:{dead}",), schema_registry=f"http://127.0.0.1:{dead}",
                             connect=f"http://127.0.0.1:{dead}") for c in topology.clusters)
    environ = {f"KAA_{a}_ADMIN_{k}": "x" for a in ("K1", "K2") for k in ("USERNAME", "PASSWORD")}
    dead_topology = replace(topology, clusters=clusters)
    problems = unreachable_parts(dead_topology, PairAccess.from_env(dead_topology, environ), timeout=1.0)
    assert len(problems) == 6
    assert problems[0].startswith("stacks/local.yaml: clusters.K1.bootstrap_servers: the Kafka cluster of K1 cannot "
                                  f"be reached: no bootstrap server accepts connections (sasl_plaintext://127.0.0.1:"
                                  f"{dead}/bootstrap: Connect to ipv4#127.0.0.1:{dead} failed: Connection refused")
    assert problems[4].startswith("stacks/local.yaml: clusters.K2.schema_registry: the schema registry of K2 cannot "
                                  f"be reached: http://127.0.0.1:{dead}/subjects did not answer (ConnectionError)")
    assert all(p.endswith("start it or fix the address (nothing was changed)") for p in problems)


# librdkafka's own words, as the shared pair and a TLS client answered them (see tests/integration/test_preflight)
SCRAM_REFUSED = ("sasl_plaintext://127.0.0.1:19092/bootstrap: SASL authentication error: Authentication failed "
                 "during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 "
                 "(after 313ms in state AUTH_REQ)")
PLAIN_REFUSED = ("sasl_plaintext://127.0.0.1:19092/bootstrap: SASL PLAIN mechanism handshake failed: Broker: "
                 "Unsupported SASL mechanism: broker's supported mechanisms: SCRAM-SHA-512 (after 301ms in state "
                 "AUTH_HANDSHAKE)")
NOT_TLS = ("sasl_ssl://127.0.0.1:19092/bootstrap: SSL handshake failed: Disconnected: SSL connection closed by peer: "
           "connecting to a PLAINTEXT broker listener? (after 125ms in state SSL_HANDSHAKE)")
BAD_CA = ("ssl://127.0.0.1:19093/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify "
          "failed: broker certificate could not be verified, verify that ssl.ca.location is correctly configured or "
          "root CA certificates are installed (install ca-certificates package) (after 12ms in state SSL_HANDSHAKE)")


def test_missing_sasl_credentials_name_the_keys(topology: Topology) -> None:
    problems = preflight(topology, PairAccess.from_env(topology, {}), timeout=1.0, parts=("kafka",))
    assert [p.line for p in problems][0] == (
        "stacks/local.yaml: clusters.K1.bootstrap_servers: the Kafka cluster of K1 at 127.0.0.1:19092 cannot be "
        "reached: authentication failed: no SASL credentials (the client settings are refused: Failed to create "
        "admin client: sasl.username and sasl.password must be set); fix KAA_K1_ADMIN_USERNAME (or Pulumi config "
        "credentials.K1.adminUsername) / KAA_K1_ADMIN_PASSWORD (or Pulumi config credentials.K1.adminPassword) "
        "(nothing was changed)")


@pytest.mark.parametrize(("messages", "fix", "cause"), [
    ([SCRAM_REFUSED, "1/1 brokers are down"], "kafka_auth", "authentication failed (SASL SCRAM-SHA-512): "),
    ([PLAIN_REFUSED], "mechanism", "authentication failed: the broker refuses SASL SCRAM-SHA-512"),
    ([NOT_TLS], "protocol", "TLS handshake failed: the listener does not speak TLS"),
    ([BAD_CA], "kafka_ca", "certificate verify failed: "),
    (["Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)"], "address",
     "no bootstrap server accepts connections (Connect to ipv4#127.0.0.1:1 failed: Connection refused)"),
])
def test_kafka_failures_are_classified(messages: list[str], fix: str, cause: str) -> None:
    failure = kafka_failure(messages, "SCRAM-SHA-512")
    assert failure.fix == fix and failure.cause.startswith(cause), failure
    assert "brokers are down" not in failure.cause and "(after " not in failure.cause


def test_a_kafka_failure_names_the_credential_keys_and_the_command_exits_2(
        topology: Topology, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reachability, "probe_kafka",
                        lambda settings, timeout: kafka_failure([SCRAM_REFUSED], settings["sasl.mechanism"]))
    access = PairAccess.from_env(topology, {"KAA_K1_ADMIN_USERNAME": "admin", "KAA_K1_ADMIN_PASSWORD": "Wr0ng-pw",
                                            "KAA_K2_ADMIN_USERNAME": "admin", "KAA_K2_ADMIN_PASSWORD": "Wr0ng-pw"})
    with pytest.raises(PreflightError) as refused:
        reachability.refuse_bad_settings(topology, access, ("kafka",), timeout=1.0)
    lines = str(refused.value).splitlines()
    assert refused.value.exit_code == 2 and len(lines) == 2
    assert lines[1].startswith("stacks/local.yaml: clusters.K2.bootstrap_servers: the Kafka cluster of K2 at "
                               "127.0.0.1:29092 cannot be reached: authentication failed (SASL SCRAM-SHA-512): ")
    assert lines[1].endswith("; fix KAA_K2_ADMIN_USERNAME / KAA_K2_ADMIN_PASSWORD (nothing was changed)")
    assert "Wr0ng-pw" not in str(refused.value)


def test_pulumi_config_credentials_are_named_when_they_are_the_source(topology: Topology) -> None:
    access = PairAccess.from_config(topology, {"K1": {"adminUsername": "admin", "adminPassword": "x",
                                                      "registryUsername": "r", "registryPassword": "y"}}, {})
    assert access["K1"].fix["kafka_auth"] == "credentials.K1.adminUsername / credentials.K1.adminPassword"
    assert access["K1"].registry_auth == ("r", "y")
    assert access["K1"].kafka["sasl.password"] == "x"
    overridden = PairAccess.from_config(topology, {"K1": {"adminPassword": "x"}}, {"KAA_K1_ADMIN_PASSWORD": "z"})
    assert overridden["K1"].kafka["sasl.password"] == "z"
    assert overridden["K1"].fix["kafka_auth"].endswith("/ KAA_K1_ADMIN_PASSWORD")


@pytest.fixture
def tls_listener(ca: trustme.CA) -> Iterator[Callable[[trustme.LeafCert], int]]:
    """A TCP listener that only does a TLS handshake with the given certificate, as a broker's SSL listener
    does before any Kafka request: enough for librdkafka to verify (or refuse) the certificate."""
    sockets: list[socket.socket] = []

    def start(cert: trustme.LeafCert) -> int:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        server = socket.create_server(("127.0.0.1", 0))
        sockets.append(server)

        def serve() -> None:
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                try:
                    with context.wrap_socket(conn, server_side=True) as tls:
                        tls.recv(1)
                except OSError:
                    pass
                finally:
                    conn.close()

        threading.Thread(target=serve, daemon=True).start()
        return int(server.getsockname()[1])

    yield start
    for server in sockets:
        server.close()


@pytest.mark.parametrize(("issue", "why"), [
    (lambda ca: trustme.CA().issue_cert("127.0.0.1"), "unable to get local issuer certificate"),
    (lambda ca: ca.issue_cert("127.0.0.1", not_after=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)),
     "certificate has expired"),
    (lambda ca: ca.issue_cert("broker.example.org"), "IP address mismatch, certificate is not valid for '127.0.0.1'"),
], ids=["foreign-ca", "expired", "other-host"])
def test_the_kafka_probe_names_why_a_broker_certificate_is_refused(
        ca: trustme.CA, ca_file: str, tls_listener: Callable[[trustme.LeafCert], int],
        issue: Callable[[trustme.CA], trustme.LeafCert], why: str) -> None:
    port = tls_listener(issue(ca))
    failure = reachability.probe_kafka({"bootstrap.servers": f"127.0.0.1:{port}", "security.protocol": "SSL",
                                        "ssl.ca.location": ca_file}, 5.0)
    assert failure is not None and failure.fix == "kafka_ca", failure
    assert failure.cause.startswith(f"certificate verify failed: {why}"), failure.cause
    assert failure.cause.endswith(f"(127.0.0.1:{port})")


def test_the_kafka_probe_passes_the_handshake_of_a_trusted_certificate(
        ca: trustme.CA, ca_file: str, tls_listener: Callable[[trustme.LeafCert], int]) -> None:
    """The listener speaks no Kafka, so the request fails after the handshake: not as a certificate problem."""
    port = tls_listener(ca.issue_cert("127.0.0.1"))
    failure = reachability.probe_kafka({"bootstrap.servers": f"127.0.0.1:{port}", "security.protocol": "SSL",
                                        "ssl.ca.location": ca_file}, 2.0)
    assert failure is not None and failure.fix == "address", failure
