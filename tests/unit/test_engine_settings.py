"""`--parallel` for the engine commands that run steps, unless the user gives a parallelism (the checkpoint setting
of scripts/pulumi-env.sh is tested in tests/tools/test_engine_env.py)."""
from __future__ import annotations

import pytest

from kaa.pulumi_engine import PARALLEL, engine_args


@pytest.mark.parametrize("command", ["up", "update", "preview", "refresh", "destroy"])
def test_step_commands_get_the_projects_parallelism(command: str) -> None:
    assert engine_args([command, "--stack", "dev", "--yes"]) == [command, "--parallel", str(PARALLEL[command]),
                                                                 "--stack", "dev", "--yes"]


def test_each_command_gets_its_own_measured_parallelism() -> None:
    # docs/pulumi.md, Engine settings: the values measured per command, side by side on a private pair
    assert PARALLEL == {"up": 128, "update": 128, "preview": 128, "refresh": 32, "destroy": 128}
    assert PARALLEL["update"] == PARALLEL["up"]  # `pulumi update` is `pulumi up`


@pytest.mark.parametrize("given", [["--parallel", "4"], ["--parallel=4"], ["-p", "4"], ["-p4"], ["-p=4"]])
def test_a_parallelism_the_user_gives_wins(given: list[str]) -> None:
    assert engine_args(["up", "--yes", *given]) == ["up", "--yes", *given]


@pytest.mark.parametrize("args", [["stack", "export"], ["config", "set", "x", "up"], ["--cwd", "x", "up"], []])
def test_other_commands_are_left_alone(args: list[str]) -> None:
    assert engine_args(args) == args
