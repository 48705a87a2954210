"""Fixtures of the TLS tier: the real TLS pair (`kaa local up --tls`) and the `local-tls` Pulumi stack on it.

The session starts the TLS pair through `LocalPair(tls=True)` when it is not running and reuses it when it is; it
leaves it running (`kaa local down --tls` stops it; .ci/run does). A pair that cannot start fails the run with the
reason and its log tail: these tests are never skipped. The stack's Pulumi state lives in the pair's state folder
and every `up` refreshes first, so a reused or re-created pair gives the same result.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kaa.clients.kafka_admin import KafkaAdmin  # noqa: E402
from kaa.errors import KaaError, LocalPairError  # noqa: E402
from kaa.local import LocalPair  # noqa: E402
from kaa.pulumi_engine import (  # noqa: E402
    LOCAL_PASSPHRASE,
    LOCAL_TLS_STACK,
    RACE_RERUN,
    engine_env,
    race_rerun_note,
)
from kaa.up_summary import connection_race_only  # noqa: E402

PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "components", "kaa", "stacks", ".venv")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.tls)


@pytest.fixture(scope="session")
def tls_pair() -> Iterator[LocalPair]:
    pair = LocalPair(tls=True, progress=sys.stderr)
    # stacks/local-tls.yaml finds the CA through this variable: make the stack and the pair agree.
    os.environ["KAA_LOCAL_TLS_STATE"] = str(pair.state_dir)
    try:
        pair.up()
    except LocalPairError as exc:
        pytest.fail(f"the TLS pair could not start: {exc}", pytrace=False)
    yield pair


class TlsStack:
    """`pulumi` on the local-tls stack in a private project folder (so config edits never touch the repo's
    Pulumi.local-tls.yaml), with its state in the TLS pair's state folder."""

    def __init__(self, workdir: Path, pair: LocalPair, env: dict[str, str], name: str = LOCAL_TLS_STACK,
                 state: Path | None = None):
        self.name = name
        self.project = workdir / "project"
        self.project.mkdir(parents=True, exist_ok=True)
        for entry in PROJECT_FILES:
            link = self.project / entry
            if not link.exists():
                link.symlink_to(ROOT / entry)
        if name == LOCAL_TLS_STACK:
            shutil.copy(ROOT / f"Pulumi.{name}.yaml", self.project / f"Pulumi.{name}.yaml")
        state = state or pair.state_dir / "pulumi-tests"
        state.mkdir(exist_ok=True)
        self.env = {**env, "PULUMI_BACKEND_URL": f"file://{state}", "PULUMI_CONFIG_PASSPHRASE": LOCAL_PASSPHRASE,
                    "KAA_LOCAL_TLS_STATE": str(pair.state_dir)}
        self.env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
        subprocess.run(["pulumi", "stack", "select", "--create", name, "--non-interactive"],
                       cwd=self.project, env=self.env, capture_output=True, text=True, check=False)

    def run(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        cmd = ["pulumi", *args, "--stack", self.name, "--non-interactive"]
        result = subprocess.run(cmd, cwd=self.project, env=self.env, text=True, capture_output=True, timeout=timeout)
        if result.returncode != 0 and args[0] in RACE_RERUN and connection_race_only(
                result.stdout + "\n" + result.stderr):
            print(f"{self.name}: {race_rerun_note(args[0])}", file=sys.stderr, flush=True)  # as `kaa pulumi` does
            result = subprocess.run(cmd, cwd=self.project, env=self.env, text=True, capture_output=True,
                                    timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(cmd[:3])} failed ({result.returncode}):\n{result.stdout[-4000:]}\n"
                                 f"{result.stderr[-4000:]}")
        return result

    def up(self, *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = self.run("up", "--yes", "--skip-preview", *extra, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"pulumi up failed ({result.returncode}):\n{result.stdout[-4000:]}\n"
                                 f"{result.stderr[-4000:]}")
        return result

    def outputs(self) -> dict[str, Any]:
        return dict(json.loads(self.run("stack", "output", "--json", "--show-secrets").stdout))


@pytest.fixture(scope="session")
def engine() -> dict[str, str]:
    try:
        return engine_env()
    except KaaError as exc:
        pytest.fail(f"the Pulumi engine is not available: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def tls_stack(tls_pair: LocalPair, engine: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> TlsStack:
    """The local-tls stack, brought up (after a refresh) on the TLS pair."""
    stack = TlsStack(tmp_path_factory.mktemp("local-tls"), tls_pair, engine)
    known = json.loads(stack.run("stack", "export").stdout).get("deployment", {}).get("resources") or []
    held = KafkaAdmin(tls_pair.client_settings("K1")["kafka"], "K1").topics()
    if not known and "orders" in held:
        pytest.fail(f"the TLS pair in {tls_pair.state_dir} already holds the stack's topics, but this tier's "
                    "Pulumi state knows none (another backend created them): `scripts/kaa local down --tls --wipe` "
                    "and run again", pytrace=False)
    stack.up("--refresh")
    return stack
