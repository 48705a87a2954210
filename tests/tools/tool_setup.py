"""Installing one part of the tools tier for a test: a failed install fails the test with the script's output,
never skips it."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def setup_tool(part: str) -> None:
    done = subprocess.run([str(ROOT / "scripts" / "setup-tools.sh"), part], capture_output=True, text=True,
                          timeout=900, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        pytest.fail(f"scripts/setup-tools.sh {part} could not install {part} (exit {done.returncode}):\n{tail}")
