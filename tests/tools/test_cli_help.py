"""Every failover and drill command answers --help with its exit codes, as a real `kaa` process."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", [["failover"], ["failover", "status"], ["failover", "run"], ["failover", "back"],
                                     ["drill"]])
def test_every_command_has_help_with_exit_codes(command):
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "kaa"), *command, "--help"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Exit codes: 0" in result.stdout
