"""The quickstart's state check against the real pair: what the state lists and the pair lacks is found.

Read-only: it builds a stack export that lists one topic the pair has and a topic, a subject and a connector it
does not, and asks the real brokers, registries and Connect workers (the wipe itself is unit-tested as a
decision in tests/unit/test_quickstart.py, so the shared pair is never wiped here).
"""
from __future__ import annotations

import uuid

from kaa.cli.cmd_quickstart import pair_lister
from kaa.clients.kafka_admin import KafkaAdmin
from kaa.local import LocalPair
from kaa.state_check import Tracked, divergence_message, missing_resources, tracked_resources

PROVIDER = "urn:pulumi:local::kafka-active-active::pulumi:providers:kafka::pair-{alias}-provider"


def _topic(alias: str, name: str) -> dict[str, object]:
    return {"urn": f"urn:x::kafka:index/topic:Topic::{alias}-{name}", "type": "kafka:index/topic:Topic",
            "provider": PROVIDER.format(alias=alias) + "::id", "outputs": {"name": name}}


def test_the_state_check_finds_exactly_what_the_real_pair_lacks(local_pair: LocalPair) -> None:
    k1, k2 = local_pair.cluster("K1"), local_pair.cluster("K2")
    present = sorted(KafkaAdmin(local_pair.client_settings("K2")["kafka"], "K2").topics())[0]
    gone = f"kaa-wiped-{uuid.uuid4().hex[:8]}"
    document = {"deployment": {"resources": [
        *({"urn": PROVIDER.format(alias=c.alias), "id": "id", "type": "pulumi:providers:kafka",
           "inputs": {"bootstrapServers": f'["{c.bootstrap_servers}"]'}} for c in (k1, k2)),
        _topic("K2", present), _topic("K1", gone),
        {"urn": "urn:x::s", "type": "pulumi-python:dynamic/kafka-aa:SchemaSubject",
         "outputs": {"url": k1.registry_url, "subject": f"{gone}-value"}},
        {"urn": "urn:x::c", "type": "pulumi-python:dynamic/kafka-aa:MirrorConnector",
         "outputs": {"url": k2.connect_url, "name": f"{gone}-source"}},
    ]}}
    tracked = tracked_resources(document)
    missing = missing_resources(tracked, pair_lister(local_pair))
    assert missing == [Tracked("connector", k2.connect_url, f"{gone}-source"),
                       Tracked("subject", k1.registry_url, f"{gone}-value"),
                       Tracked("topic", k1.bootstrap_servers, gone)]
    message = divergence_message("local", tracked, missing)
    assert message is not None and "3 of them are gone from the pair" in message
