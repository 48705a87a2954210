"""The pre-flight on the real TLS pair (`kaa local up --tls`: SASL_SSL SCRAM and mTLS brokers, HTTPS + basic auth
for the registries and Connect), read only. With the pair's own settings every part passes; a CA that did not
sign the certificates, wrong SCRAM or basic-auth passwords, and a missing or foreign client certificate on the
mTLS listener each give one line with the cause. The TLS pair runs on its own ports beside the shared pair (its
state: $KAA_LOCAL_TLS_STATE); tests/tls/conftest.py starts it when it is not running and leaves it running."""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography.hazmat.primitives import serialization

from kaa.clients.http_tls import HttpTls
from kaa.clients.pair_access import PairAccess
from kaa.clients.reachability import preflight, probe_kafka
from kaa.local import LocalPair
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def status(tls_pair: LocalPair) -> dict[str, Any]:
    return {"clusters": {a: tls_pair.client_settings(a) for a in tls_pair.aliases}}


@pytest.fixture(scope="module")
def topology() -> Topology:
    return load_topology(ROOT / "stacks" / "local-tls.yaml", name="local-tls")


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A CA that signed none of the pair's certificates, and a client certificate it issued."""
    folder = tmp_path_factory.mktemp("foreign")
    ca = trustme.CA()
    leaf = ca.issue_cert("kaa-client")
    paths = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    ca.cert_pem.write_to_path(str(paths["ca"]))
    leaf.cert_chain_pems[0].write_to_path(str(paths["cert"]))
    leaf.private_key_pem.write_to_path(str(paths["key"]))
    return {k: str(v) for k, v in paths.items()}


def lines(topology: Topology, access: PairAccess) -> list[str]:
    return [p.line for p in preflight(topology, access, timeout=10.0)]


def test_every_part_passes_with_the_pairs_credentials_and_ca(topology: Topology, status: dict[str, Any]) -> None:
    access = PairAccess.from_status(status, {})
    assert all(a.kafka["security.protocol"] == "SASL_SSL" and a.http_tls.ca_file for a in access.clusters.values())
    assert lines(topology, access) == []


def test_a_foreign_ca_fails_verification_on_every_part(topology: Topology, status: dict[str, Any],
                                                       foreign: dict[str, str]) -> None:
    good = PairAccess.from_status(status, {})
    bad = PairAccess({a: replace(s, kafka={**s.kafka, "ssl.ca.location": foreign["ca"]},
                                 http_tls=HttpTls(foreign["ca"])) for a, s in good.clusters.items()})
    found = lines(topology, bad)
    assert len(found) == 6
    for line, (alias, key) in zip(found, [(a, k) for a in ("K1", "K2")
                                          for k in ("bootstrap_servers", "schema_registry", "connect")], strict=True):
        assert line.startswith(f"stacks/local-tls.yaml: clusters.{alias}.{key}: "), line
        assert " cannot be reached: certificate verify failed: " in line, line


def test_wrong_scram_and_basic_auth_passwords_fail_authentication(topology: Topology, status: dict[str, Any]) -> None:
    good = PairAccess.from_status(status, {})
    wrong = "wrong-Passw0rd"
    bad = PairAccess({a: replace(s, kafka={**s.kafka, "sasl.password": wrong},
                                 registry_auth=(s.registry_auth or ("", ""))[0:1] + (wrong,),
                                 connect_auth=(s.connect_auth or ("", ""))[0:1] + (wrong,))
                      for a, s in good.clusters.items()})
    found = lines(topology, bad)
    assert len(found) == 6
    assert all(" cannot be reached: authentication failed" in line for line in found), found
    assert "K1 at 127.0.0.1:19192 cannot be reached: authentication failed (SASL SCRAM-SHA-512): " in found[0]
    assert "GET /subjects answered HTTP 401" in found[1] and "GET /connectors answered HTTP 401" in found[2]
    assert not any(wrong in line for line in found)


def test_the_mtls_listener_refuses_a_missing_or_foreign_client_certificate(status: dict[str, Any],
                                                                           foreign: dict[str, str]) -> None:
    mtls = dict(status["clusters"]["K1"]["kafka_mtls"])
    assert probe_kafka(mtls, 10.0) is None
    without = {k: v for k, v in mtls.items() if k not in ("ssl.certificate.location", "ssl.key.location")}
    stranger = {**mtls, "ssl.certificate.location": foreign["cert"], "ssl.key.location": foreign["key"]}
    for settings in (without, stranger):
        failure = probe_kafka(settings, 10.0)
        assert failure is not None and failure.fix == "kafka_cert", failure
        assert failure.cause.startswith("TLS handshake failed: ") and "bad certificate" in failure.cause


