"""`make up` installs only the main job's parts; `make test` and .ci/run also install the tools tier."""
from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _make_dry_run(target: str) -> list[str]:
    done = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def _parts(target: str) -> list[str]:
    done = subprocess.run([str(ROOT / "scripts" / "setup.sh"), "--list", target], capture_output=True, text=True,
                          check=True)
    return done.stdout.split()


def _setup_targets(lines: list[str]) -> list[str]:
    return [line.split()[1] for line in lines if line.startswith("scripts/setup.sh ")]


def test_make_up_sets_up_only_the_main_job() -> None:
    assert _setup_targets(_make_dry_run("up")) == ["main"]
    assert _parts("main") == ["python", "jars", "pulumi"]


def test_make_test_and_ci_set_up_the_tools_tier_too() -> None:
    assert _setup_targets(_make_dry_run("test")) == ["all"]
    assert _parts("all") == ["python", "jars", "pulumi", "tools"]
    assert "scripts/setup.sh all" in (ROOT / ".ci" / "run").read_text()


def test_an_unknown_setup_target_is_refused_with_the_usage() -> None:
    done = subprocess.run([str(ROOT / "scripts" / "setup.sh"), "bogus"], capture_output=True, text=True)
    assert done.returncode == 2 and "usage: scripts/setup.sh [main|all|" in done.stderr
