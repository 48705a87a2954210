"""The kafka provider with a TLS client certificate: `pulumi up` of a stack that reaches K1 only through the TLS
pair's mTLS listener creates its topic there (and over SASL_SSL on K2), and `pulumi destroy` removes it."""
from __future__ import annotations

from pathlib import Path

import pytest

from kaa.clients.kafka_admin import KafkaAdmin
from kaa.local import LocalPair
from tests.tls.conftest import TlsStack

SPEC = Path(__file__).parent / "stacks" / "mtls-probe.yaml"
TOPIC = "mtls-probe"


@pytest.fixture
def mtls_stack(tls_pair: LocalPair, engine: dict[str, str], tmp_path: Path) -> TlsStack:
    stack = TlsStack(tmp_path, tls_pair, engine, name="mtls-probe", state=tmp_path / "state")
    stack.run("config", "set", "stackFile", str(SPEC))
    k2 = tls_pair.client_settings("K2")
    for alias in tls_pair.aliases:
        settings = tls_pair.client_settings(alias)
        for key, value in (("registryUsername", settings["schema_registry_auth"]["username"]),
                           ("registryPassword", settings["schema_registry_auth"]["password"]),
                           ("connectUsername", settings["connect_auth"]["username"]),
                           ("connectPassword", settings["connect_auth"]["password"])):
            stack.run("config", "set", "--path", f"credentials.{alias}.{key}", "--secret", value)
    stack.run("config", "set", "--path", "credentials.K2.adminUsername", "--plaintext", k2["kafka"]["sasl.username"])
    stack.run("config", "set", "--path", "credentials.K2.adminPassword", "--secret", k2["kafka"]["sasl.password"])
    stack.run("config", "set", "--path", "credentials.K2.mm2Password", "--secret", "mtls-probe-mm2-secret")
    return stack


def test_the_kafka_provider_creates_and_deletes_through_the_mtls_listener(
        tls_pair: LocalPair, mtls_stack: TlsStack) -> None:
    mtls = {**tls_pair.client_settings("K1")["kafka_mtls"], "log_level": "0"}
    sasl = {**tls_pair.client_settings("K2")["kafka"], "log_level": "0"}
    try:
        mtls_stack.up()
        assert KafkaAdmin(mtls, "K1").topics()[TOPIC].partitions == 2
        assert KafkaAdmin(sasl, "K2").topics()[TOPIC].partitions == 2
    finally:
        mtls_stack.run("destroy", "--yes", "--skip-preview")
    assert TOPIC not in KafkaAdmin(mtls, "K1").topics() and TOPIC not in KafkaAdmin(sasl, "K2").topics()