def _kaa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / "scripts" / "kaa"), *args], capture_output=True, text=True, timeout=180,
                          env=dict(os.environ))


def test_drift_and_failover_status_read_every_part_of_the_tls_pair_and_print_no_secret(
        status: dict[str, Any]) -> None:
    """`--stack local-tls` reads the running TLS pair: SASL_SSL brokers, HTTPS registries and Connect with basic
    auth. Whether the pair has drifted depends on what was applied to it; that every part was read does not."""
    secrets = PairAccess.from_status(status, {}).secrets()
    assert len(secrets) == 6  # admin, registry and Connect passwords of both clusters
    drift = _kaa("drift", "--stack", "local-tls", "--json")
    assert drift.returncode in (0, 1), drift.stderr
    report = json.loads(drift.stdout)
    assert report["unreachable"] == [] and set(report["clusters"]) == {"K1", "K2"}
    assert {k.split()[0] for k in report["timings_seconds"]} >= {"kafka", "registry", "connect"}
    failover = _kaa("failover", "status", "--stack", "local-tls")
    assert failover.returncode in (0, 1), failover.stderr
    assert "K1 -> K2: " in failover.stdout and "last heartbeat" in failover.stdout
    for output in (drift.stdout + drift.stderr, failover.stdout + failover.stderr):
        assert not any(secret in output for secret in secrets)


@pytest.fixture(scope="module")
def encrypted_key(status: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pair's client key as an encrypted PKCS#8 PEM (`BEGIN ENCRYPTED PRIVATE KEY`), password ENCRYPTED_PW."""
    mtls = status["clusters"]["K1"]["kafka_mtls"]
    key = serialization.load_pem_private_key(Path(mtls["ssl.key.location"]).read_bytes(), None)
    path = tmp_path_factory.mktemp("encrypted") / "client-key.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.BestAvailableEncryption(ENCRYPTED_PW.encode())))
    path.chmod(0o600)
    return path


ENCRYPTED_PW = "client-key-Passw0rd"


def test_an_encrypted_client_key_logs_in_and_a_wrong_key_password_is_one_line(
        topology: Topology, status: dict[str, Any], encrypted_key: Path) -> None:
    """K1 over the mTLS listener with the encrypted key; its password from KAA_K1_KAFKA_KEY_PASSWORD (the other
    credentials from their variables too). The right password passes; a wrong one is refused before any call,
    in one line naming the cluster, the endpoint, the cause and the variable to fix."""
    mtls = status["clusters"]["K1"]["kafka_mtls"]
    k1 = topology.cluster("K1")
    security = replace(k1.security, protocol="SSL", sasl_mechanism=None,
                       ssl_client_cert=mtls["ssl.certificate.location"], ssl_client_key=str(encrypted_key),
                       ssl_client_key_encrypted=True)
    on_mtls = replace(topology, clusters=(replace(k1, bootstrap_servers=(mtls["bootstrap.servers"],),
                                                  security=security), topology.cluster("K2")))
    env = {}
    for alias, entry in status["clusters"].items():
        env.update({f"KAA_{alias}_ADMIN_USERNAME": entry["kafka"]["sasl.username"],
                    f"KAA_{alias}_ADMIN_PASSWORD": entry["kafka"]["sasl.password"],
                    f"KAA_{alias}_REGISTRY_USERNAME": entry["schema_registry_auth"]["username"],
                    f"KAA_{alias}_REGISTRY_PASSWORD": entry["schema_registry_auth"]["password"],
                    f"KAA_{alias}_CONNECT_USERNAME": entry["connect_auth"]["username"],
                    f"KAA_{alias}_CONNECT_PASSWORD": entry["connect_auth"]["password"]})
    good = PairAccess.from_env(on_mtls, {**env, "KAA_K1_KAFKA_KEY_PASSWORD": ENCRYPTED_PW})
    assert good["K1"].kafka["ssl.key.location"] == str(encrypted_key)
    assert lines(on_mtls, good) == []
    wrong = "not-the-key-Passw0rd"
    for bad_env in ({**env, "KAA_K1_KAFKA_KEY_PASSWORD": wrong}, env):
        found = lines(on_mtls, PairAccess.from_env(on_mtls, bad_env))
        assert len(found) == 1, found
        line = found[0]
        assert line.startswith(f"stacks/local-tls.yaml: clusters.K1.bootstrap_servers: the Kafka cluster of K1 at "
                               f"{mtls['bootstrap.servers']} cannot be reached: the client key cannot be decrypted "
                               "with "), line
        assert "fix KAA_K1_KAFKA_KEY_PASSWORD" in line and wrong not in line and ENCRYPTED_PW not in line, line
