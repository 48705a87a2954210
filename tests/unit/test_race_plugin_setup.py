"""The e2e tier's test-only kafka plugin (tests/e2e/race_plugin, used by tests/e2e/test_provider_race.py) is built in
set-up, not in the timed test run: `make setup` (which `make test`, and so .ci/run, runs first) calls its build
script after scripts/setup.sh has built the stand-in whose module and build caches it reuses."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = "tests/e2e/race_plugin/build.sh"


def test_make_setup_builds_the_race_plugin_after_the_engine() -> None:
    recipe = re.search(r"(?ms)^setup:.*?\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text())
    assert recipe, "the Makefile has no setup target"
    lines = [line.strip() for line in recipe.group(1).splitlines()]
    steps = [i for i, line in enumerate(lines) if line.startswith(BUILD)]
    engine = [i for i, line in enumerate(lines) if line.startswith("scripts/setup.sh all")]
    assert steps and engine and engine[0] < steps[0], f"make setup does not run {BUILD} after scripts/setup.sh all"
    assert (ROOT / BUILD).stat().st_mode & 0o111, f"{BUILD} is not executable"


def test_test_runs_setup_first() -> None:
    assert re.search(r"(?m)^test: setup\b", (ROOT / "Makefile").read_text()), "make test does not depend on setup"
