"""`kaa` commands read `credentials.<alias>.*` from the stack's Pulumi config: plain values from the file, secret
ones through the engine only when no environment variable gives them, and a failure to decrypt is one line."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kaa import stack_secrets
from kaa.errors import KaaError

STACK_FILE = """config:
  kafka-active-active:credentials:
    K1:
      adminUsername: kaa-admin
      adminPassword:
        secure: v1:abc:def
    K2:
      adminUsername: kaa-admin-2
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: kafka-active-active\nruntime: python\n")
    (tmp_path / "Pulumi.prod.yaml").write_text(STACK_FILE)
    return tmp_path


def engine_answering(monkeypatch: pytest.MonkeyPatch, returncode: int, stdout: str, stderr: str = "") -> list[Any]:
    calls: list[Any] = []

    def fake(args: list[str], env: Any = None, cwd: Path | None = None, capture: bool = False,
             check: bool = True) -> subprocess.CompletedProcess[str]:
        calls.append((list(args), cwd))
        return subprocess.CompletedProcess(args, returncode, stdout, stderr)

    monkeypatch.setattr(stack_secrets, "run_pulumi", fake)
    return calls


def test_secrets_overridden_by_the_environment_need_no_engine(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = engine_answering(monkeypatch, 1, "", "should not run")
    creds = stack_secrets.stack_credentials("prod", {"KAA_K1_ADMIN_PASSWORD": "from-env"}, cwd=project)
    assert creds == {"K1": {"adminUsername": "kaa-admin"}, "K2": {"adminUsername": "kaa-admin-2"}}
    assert calls == []


def test_secret_values_are_decrypted_by_the_engine_in_the_project(project: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    shown = {"kafka-active-active:credentials": {
        "value": "{}", "secret": True,
        "objectValue": {"K1": {"adminUsername": "kaa-admin", "adminPassword": "s3cret-pw"},
                        "K2": {"adminUsername": "kaa-admin-2"}}}}
    calls = engine_answering(monkeypatch, 0, json.dumps(shown))
    creds = stack_secrets.stack_credentials("prod", {}, cwd=project)
    assert creds["K1"]["adminPassword"] == "s3cret-pw"
    assert calls == [(["config", "--show-secrets", "--json", "--stack", "prod"], project)]


def test_a_wrong_passphrase_is_one_line_naming_the_key_and_the_fix(project: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    engine_answering(monkeypatch, 255, "", "error: incorrect passphrase\nmore detail\n")
    with pytest.raises(KaaError) as exc:
        stack_secrets.stack_credentials("prod", {}, cwd=project)
    message = str(exc.value)
    assert "\n" not in message
    assert message == (f"{project / 'Pulumi.prod.yaml'}: credentials.K1.adminPassword: cannot decrypt the stack's "
                       "secret config (error: incorrect passphrase); set PULUMI_CONFIG_PASSPHRASE or "
                       "PULUMI_CONFIG_PASSPHRASE_FILE for stack prod, or set KAA_K1_ADMIN_PASSWORD")


def test_a_stack_without_a_pulumi_config_file_has_no_credentials(project: Path) -> None:
    assert stack_secrets.stack_credentials("staging", {}, cwd=project) == {}
