"""scripts/ci/tls-files.sh, the workflows' step that turns PEM secrets into the files the CLI reads."""
from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_tls_files_step_writes_private_files_and_prints_no_pem(tmp_path: Path) -> None:
    pem = "-----BEGIN CERTIFICATE-----\nMIIBsecretish\n-----END CERTIFICATE-----"
    github_env = tmp_path / "github_env"
    result = subprocess.run([str(ROOT / "scripts" / "ci" / "tls-files.sh")], capture_output=True, text=True,
                            check=True, env={**os.environ, "RUNNER_TEMP": str(tmp_path), "GITHUB_ENV": str(github_env),
                                             "KAA_K2_HTTP_CA_PEM": pem, "KAA_K1_KAFKA_CA_PEM": ""})
    written = tmp_path / "kaa-tls" / "K2-HTTP_CA.pem"
    assert github_env.read_text() == f"KAA_K2_HTTP_CA_FILE={written}\n"
    assert written.read_text() == pem + "\n"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert "MIIB" not in result.stdout + result.stderr
