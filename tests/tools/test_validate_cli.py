"""`kaa validate` as a real process on bad input: one golden case per mistake under tests/golden/invalid/<case>/
(tests/unit/test_validate_golden.py checks the same cases in-process, in a fraction of the time).

Each case holds `stack.yaml` (plus `base.yaml` or schema files when the mistake needs them) and `expected.txt`,
the exact error text. `kaa validate stack.yaml` runs in the case folder as a real subprocess, so file names in
messages are relative and the test sees exactly what a user sees: exit code 2, one line per problem, no traceback.
"""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KAA = ROOT / "scripts" / "kaa"
INVALID = ROOT / "tests" / "golden" / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())
SHIPPED = ("local", "dev", "prod")


def _kaa_validate(cwd: Path, *files: str) -> subprocess.CompletedProcess[str]:
    # The test's interpreter is the project's virtualenv, so `kaa` runs without re-executing itself.
    command = [sys.executable, str(KAA), "validate", *files]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def runs() -> dict[str, subprocess.CompletedProcess[str]]:
    """Every case and every shipped stack, validated by concurrent `kaa` processes (each one pays Python's
    start-up and imports; running them side by side keeps the suite fast)."""
    jobs: dict[str, Callable[[], subprocess.CompletedProcess[str]]] = {
        **{case: (lambda case=case: _kaa_validate(INVALID / case, "stack.yaml")) for case in CASES},
        "stacks": lambda: _kaa_validate(ROOT, *(f"stacks/{s}.yaml" for s in SHIPPED)),
    }
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("case", CASES)
def test_invalid_stack_is_rejected_with_the_exact_message(
    case: str, runs: dict[str, subprocess.CompletedProcess[str]], golden: Callable[[Path, str], None]
) -> None:
    result = runs[case]
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    golden(INVALID / case / "expected.txt", result.stderr)


@pytest.mark.parametrize("case", CASES)
def test_every_problem_is_one_line_in_the_documented_format(
    case: str, runs: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    lines = runs[case].stderr.splitlines()
    assert lines
    for line in lines:
        file, key_path, rest = line.split(": ", 2)  # <file>: <key path>: <problem> (got <value>); <fix>
        assert file.endswith(".yaml") and key_path and rest
        assert "; " in rest, f"no fix in: {line}"


def test_shipped_stacks_are_valid(runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    result = runs["stacks"]
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert [line.split(":", 1)[0] for line in lines] == [f"stacks/{s}.yaml" for s in SHIPPED]
    for line in lines:
        assert ": valid: 4 topics on K1 and K2, 5 schema subjects" in line
