"""A broker that answers but refuses the admin's SCRAM login is named (or, from `up`, repaired: see
tests/integration/test_local_scram_restart.py) after a short grace, not waited on for minutes; and
every broker takes metadata snapshots soon enough that a restart never replays a user removal from offset 0
(the Kafka 4.1 bug that empties the restarted broker's SCRAM users: docs/local-pair.md)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from kaa.errors import LocalPairError
from kaa.local import LocalPair, configs, local_pair, probes, scram_repair
from kaa.local.endpoints import ClusterEndpoints
from kaa.local.progress import Progress


class FakeClock:
    """Stands in for the `time` module inside kaa.local.local_pair: sleeping only moves the clock."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeService:
    """Answers `probe()` from a script of states, then repeats the last one."""

    states: list[str]
    key: str = "K1 kafka"
    port: int = 39092
    log_file: Path = Path("/nowhere/kafka.log")
    calls: int = 0

    def probe(self) -> str:
        self.calls += 1
        return self.states.pop(0) if len(self.states) > 1 else self.states[0]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(local_pair, "time", fake)
    return fake


def wait(pair: LocalPair, service: FakeService) -> None:
    pair._wait_healthy([(service, os.getpid())], Progress(None), fresh=set())  # type: ignore[list-item]


def test_a_broker_that_keeps_refusing_the_admin_fails_fast_naming_cause_and_fix(
        tmp_path: Path, clock: FakeClock) -> None:
    pair = LocalPair(tmp_path, progress=None)
    with pytest.raises(LocalPairError) as failure:
        wait(pair, FakeService([probes.REFUSED]))
    assert local_pair.REFUSED_GRACE_S <= clock.now < local_pair.REFUSED_GRACE_S + 1 < pair.start_timeout
    message = str(failure.value)
    assert "K1 kafka (port 39092)" in message and "refused the SCRAM login" in message
    assert "`kaa local down --wipe`" in message and "docs/local-pair.md#" in message
    assert "admin-secret" not in message


def test_a_refusal_that_clears_is_only_a_broker_still_starting(tmp_path: Path, clock: FakeClock) -> None:
    pair = LocalPair(tmp_path, progress=None)
    probes_per_grace = int(local_pair.REFUSED_GRACE_S / 0.5)  # the loop probes every 0.5 s
    refusing = [probes.REFUSED] * (probes_per_grace - 1)
    service = FakeService([*refusing, probes.DOWN, *refusing, probes.READY])
    wait(pair, service)  # the DOWN in between restarts the grace period; READY ends the wait
    assert service.calls == 2 * probes_per_grace


def test_a_broker_that_is_only_down_still_waits_for_the_start_timeout(tmp_path: Path, clock: FakeClock) -> None:
    pair = LocalPair(tmp_path, progress=None, start_timeout=30.0)
    with pytest.raises(LocalPairError, match="not healthy after 30 s"):
        wait(pair, FakeService([probes.DOWN]))
    assert clock.now > 30.0


def test_brokers_snapshot_their_metadata_within_seconds(tmp_path: Path) -> None:
    """Without a snapshot, a restart replays the log from offset 0 in one delta whose base has no SCRAM users:
    one earlier user removal then empties the restarted broker's credentials. Kafka's default is one hour."""
    cluster = ClusterEndpoints(alias="K1", host="127.0.0.1", kafka_port=39092,
                               registry_url="http://127.0.0.1:38081", connect_url="http://127.0.0.1:38083")
    props = configs.broker_properties(cluster, tmp_path)
    assert int(props["metadata.log.max.snapshot.interval.ms"]) <= 10_000
    assert int(props["metadata.max.retention.bytes"]) >= 8 * 1024 * 1024  # a few snapshots of a busy pair


def test_the_recovery_listener_is_added_to_the_broker_s_own_properties(tmp_path: Path) -> None:
    cluster = ClusterEndpoints(alias="K1", host="127.0.0.1", kafka_port=39092,
                               registry_url="http://127.0.0.1:38081", connect_url="http://127.0.0.1:38083")
    props = configs.broker_properties(cluster, tmp_path)
    recovery = scram_repair.recovery_properties(props, "127.0.0.1", 45555)
    assert recovery["listeners"] == f"{props['listeners']},RECOVERY://127.0.0.1:45555"
    assert recovery["advertised.listeners"] == f"{props['advertised.listeners']},RECOVERY://127.0.0.1:45555"
    assert recovery["listener.security.protocol.map"].split(",")[-1] == "RECOVERY:PLAINTEXT"
    assert {k: v for k, v in recovery.items() if "listener" not in k} == {
        k: v for k, v in props.items() if "listener" not in k}
    assert "User:ANONYMOUS" in props["super.users"].split(";")  # what the recovery listener relies on


def test_the_newest_metadata_snapshot_is_read_from_the_checkpoint_names(tmp_path: Path) -> None:
    assert scram_repair.newest_snapshot_offset(tmp_path) == -1
    folder = tmp_path / "__cluster_metadata-0"
    folder.mkdir()
    for name in ("00000000000000000000-0000000000.checkpoint", "00000000000000000812-0000000003.checkpoint",
                 "00000000000000000077-0000000001.checkpoint", "leader-epoch-checkpoint",
                 "00000000000000000900.snapshot"):
        (folder / name).write_text("")
    assert scram_repair.newest_snapshot_offset(tmp_path) == 812
