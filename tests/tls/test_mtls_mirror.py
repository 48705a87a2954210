"""MM2 over mutual TLS through Pulumi: `pulumi up` of a stack that reaches both clusters of the TLS pair only through
their mTLS listeners puts the six connectors on the HTTPS Connect workers with the PEM keystore of both clusters
(and the worker's producer pointed at the target's mTLS listener), and records replicate both ways. The client
key is in the connector configs but never in the preview or the state in clear. `kaa drift` of the stack reads
the HTTPS basic auth from the stack's Pulumi config alone and finds the pair clean."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import requests

from kaa.local import LocalPair
from tests.integration.kafka_helpers import consume, eventually, produce, topic_names
from tests.tls.conftest import ROOT, TlsStack

SPEC = Path(__file__).parent / "stacks" / "mtls-mm2.yaml"
TOPIC = "mtls-mm2-orders"


@pytest.fixture
def mtls_mm2_stack(tls_pair: LocalPair, engine: dict[str, str], tmp_path: Path) -> TlsStack:
    # the state in the pair's folder: a run cut short is converged (`up --refresh`) and destroyed by the next
    stack = TlsStack(tmp_path, tls_pair, engine, name="mtls-mm2", state=tls_pair.state_dir / "pulumi-mtls-mm2")
    stack.run("config", "set", "stackFile", str(SPEC))
    for alias in tls_pair.aliases:  # HTTPS basic auth only: Kafka logs in with the client certificate
        settings = tls_pair.client_settings(alias)
        for key, value in (("registryUsername", settings["schema_registry_auth"]["username"]),
                           ("registryPassword", settings["schema_registry_auth"]["password"]),
                           ("connectUsername", settings["connect_auth"]["username"]),
                           ("connectPassword", settings["connect_auth"]["password"])):
            stack.run("config", "set", "--path", f"credentials.{alias}.{key}", "--secret", value)
    return stack


def secrets_of(pair: LocalPair) -> list[str]:
    return [pair.client_settings(a)[part]["password"] for a in pair.aliases
            for part in ("schema_registry_auth", "connect_auth")]


def kaa_drift_with_config_only(stack: TlsStack) -> subprocess.CompletedProcess[str]:
    """`kaa drift` of the stack, run in its Pulumi project with no KAA_<ALIAS>_* variable: the registries' and
    Connect workers' basic auth exist only as secrets in Pulumi.mtls-mm2.yaml, decrypted by the engine."""
    env = {k: v for k, v in stack.env.items() if not (k.startswith("KAA_K1_") or k.startswith("KAA_K2_"))}
    return subprocess.run([str(ROOT / "scripts" / "kaa"), "drift", "--stack", "mtls-mm2", "--stacks-dir",
                           str(SPEC.parent), "--scope", "mtls-mm2.*"], cwd=stack.project, env=env,
                          capture_output=True, text=True, timeout=300)


def test_mm2_replicates_both_ways_over_the_mtls_listeners_after_pulumi_up(
        tls_pair: LocalPair, mtls_mm2_stack: TlsStack) -> None:
    key_body = (tls_pair.state_dir / "tls" / "client-key.pem").read_text().splitlines()[1]
    mtls = {a: {**tls_pair.client_settings(a)["kafka_mtls"], "log_level": "0"} for a in tls_pair.aliases}
    try:
        mtls_mm2_stack.up("--refresh")
        states = mtls_mm2_stack.outputs()["connectors"]
        assert sorted(states) == sorted(f"mtls-mm2-{s}-{t}-{k}" for s, t in (("k1", "k2"), ("k2", "k1"))
                                        for k in ("source", "checkpoint", "heartbeat"))
        assert set(states.values()) == {"RUNNING"}, states
        marker = f"mtls-{time.time_ns()}"
        for source, target in (("K1", "K2"), ("K2", "K1")):
            produce(mtls[source], TOPIC, [{"key": marker, "value": f"{marker}-{source}"}])

            def arrived(src: str = source, dst: str = target) -> bool:
                records = consume(mtls[dst], [f"{src}.{TOPIC}"], count=10_000, timeout=3)
                return any(r.value() == f"{marker}-{src}".encode() for r in records)

            eventually(arrived, 120, f"{source}.{TOPIC} on {target} holding {marker}", interval=2)
        settings = tls_pair.client_settings("K2")
        config = requests.get(f"{settings['connect']}/connectors/mtls-mm2-k1-k2-source/config",
                              auth=(settings["connect_auth"]["username"], settings["connect_auth"]["password"]),
                              verify=settings["ca_file"], timeout=10).json()
        for prefix in ("source.cluster.", "target.cluster.", "producer.override."):
            assert config[prefix + "security.protocol"] == "SSL"
            assert config[prefix + "ssl.keystore.type"] == "PEM"
            assert key_body in config[prefix + "ssl.keystore.key"]  # the worker gets the key's content
        assert config["producer.override.bootstrap.servers"] == "127.0.0.1:29194"
        drift = kaa_drift_with_config_only(mtls_mm2_stack)
        assert drift.returncode == 0, drift.stdout[-3000:] + drift.stderr[-3000:]
        assert "no drift" in drift.stdout
        for secret in secrets_of(tls_pair):
            assert secret not in drift.stdout + drift.stderr
        preview = mtls_mm2_stack.run("preview", "--diff")
        exported = mtls_mm2_stack.run("stack", "export").stdout
        logs = [f for f in tls_pair.state_dir.glob("*/*/*.log*") if f.is_file()]
        assert logs  # the Connect workers', brokers' and registries' logs
        for shown in [preview.stdout + preview.stderr, exported, *(f.read_text(errors="replace") for f in logs)]:
            assert key_body not in shown  # ...but never the preview, the state or a log
    finally:
        mtls_mm2_stack.run("destroy", "--yes", "--skip-preview")
    # destroy reached the HTTPS workers (with the stack's CA) to see no MM2 keeps them, and removed the twins
    for alias, twin in (("K1", f"K2.{TOPIC}"), ("K2", f"K1.{TOPIC}")):
        assert not {TOPIC, twin} & topic_names(mtls[alias]), alias
