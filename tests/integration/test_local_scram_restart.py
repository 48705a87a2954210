"""A broker of the local pair keeps its SCRAM users across a SIGKILL and restart after a SCRAM user was removed.

Kafka 4.1.2 replays a metadata log without a snapshot in one delta, and its ScramDelta.apply drops every
SCRAM-SHA-512 user when that delta meets a removal first (docs/local-pair.md). Runs one private broker (K1 only,
ports 17092/17093, its own state folder): the shared pair is not touched. Its ports are below Linux's ephemeral
range (32768-60999): a port in that range can be held as the local end of any client connection of the run, and a
broker cannot listen on it then (the check for a free port only sees listeners).
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import yaml
from confluent_kafka.admin import (
    AdminClient,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from kaa.errors import LocalPairError
from kaa.local import LocalPair, configs, local_pair
from kaa.local.java import find_java
from kaa.local.local_users import ADMIN
from kaa.local.process import tracked_pid, wait_gone
from kaa.local.progress import Progress
from kaa.local.scram_repair import newest_snapshot_offset
from kaa.local.services import Service

# Hashes into bucket 1 of the delta's HashMap, before admin (9) and connect (14): its removal is met first.
# (The MM2 user of an e2e stack that `pulumi destroy` removed on the broken pair.)
REMOVED_USER = "e2e-wipe-mm2"
KAFKA_DEFAULT_SNAPSHOTS = {"metadata.log.max.snapshot.interval.ms": "3600000"}


def private_stack(folder: Path) -> Path:
    clusters = {
        "K1": {"bootstrap_servers": ["127.0.0.1:17092"], "schema_registry": "http://127.0.0.1:17081",
               "connect": "http://127.0.0.1:17083"},
        "K2": {"bootstrap_servers": ["127.0.0.1:17192"], "schema_registry": "http://127.0.0.1:17181",
               "connect": "http://127.0.0.1:17183"},
    }
    path = folder / "private.yaml"
    path.write_text(yaml.safe_dump({"clusters": clusters}), encoding="utf-8")
    return path


def start(pair: LocalPair, broker: Service, java: str) -> int:
    pid = pair._start(broker, java)
    pair._wait_healthy([(broker, pid)], Progress(None), fresh={broker.key})
    return pid


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    assert not wait_gone([pid], 10.0), "the broker survived SIGKILL"


def restart_after_a_removal(folder: Path, overrides: dict[str, str] | None = None, repair: bool = False) -> None:
    """Start a fresh private K1 broker (with `overrides`), create and remove REMOVED_USER, allow the broker the
    time the pair's configuration gives it for a metadata snapshot, SIGKILL it and start it again as
    `kaa local up` does, with the pair's own properties; `repair` lets the wait restore lost SCRAM users."""
    pair = LocalPair(folder / "pair", stack_file=private_stack(folder), progress=None,
                     broker_overrides={"K1": overrides or {}})
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
        deadline = time.monotonic() + 3 * configs.METADATA_SNAPSHOT_INTERVAL_MS / 1000
        while newest_snapshot_offset(broker.data_dir) <= 0 and time.monotonic() < deadline:
            time.sleep(1)
        kill(pid)
        if repair:
            pair.broker_overrides = {}
            pair._prepare([broker], java)  # the pair's own properties from here on
        pid = pair._start(broker, java)
        # raises LocalPairError naming the SCRAM loss if admin is refused and there is no repair
        pair._wait_healthy([(broker, pid)], Progress(None), fresh={broker.key},
                           javas={"kafka": java} if repair else None)
        assert broker.healthy()
        if repair:  # the restored users are in a snapshot: a plain restart keeps them
            kill(tracked_pid(broker.pid_file, broker.marker) or -1)
            start(pair, broker, java)
            assert broker.healthy()
    finally:
        pair.down(wipe=True)


def test_a_restarted_broker_still_logs_the_admin_in_after_a_scram_user_was_removed(tmp_path: Path) -> None:
    restart_after_a_removal(tmp_path)


def test_without_snapshots_the_restart_loses_the_users_and_up_names_the_cause_at_once(tmp_path: Path) -> None:
    """Kafka's default snapshot interval (one hour) reproduces the failure; the wait names it after
    REFUSED_GRACE_S instead of running into the 120 s start timeout."""
    started = time.monotonic()
    with pytest.raises(LocalPairError) as failure:
        restart_after_a_removal(tmp_path, KAFKA_DEFAULT_SNAPSHOTS)
    assert "refused the SCRAM login of the local admin user" in str(failure.value)
    assert "kaa local down --wipe" in str(failure.value)
    assert time.monotonic() - started < local_pair.START_TIMEOUT_S


def test_up_restores_the_local_users_of_a_broker_that_lost_them(tmp_path: Path) -> None:
    """A broker broken before the snapshot setting (Kafka's default interval) is repaired by the wait of
    `kaa local up`, and stays repaired across one more SIGKILL and restart."""
    restart_after_a_removal(tmp_path, KAFKA_DEFAULT_SNAPSHOTS, repair=True)
