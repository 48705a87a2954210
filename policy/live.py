"""The edges of the destructive-changes policy: the stack's current state, and the probes that ask the real
clusters and registries (does a topic hold data, would a registry accept a version)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from typing import Any

from policy.context import StackInfo
from policy.destructive import ProbeError, Probes
from policy.resources import SECRET_SIG, SIG_KEY, UNKNOWN, ProviderRes, Res, SubjectRes, decode

MECHANISMS = {"plain": "PLAIN", "scram-sha256": "SCRAM-SHA-256", "scram-sha512": "SCRAM-SHA-512"}
PROBE_TIMEOUT = 10.0


class StateUnavailable(Exception):
    """The stack's current state could not be read."""


def _state_value(value: Any) -> Any:
    """Checkpoint values: secrets stay encrypted there, so they are unknown to the comparison."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return UNKNOWN
        return {k: _state_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_state_value(v) for v in value]
    return value


def resources_of_deployment(document: Mapping[str, Any]) -> list[Res]:
    """`pulumi stack export` output -> resources (outputs, else inputs), each with its provider's URN."""
    deployment = document.get("deployment") or {}
    out = []
    for entry in deployment.get("resources") or []:
        if entry.get("delete"):
            continue  # a replaced resource pending deletion
        provider = entry.get("provider") or ""
        props = entry.get("outputs") or entry.get("inputs") or {}
        out.append(Res(entry["urn"], entry["type"], _state_value(props), provider.rsplit("::", 1)[0] or None))
    return out


def current_state(info: StackInfo, timeout: float = 120.0) -> list[Res]:
    """The stack's last checkpoint, as the CLI that runs this preview sees it (`pulumi stack export`)."""
    pulumi = shutil.which("pulumi")
    if not pulumi:
        raise StateUnavailable("the pulumi CLI is not on the policy pack's PATH")
    if not info.stack:
        raise StateUnavailable("the engine did not say which stack this is")
    cmd = [pulumi, "stack", "export", "--stack", info.qualified, "--non-interactive"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=os.getcwd())
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StateUnavailable(f"pulumi stack export failed: {exc}") from None
    if done.returncode != 0:
        raise StateUnavailable(f"pulumi stack export failed: {(done.stderr or done.stdout).strip()[-500:]}")
    try:
        return resources_of_deployment(json.loads(done.stdout))
    except (ValueError, KeyError) as exc:
        raise StateUnavailable(f"pulumi stack export printed no deployment: {exc}") from None


def client_settings(provider: ProviderRes) -> dict[str, str]:
    """librdkafka settings equivalent to a pulumi_kafka provider's inputs."""
    props = provider.props
    servers = decode(props.get("bootstrapServers"))
    if not servers or servers is UNKNOWN:
        raise ProbeError(f"the kafka provider of {provider.alias} has no known bootstrap servers")
    tls = decode(props.get("tlsEnabled")) is True
    mechanism = props.get("saslMechanism")
    sasl = isinstance(mechanism, str) and bool(props.get("saslUsername"))
    settings = {
        "bootstrap.servers": ",".join(servers) if isinstance(servers, list) else str(servers),
        "security.protocol": ("SASL_" if sasl else "") + ("SSL" if tls else "PLAINTEXT"),
    }
    if sasl:
        settings["sasl.mechanism"] = MECHANISMS.get(str(mechanism).lower(), str(mechanism).upper())
        settings["sasl.username"] = str(props.get("saslUsername"))
        settings["sasl.password"] = str(props.get("saslPassword") or "")
    if isinstance(props.get("caCertFile"), str) and props.get("caCertFile"):
        settings["ssl.ca.location"] = str(props["caCertFile"])
    return settings


def count_records(provider: ProviderRes | None, topic: str) -> int:
    """Records a topic holds now (sum of high - low watermarks); 0 when the topic does not exist."""
    if provider is None:
        raise ProbeError("the stack no longer declares a provider for that cluster")
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    settings = client_settings(provider)
    consumer = Consumer({**settings, "group.id": "kaa-policy-probe", "enable.auto.commit": False,
                         "socket.timeout.ms": int(PROBE_TIMEOUT * 1000), "log_level": 0})
    try:
        metadata = consumer.list_topics(topic, timeout=PROBE_TIMEOUT).topics.get(topic)
        if metadata is None or metadata.error is not None:
            return 0
        total = 0
        for partition in metadata.partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=PROBE_TIMEOUT)
            total += max(0, high - low)
        return total
    except KafkaException as exc:
        raise ProbeError(f"{provider.alias} did not answer: {exc.args[0]}") from None
    finally:
        consumer.close()


def registry_accepts(subject: SubjectRes, res: Res | None, schema: dict[str, Any]) -> bool:
    """Would the subject's registry accept this new version (its compatibility check against the latest)?"""
    from kaa.clients.registry_client import RegistryClient
    from kaa.errors import KaaError

    auth = (res.props.get("auth") if res else None) or None
    credentials = (str(auth["username"]), str(auth["password"])) if isinstance(auth, Mapping) else None
    try:
        client = RegistryClient(subject.url, credentials, timeout=PROBE_TIMEOUT)
        return client.is_compatible(subject.subject, str(schema.get("schema", "")),
                                    str(schema.get("schemaType", "AVRO")))
    except (KaaError, OSError) as exc:
        raise ProbeError(f"{subject.label}'s registry did not answer: {exc}") from None


LIVE_PROBES = Probes(records=count_records, compatible=registry_accepts)
