"""The pre-flight on the real pair (SASL/SCRAM brokers): the admin credentials right pass, a wrong SCRAM password
gives one line naming cluster, endpoint, cause and key, and `kaa drift` / `kaa failover status` exit 2 before
reading or changing anything. The credentials come from KAA_<ALIAS>_* as on a real estate."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from kaa.clients.pair_access import PairAccess
from kaa.clients.reachability import preflight
from kaa.local import LocalPair
from kaa.topology.spec import load_topology

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "stacks" / "local.yaml"
WRONG = "not-the-admin-password"


def environ(local_pair: LocalPair, password_k2: str | None = None) -> dict[str, str]:
    out = {}
    for alias in local_pair.aliases:
        kafka = local_pair.client_settings(alias)["kafka"]
        out[f"KAA_{alias}_ADMIN_USERNAME"] = kafka["sasl.username"]
        out[f"KAA_{alias}_ADMIN_PASSWORD"] = kafka["sasl.password"]
    if password_k2 is not None:
        out["KAA_K2_ADMIN_PASSWORD"] = password_k2
    return out


def test_the_real_pair_passes_with_its_credentials(local_pair: LocalPair) -> None:
    topology = load_topology(STACK)
    assert preflight(topology, PairAccess.from_env(topology, environ(local_pair)), timeout=10.0) == []


def test_a_wrong_scram_password_is_one_line_naming_cluster_endpoint_cause_and_key(local_pair: LocalPair) -> None:
    topology = load_topology(STACK)
    problems = preflight(topology, PairAccess.from_env(topology, environ(local_pair, WRONG)), timeout=10.0)
    assert [(p.alias, p.key) for p in problems] == [("K2", "bootstrap_servers")]
    line = problems[0].line
    assert line.startswith("stacks/local.yaml: clusters.K2.bootstrap_servers: the Kafka cluster of K2 at "
                           "127.0.0.1:29092 cannot be reached: authentication failed (SASL SCRAM-SHA-512): "), line
    assert "invalid credentials" in line and WRONG not in line
    assert line.endswith("; fix KAA_K2_ADMIN_USERNAME / KAA_K2_ADMIN_PASSWORD (nothing was changed)")


def _kaa(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / "scripts" / "kaa"), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_drift_and_failover_stop_with_exit_2_on_wrong_credentials(local_pair: LocalPair) -> None:
    env = environ(local_pair, WRONG)
    for command in (["drift", "--stack", str(STACK)], ["failover", "status", "--stack", str(STACK)]):
        result = _kaa(*command, env=env)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "clusters.K2.bootstrap_servers: the Kafka cluster of K2 at 127.0.0.1:29092 cannot be reached: " \
               "authentication failed" in lines[0]
        assert WRONG not in result.stderr
