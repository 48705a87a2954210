"""Bring back the local users of a broker whose metadata image lost its SCRAM users (docs/local-pair.md).

Nobody can log in to such a broker, so it is restarted once with an extra PLAINTEXT listener on loopback (its
principal, ANONYMOUS, is a super user, as on the controller listener); `admin` and `connect` are written again
through it, and the broker runs until a metadata snapshot holds them, so that later restarts start from it.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from kaa.clients.kafka_admin import KafkaAdmin
from kaa.errors import KaaError, LocalPairError
from kaa.local.local_users import USERS

RECOVERY_LISTENER = "RECOVERY"


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def recovery_properties(props: Mapping[str, str], host: str, port: int) -> dict[str, str]:
    """The broker's properties plus a PLAINTEXT listener on `host:port`."""
    endpoint = f"{RECOVERY_LISTENER}://{host}:{port}"
    return {
        **props,
        "listeners": f"{props['listeners']},{endpoint}",
        "advertised.listeners": f"{props['advertised.listeners']},{endpoint}",
        "listener.security.protocol.map": f"{props['listener.security.protocol.map']},{RECOVERY_LISTENER}:PLAINTEXT",
    }


def newest_snapshot_offset(data_dir: Path) -> int:
    """End offset of the newest metadata snapshot (`<offset>-<epoch>.checkpoint`); -1 when there is none."""
    snapshots = (data_dir / "__cluster_metadata-0").glob("*.checkpoint")
    return max((int(path.name.split("-")[0]) for path in snapshots), default=-1)


def restore_users(bootstrap: str, data_dir: Path, snapshot_wait_s: float, timeout: float = 60.0) -> None:
    """Upsert the local users through the recovery listener, then wait for two new metadata snapshots (the
    first may have been started before the upserts were committed)."""
    settings: dict[str, str] = {"bootstrap.servers": bootstrap, "log_level": "0"}
    deadline = time.monotonic() + timeout
    while True:
        try:
            if AdminClient(dict(settings)).list_topics(timeout=2).brokers:
                break
        except KafkaException:
            pass
        if time.monotonic() > deadline:
            raise LocalPairError(f"the recovery listener {bootstrap} did not answer within {timeout:.0f} s")
        time.sleep(1)
    try:
        admin = KafkaAdmin(settings, "recovery listener")
        for user in USERS:
            admin.upsert_scram_user(user.name, user.password)
    except KaaError as exc:
        raise LocalPairError(f"restoring the local SCRAM users through {bootstrap} failed: {exc}") from exc
    for _ in range(2):
        seen = newest_snapshot_offset(data_dir)
        deadline = time.monotonic() + snapshot_wait_s
        while newest_snapshot_offset(data_dir) <= seen:
            if time.monotonic() > deadline:
                raise LocalPairError(f"no metadata snapshot in {data_dir} within {snapshot_wait_s:.0f} s of "
                                     "restoring the SCRAM users; a restart would lose them again")
            time.sleep(1)
