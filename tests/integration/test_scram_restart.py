"""A broker restart keeps its SCRAM logins after a SCRAM user was created and deleted (issue 18, item 2).

Kafka 4.1.2 replays the metadata log written since the last snapshot as one delta onto the image it loaded; when
that image holds no SCRAM users and the delta removes one, the users added in the same delta can be lost, and the
broker refuses every login (admin, connect, mm2). The local pair's brokers take a metadata snapshot every 30 s,
so a restart replays onto an image that holds the users. This runs on a private pair on other ports (never the
shared one): create and delete a user, as a stack's destroy does, restart the pair, log in as admin.
"""
from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from confluent_kafka.admin import ScramMechanism, UserScramCredentialDeletion

from kaa.clients.kafka_admin import KafkaAdmin
from kaa.local import LocalPair
from kaa.local.configs import METADATA_SNAPSHOT_INTERVAL_MS
from kaa.local.endpoints import LOCAL_STACK

PORTS = {"K1": (41092, 41081, 41083), "K2": (42092, 42081, 42083)}


@pytest.fixture(scope="module")
def private_pair() -> Iterator[LocalPair]:
    with tempfile.TemporaryDirectory(prefix="kaa-scram-restart-") as tmp:
        spec = yaml.safe_load(LOCAL_STACK.read_text())
        for alias, (kafka, registry, connect) in PORTS.items():
            spec["clusters"][alias].update(bootstrap_servers=[f"127.0.0.1:{kafka}"],
                                           schema_registry=f"http://127.0.0.1:{registry}/apis/ccompat/v7",
                                           connect=f"http://127.0.0.1:{connect}")
        stack = Path(tmp) / "private.yaml"
        stack.write_text(yaml.safe_dump(spec))
        pair = LocalPair(Path(tmp) / "pair", stack_file=stack, start_timeout=90)
        try:
            pair.up()
            yield pair
        finally:
            pair.down(wipe=True)


def _snapshots(pair: LocalPair) -> list[str]:
    folder = pair.state_dir / "K1" / "kafka" / "data" / "__cluster_metadata-0"
    return sorted(p.name for p in folder.glob("*.checkpoint") if not p.name.startswith("00000000000000000000-"))


def test_logins_survive_a_restart_after_a_scram_user_was_deleted(private_pair: LocalPair) -> None:
    deadline = time.monotonic() + 2 * METADATA_SNAPSHOT_INTERVAL_MS / 1000 + 30
    while not _snapshots(private_pair) and time.monotonic() < deadline:
        time.sleep(2)
    assert _snapshots(private_pair), "K1 wrote no metadata snapshot after its first start"
    admin = KafkaAdmin(private_pair.client_settings("K1")["kafka"], "K1")
    admin.upsert_scram_user("scram-churn", "churn-secret")
    deleted = admin.admin.alter_user_scram_credentials(
        [UserScramCredentialDeletion("scram-churn", ScramMechanism.SCRAM_SHA_512)])
    for future in deleted.values():
        future.result()

    private_pair.down()
    private_pair.up()  # waits until an authenticated admin client gets metadata from each broker
    after = KafkaAdmin(private_pair.client_settings("K1")["kafka"], "K1").topics()
    assert "mm2-connect-configs-internal" in after
