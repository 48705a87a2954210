"""The `local-tls` stack on the real TLS pair: `pulumi up` over SASL_SSL and HTTPS with basic auth, replication
both ways through MM2 connectors that carry the truststore and SASL for both clusters, a clean `kaa drift`, the
mTLS listener, and the failures that belong to a TLS estate (a CA that signed nothing of the pair, a wrong SCRAM
password): `pulumi up` stops before any change with one line per part naming the cause."""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import trustme
import yaml
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from kaa.clients.kafka_admin import KafkaAdmin
from kaa.clients.reachability import probe_kafka
from kaa.local import LocalPair
from tests.integration.kafka_helpers import consume, eventually, produce, topic_names
from tests.tls.conftest import ROOT, TlsStack

NEW_TOPIC = "tls-only-probe"


def kafka(pair: LocalPair, alias: str) -> dict[str, str]:
    return dict(pair.client_settings(alias)["kafka"])


def test_pulumi_up_declares_the_pair_over_tls_and_a_second_preview_changes_nothing(
        tls_pair: LocalPair, tls_stack: TlsStack) -> None:
    outputs = tls_stack.outputs()
    assert set(outputs["connectors"].values()) == {"RUNNING"}, outputs["connectors"]
    assert len(outputs["connectors"]) == 6
    assert outputs["schema_ids"]["K1"] == outputs["schema_ids"]["K2"]  # same IDs in both HTTPS registries
    for alias in tls_pair.aliases:
        assert {"orders", "payments"} <= topic_names(kafka(tls_pair, alias))
    preview = tls_stack.run("preview", "--expect-no-changes", check=False)
    assert preview.returncode == 0, preview.stdout[-3000:] + preview.stderr[-3000:]


def test_mm2_configs_carry_the_truststore_and_sasl_for_both_clusters_and_show_no_secret(
        tls_pair: LocalPair, tls_stack: TlsStack) -> None:
    settings = tls_pair.client_settings("K2")
    auth = (settings["connect_auth"]["username"], settings["connect_auth"]["password"])
    config = requests.get(f"{settings['connect']}/connectors/mm2-k1-k2-source/config", auth=auth,
                          verify=settings["ca_file"], timeout=10).json()
    ca = str(tls_pair.state_dir / "tls" / "ca.pem")
    for side in ("source.cluster.", "target.cluster."):
        assert config[side + "security.protocol"] == "SASL_SSL"
        assert (config[side + "ssl.truststore.type"], config[side + "ssl.truststore.location"]) == ("PEM", ca)
        assert config[side + "sasl.mechanism"] == "SCRAM-SHA-512"
    assert "local-tls-mm2-secret" in config["source.cluster.sasl.jaas.config"]  # the worker does get it...
    preview = tls_stack.run("preview", "--diff")
    exported = tls_stack.run("stack", "export").stdout
    for shown in (preview.stdout + preview.stderr, exported):  # ...but previews and the state never show it
        assert "local-tls-mm2-secret" not in shown and "registry-admin-secret" not in shown


def test_replication_runs_both_ways_over_sasl_ssl(tls_pair: LocalPair, tls_stack: TlsStack) -> None:
    marker = f"tls-{time.time_ns()}"
    for source, target in (("K1", "K2"), ("K2", "K1")):
        produce(kafka(tls_pair, source), "orders", [{"key": marker, "value": f"{marker}-{source}"}])

        def arrived(src: str = source, dst: str = target) -> bool:
            records = consume(kafka(tls_pair, dst), [f"{src}.orders"], count=10_000, timeout=3)
            return any(r.value() == f"{marker}-{src}".encode() for r in records)

        eventually(arrived, 90, f"{source}.orders on {target} holding {marker}", interval=2)


