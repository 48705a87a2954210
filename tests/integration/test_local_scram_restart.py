"""A broker of the local pair keeps its SCRAM users across a SIGKILL and restart after a SCRAM user was removed.

Kafka 4.1.2 replays a metadata log without a snapshot in one delta, and its ScramDelta.apply drops every
SCRAM-SHA-512 user when that delta meets a removal first (docs/local-pair.md). Runs one private broker (K1 only,
ports 39092/39093, its own state folder): the shared pair is not touched.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import yaml
from confluent_kafka.admin import (
    AdminClient,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from kaa.local import LocalPair, configs, local_pair
from kaa.local.java import find_java
from kaa.local.local_users import ADMIN
from kaa.local.process import wait_gone
from kaa.local.progress import Progress
from kaa.local.services import Service

# Hashes into bucket 1 of the delta's HashMap, before admin (9) and connect (14): its removal is met first.
# (The MM2 user of an e2e stack that `pulumi destroy` removed on the broken pair.)
REMOVED_USER = "e2e-wipe-mm2"


def private_stack(folder: Path) -> Path:
    clusters = {
        "K1": {"bootstrap_servers": ["127.0.0.1:39092"], "schema_registry": "http://127.0.0.1:38081",
               "connect": "http://127.0.0.1:38083"},
        "K2": {"bootstrap_servers": ["127.0.0.1:39192"], "schema_registry": "http://127.0.0.1:38181",
               "connect": "http://127.0.0.1:38183"},
    }
    path = folder / "private.yaml"
    path.write_text(yaml.safe_dump({"clusters": clusters}), encoding="utf-8")
    return path


def start(pair: LocalPair, broker: Service, java: str) -> int:
    pid = pair._start(broker, java)
    pair._wait_healthy([(broker, pid)], Progress(None), fresh={broker.key})
    return pid


def newest_snapshot_offset(broker: Service) -> int:
    snapshots = (broker.data_dir / "__cluster_metadata-0").glob("*.checkpoint")
    return max((int(path.name.split("-")[0]) for path in snapshots), default=-1)


def test_a_restarted_broker_still_logs_the_admin_in_after_a_scram_user_was_removed(tmp_path: Path) -> None:
    pair = LocalPair(tmp_path / "pair", stack_file=private_stack(tmp_path), progress=None)
    [broker] = pair.services(("kafka",), ("K1",))
    pair._check_ports_free(broker)
    pair.runtime.ensure_installed()
    java = find_java(local_pair.KAFKA_MIN_JAVA, "KAA_KAFKA_JAVA_HOME", "Kafka")
    pair.state_dir.mkdir(parents=True)
    pair.log4j2_file.write_text(configs.log4j2_properties())
    try:
        pair._prepare([broker], java)
        pid = start(pair, broker, java)
        admin = AdminClient(ADMIN.librdkafka_settings(broker.cluster.bootstrap_servers))
        upsert = UserScramCredentialUpsertion(
            REMOVED_USER, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), b"removed-secret")
        admin.alter_user_scram_credentials([upsert])[REMOVED_USER].result(timeout=30)
        deletion = UserScramCredentialDeletion(REMOVED_USER, ScramMechanism.SCRAM_SHA_512)
        admin.alter_user_scram_credentials([deletion])[REMOVED_USER].result(timeout=30)
        # Give the broker the time its configuration allows for a metadata snapshot (none comes by default).
        deadline = time.monotonic() + 3 * configs.METADATA_SNAPSHOT_INTERVAL_MS / 1000
        while newest_snapshot_offset(broker) <= 0 and time.monotonic() < deadline:
            time.sleep(1)
        os.kill(pid, signal.SIGKILL)
        assert not wait_gone([pid], 10.0), "the broker survived SIGKILL"
        start(pair, broker, java)  # raises LocalPairError naming the SCRAM loss if admin is refused
        assert broker.healthy()
    finally:
        pair.down(wipe=True)
