"""The Pulumi program's pre-flight uses the stack's own credentials (config `credentials.<alias>.*`): a wrong
SCRAM password stops `pulumi up` with one line naming the cluster, the endpoint, `authentication failed` and the
config key, before any resource is declared (nothing created, the password never shown); the right one passes."""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kaa.local import LocalPair
from tests.e2e.pulumi_stack import PulumiStack

WRONG = "wrong-admin-Passw0rd"


@pytest.fixture
def stack(engine: dict[str, str], local_pair: LocalPair) -> Iterator[PulumiStack]:
    with tempfile.TemporaryDirectory(prefix="kaa-e2e-preflight-") as tmp:
        s = PulumiStack(Path(tmp), engine, name="e2e-preflight")
        s.init()
        yield s


def test_a_wrong_scram_password_in_config_stops_up_before_any_change(stack: PulumiStack) -> None:
    stack.run("config", "set", "--path", "credentials.K2.adminPassword", "--secret", WRONG)
    failed = stack.run("up", "--yes", "--skip-preview", check=False, timeout=600)
    text = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert ("clusters.K2.bootstrap_servers: the Kafka cluster of K2 at 127.0.0.1:29092 cannot be reached: "
            "authentication failed (SASL SCRAM-SHA-512): ") in text, text[-3000:]
    assert "fix credentials.K2.adminUsername / credentials.K2.adminPassword (nothing was changed)" in text
    assert "clusters.K1." not in text  # K1's credentials are right: one line, for K2 only
    assert WRONG not in text and "Traceback" not in text
    assert stack.outputs() == {}  # nothing was declared, so nothing was created