def test_kaa_drift_is_clean_on_the_tls_pair(tls_pair: LocalPair, tls_stack: TlsStack) -> None:
    result = subprocess.run([str(ROOT / "scripts" / "kaa"), "drift", "--stack", "local-tls"], cwd=ROOT,
                            env=tls_stack.env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "no drift" in result.stdout


def test_the_mtls_listener_takes_the_client_certificate_as_the_admin(tls_pair: LocalPair) -> None:
    mtls = dict(tls_pair.client_settings("K1")["kafka_mtls"])
    assert "orders" in KafkaAdmin(mtls, "K1").topics()  # admin is a super user: it sees every topic
    no_cert = {k: v for k, v in mtls.items() if k not in ("ssl.certificate.location", "ssl.key.location")}
    errors: list[KafkaError] = []
    admin = AdminClient({**no_cert, "error_cb": errors.append, "log_level": 0})
    with pytest.raises(KafkaException):
        admin.list_topics(timeout=5)
    admin.poll(0)
    assert any("ssl" in e.str().lower() or "handshake" in e.str().lower() for e in errors), errors


def test_sasl_plain_over_tls_logs_in_and_a_wrong_plain_password_is_refused(tls_pair: LocalPair) -> None:
    plain = {**kafka(tls_pair, "K2"), "sasl.mechanism": "PLAIN"}
    assert "orders" in KafkaAdmin(plain, "K2").topics()
    failure = probe_kafka({**plain, "sasl.password": "not-the-password"}, 10.0)
    assert failure is not None and failure.cause.startswith("authentication failed (SASL PLAIN)"), failure


def test_registries_and_connect_refuse_anonymous_calls(tls_pair: LocalPair) -> None:
    settings = tls_pair.client_settings("K1")
    for url in (f"{settings['schema_registry']}/subjects", f"{settings['connect']}/connectors"):
        assert requests.get(url, verify=settings["ca_file"], timeout=10).status_code == 401, url


@pytest.fixture
def spec_copy(tls_stack: TlsStack, tmp_path: Path) -> Any:
    """A copy of stacks/ the stack reads for one test (`stackFile`), with one new topic to create."""
    spec = tmp_path / "stacks"
    shutil.copytree(ROOT / "stacks", spec)
    doc = yaml.safe_load((spec / "local-tls.yaml").read_text())
    doc["topics"] = {NEW_TOPIC: {"partitions": 1}}
    (spec / "local-tls.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    tls_stack.run("config", "set", "stackFile", str(spec / "local-tls.yaml"))
    yield spec / "local-tls.yaml"
    tls_stack.run("config", "rm", "stackFile")


def state_resources(stack: TlsStack) -> int:
    return len(yaml.safe_load(stack.run("stack", "export").stdout)["deployment"]["resources"])


def refused_before_any_change(stack: TlsStack, pair: LocalPair) -> str:
    """`pulumi up` with a pending change fails; the change is not made and the state is untouched."""
    before = state_resources(stack)
    result = stack.up(check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "(nothing was changed)" in output, output[-3000:]
    assert NEW_TOPIC not in topic_names(kafka(pair, "K1")) | topic_names(kafka(pair, "K2"))
    assert state_resources(stack) == before
    return output


def test_a_wrong_scram_password_stops_pulumi_up_before_any_change(
        tls_pair: LocalPair, tls_stack: TlsStack, spec_copy: Path) -> None:
    tls_stack.run("config", "set", "--path", "credentials.K2.adminPassword", "--secret", "not-the-password")
    try:
        output = refused_before_any_change(tls_stack, tls_pair)
    finally:
        tls_stack.run("config", "set", "--path", "credentials.K2.adminPassword", "--secret", "admin-secret")
    lines = [line for line in output.splitlines() if "authentication failed" in line]
    assert len(lines) == 1 and "clusters.K2.bootstrap_servers" in lines[0], output[-3000:]
    assert "not-the-password" not in output


def test_a_ca_that_signed_nothing_of_the_pair_stops_pulumi_up_before_any_change(
        tls_pair: LocalPair, tls_stack: TlsStack, spec_copy: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "foreign-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(foreign))
    doc = yaml.safe_load(spec_copy.read_text())
    doc["clusters"]["K1"]["security"]["ssl_truststore"] = str(foreign)
    spec_copy.write_text(yaml.safe_dump(doc, sort_keys=False))
    output = refused_before_any_change(tls_stack, tls_pair)
    lines = [line for line in output.splitlines() if "certificate verify failed" in line]
    parts = {key for key in ("bootstrap_servers", "schema_registry", "connect")
             if any(f"clusters.K1.{key}" in line for line in lines)}
    assert parts == {"bootstrap_servers", "schema_registry", "connect"}, output[-3000:]
    assert not [line for line in lines if "clusters.K2." in line]  # K2 keeps its own, right CA
