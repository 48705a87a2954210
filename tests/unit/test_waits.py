"""The toolkit's waits (Connect connectors running, processes gone, checkpoints settled) on a fake clock: each
keeps its own rule (stable polls, a FAILED task ends the wait, settling) while kaa.polling paces and stops it."""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from kaa.clients.connect_client import ConnectClient
from kaa.errors import ConnectError
from kaa.failover import failover_moves as fo
from kaa.local import process
from kaa.mirror.mm2_records import Checkpoint


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fake = Clock()
    monkeypatch.setattr(time, "monotonic", fake.monotonic)
    monkeypatch.setattr(time, "sleep", fake.sleep)
    yield fake


def status(connector: str, *tasks: str, trace: str = "") -> dict[str, Any]:
    return {"connector": {"state": connector},
            "tasks": [{"id": i, "state": s, "trace": trace} for i, s in enumerate(tasks)]}


def client_answering(monkeypatch: pytest.MonkeyPatch, answers: list[dict[str, Any] | None]) -> list[int]:
    client_calls: list[int] = []

    def fake_status(self: ConnectClient, name: str) -> dict[str, Any] | None:
        client_calls.append(1)
        return answers[min(len(client_calls), len(answers)) - 1]

    monkeypatch.setattr(ConnectClient, "status", fake_status)
    return client_calls


def test_running_must_be_seen_three_times_in_a_row(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    running = status("RUNNING", "RUNNING")
    calls = client_answering(monkeypatch, [None, running, status("RUNNING", "UNASSIGNED"), running, running,
                                           running])
    assert ConnectClient("http://connect").wait_running("c") == running
    assert len(calls) == 6 and clock.now == 1005.0  # one poll a second


def test_a_failed_task_ends_the_wait_with_its_trace(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = client_answering(monkeypatch, [status("RUNNING", "FAILED", trace="java.lang.Boom: no\n  at x")])
    with pytest.raises(ConnectError, match="connector c on http://connect FAILED: java.lang.Boom: no$"):
        ConnectClient("http://connect").wait_running("c")
    assert len(calls) == 1


def test_not_running_in_time(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    client_answering(monkeypatch, [status("RUNNING")])  # no task yet
    with pytest.raises(ConnectError, match="not RUNNING after 10s"):
        ConnectClient("http://connect").wait_running("c", timeout=10)
    assert 1010.0 <= clock.now <= 1011.0


def test_a_checkpoint_connector_may_run_without_tasks(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    client_answering(monkeypatch, [status("RUNNING")])
    assert ConnectClient("http://connect").wait_running("c", require_tasks=False) == status("RUNNING")


def test_wait_gone_returns_the_survivors(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    exits_at = {1: 1000.5, 2: 1001.0, 3: 9999.0}
    monkeypatch.setattr(process, "is_running", lambda pid: clock.now < exits_at[pid])
    assert process.wait_gone([1, 2, 3], timeout=5) == [3]
    assert 1005.0 <= clock.now <= 1005.4
    assert process.wait_gone([1, 2], timeout=5) == [] and clock.now <= 1005.4


def cp(upstream: int) -> Checkpoint:
    return Checkpoint("g", "K1.orders", 0, upstream, upstream)


def test_checkpoints_wait_until_caught_up_or_settled(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[Checkpoint] = []
    monkeypatch.setattr(fo, "read_checkpoints", lambda side, source, sep: (list(log), None))
    # MM2 writes a new checkpoint every 2 s; the group's last commit on K1 is at 10
    schedule = iter([cp(2), cp(4), cp(6), cp(8), cp(10)])
    real_sleep = time.sleep

    def sleep_and_replicate(seconds: float) -> None:
        real_sleep(seconds)
        if clock.now % 2 == 0:
            log.append(next(schedule))

    monkeypatch.setattr(time, "sleep", sleep_and_replicate)
    latest, behind = fo._wait_checkpoints(None, "K1", ".", "g", {("orders", 0): 10},  # type: ignore[arg-type]
                                          wait_s=60, settle_s=5)
    assert behind == 0 and latest[("K1.orders", 0)].upstream_offset == 10 and clock.now == 1010.0

    # no new checkpoint for settle_s: the ones there are final, though 2 records behind
    log[:] = [cp(8)]
    began = clock.now
    monkeypatch.setattr(time, "sleep", real_sleep)
    latest, behind = fo._wait_checkpoints(None, "K1", ".", "g", {("orders", 0): 10},  # type: ignore[arg-type]
                                          wait_s=60, settle_s=5)
    assert behind == 2 and clock.now - began == 5.0


def test_checkpoints_never_wait_longer_than_wait_s(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    upstream = iter(range(100))
    monkeypatch.setattr(fo, "read_checkpoints", lambda side, source, sep: ([cp(next(upstream) % 5)], None))
    began = clock.now
    _, behind = fo._wait_checkpoints(None, "K1", ".", "g", {("orders", 0): 10},  # type: ignore[arg-type]
                                     wait_s=7, settle_s=5)
    assert behind > 0 and 7.0 <= clock.now - began <= 8.0
