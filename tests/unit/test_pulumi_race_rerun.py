"""`kaa pulumi up|destroy|refresh` (kaa/cli/cmd_pulumi.py) runs the command once more when, and only when, the
engine's event log says it failed only for the kafka provider's connection race (`kafka: broker not connected`).
A stand-in for the `pulumi` process writes the event log it is given (`--event-log`, shown by
PULUMI_DEBUG_COMMANDS) from a recorded stream, so the real argument handling, event-log reading and exit codes run
here; the real engine runs it in tests/e2e/test_provider_race.py."""
from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kaa.cli import cmd_pulumi

STREAMS = Path(__file__).parent / "engine_streams"
RACE = STREAMS / "kafka-connection-race.eventlog"
OTHER = STREAMS / "kafka-unreachable.jsonl"
Attempt = tuple[int, "Path | None"]


@pytest.fixture
def fake_pulumi(monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, list[str]]]:
    """run(args, *attempts): `kaa pulumi ARGS` where the n-th pulumi process writes attempts[n]'s recorded event
    log (None: none) and exits with its code; the exit code and each process's arguments and debug flag."""
    monkeypatch.setattr(cmd_pulumi, "engine_env", lambda: {"PATH": "/usr/bin"})
    monkeypatch.setattr(cmd_pulumi.os, "chdir", lambda path: None)
    monkeypatch.setattr(cmd_pulumi, "migrate_acl_layout", lambda runner: [])

    def run(args: list[str], *attempts: Attempt) -> tuple[int, list[str]]:
        calls: list[str] = []

        def process(argv: list[str], env: dict[str, Any]) -> int:
            assert argv[0] == "pulumi"
            calls.append(f"{' '.join(argv[1:])} debug={env.get('PULUMI_DEBUG_COMMANDS', '')}")
            code, stream = attempts[len(calls) - 1]
            log = argv[argv.index("--event-log") + 1] if "--event-log" in argv else None
            if log and stream:
                shutil.copy(stream, log)
            return code
        monkeypatch.setattr(cmd_pulumi.subprocess, "call", process)
        return cmd_pulumi.run(argparse.Namespace(args=args)), calls
    return run


def test_an_up_that_lost_only_the_race_is_run_once_more(fake_pulumi, capsys) -> None:
    code, calls = fake_pulumi(["up", "--stack", "prod", "--yes"], (255, RACE), (0, None))
    assert code == 0 and len(calls) == 2
    assert all("--event-log" in c and c.endswith("debug=true") for c in calls)
    same = [c.split(" --event-log ")[0] for c in calls]
    assert same[0] == same[1] == f"up --parallel {cmd_pulumi.PARALLEL['up']} --stack prod --yes"
    assert "running `pulumi up` once more" in capsys.readouterr().err


def test_the_rerun_happens_once_and_its_exit_code_is_returned(fake_pulumi) -> None:
    code, calls = fake_pulumi(["destroy", "--stack", "prod", "--yes"], (255, RACE), (255, RACE), (0, None))
    assert (code, len(calls)) == (255, 2)


@pytest.mark.parametrize("stream", [OTHER, None])
def test_any_other_failure_is_not_run_again(fake_pulumi, capsys, stream) -> None:
    code, calls = fake_pulumi(["up", "--stack", "prod", "--yes"], (255, stream), (0, None))
    assert (code, len(calls)) == (255, 1)
    assert "once more" not in capsys.readouterr().err


def test_a_success_is_run_once(fake_pulumi) -> None:
    assert fake_pulumi(["refresh", "--stack", "prod", "--yes"], (0, RACE))[0] == 0
    assert len(fake_pulumi(["refresh", "--stack", "prod", "--yes"], (0, RACE))[1]) == 1


def test_an_event_log_the_user_gave_is_the_one_written_and_read(fake_pulumi, tmp_path) -> None:
    mine = tmp_path / "mine.jsonl"
    code, calls = fake_pulumi(["up", "--yes", "--event-log", str(mine)], (255, RACE), (0, None))
    assert (code, len(calls)) == (0, 2)
    assert all(c.count("--event-log") == 1 and str(mine) in c for c in calls)
