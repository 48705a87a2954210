"""The pinned Pulumi engine (CLI, Python language host, dynamic-provider shim, kafka plugin) and the
environment it runs in. `scripts/setup-pulumi.sh` builds or finds it; `scripts/pulumi-env.sh` is the one
definition of its environment (PATH, file backend, no update checks, no plugin downloads)."""
from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from kaa.errors import KaaError
from kaa.up_summary import engine_failure

ROOT = Path(__file__).resolve().parent.parent
LOCAL_STACK = "local"
LOCAL_TLS_STACK = "local-tls"  # the TLS local pair (`kaa local up --tls`); its secrets are local defaults too
# The local stack's secrets are the local pair's defaults; its passphrase only guards a local file backend.
LOCAL_PASSPHRASE = "kaa-local-only"
# Engine settings the project sets for its users (docs/pulumi.md, "Engine settings"): scripts/pulumi-env.sh exports
# PULUMI_SKIP_CHECKPOINTS=true unless the caller set it, and these commands get `--parallel PARALLEL[command]` unless
# the caller passed a parallelism. Pulumi's default is 4 per CPU (8 here); a stack's steps mostly wait on brokers,
# registries and Connect, not on this machine's CPU, and a topic delete waits for the broker most of all. The figures
# behind each value are in docs/pulumi.md.
PARALLEL = {"up": 128, "update": 128, "preview": 128, "refresh": 32, "destroy": 128}


# Commands whose failure, when it is only the kafka provider's connection race (kaa/up_summary.py,
# connection_race_only), `kaa pulumi`, `kaa quickstart` and the tests run once more: the steps that failed sent
# nothing, what succeeded is in the state, so the rerun does only what is left (docs/pulumi.md).
RACE_RERUN = frozenset({"up", "update", "destroy", "refresh"})


def race_rerun_note(command: str) -> str:
    return (f"the kafka provider lost a race opening its connection to a cluster's controller (`kafka: broker not "
            f"connected`: the failed steps sent nothing); running `pulumi {command}` once more "
            "(docs/pulumi.md, \"A race in the kafka provider\")")


class EngineError(KaaError):
    """The Pulumi engine could not be set up or failed to run."""


def engine_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment `pulumi` runs in: scripts/pulumi-env.sh applied to `base` (default: os.environ)."""
    base = dict(os.environ if base is None else base)
    setup = subprocess.run([str(ROOT / "scripts" / "setup-pulumi.sh")], env=base, capture_output=True, text=True)
    if setup.returncode != 0:
        raise EngineError("could not set up the Pulumi engine (scripts/setup-pulumi.sh):\n" + setup.stderr[-3000:])
    dump = subprocess.run(
        ["bash", "-c", f'source "{ROOT}/scripts/pulumi-env.sh" >/dev/null && env -0'],
        env=base, capture_output=True, check=True,
    )
    env = dict(item.split("=", 1) for item in dump.stdout.decode().split("\0") if "=" in item)
    venv_bin = str(ROOT / ".venv" / "bin")
    env["PATH"] = f"{env['PATH']}:{venv_bin}"
    return env


def stack_of(args: Sequence[str]) -> str | None:
    for i, arg in enumerate(args):
        if arg in ("-s", "--stack") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--stack="):
            return arg.split("=", 1)[1]
    return None


def with_local_passphrase(env: dict[str, str], stack: str | None) -> dict[str, str]:
    """The local stacks get a fixed passphrase unless the user set one; other stacks never do."""
    if stack in (LOCAL_STACK, LOCAL_TLS_STACK) and not env.get("PULUMI_CONFIG_PASSPHRASE") and not env.get(
            "PULUMI_CONFIG_PASSPHRASE_FILE"):
        return {**env, "PULUMI_CONFIG_PASSPHRASE": LOCAL_PASSPHRASE}
    return env


def engine_args(args: Sequence[str]) -> list[str]:
    """`args` with `--parallel PARALLEL[command]` after the command when it is one of PARALLEL's (given first)
    and no `-p`/`--parallel` is there already."""
    out = list(args)
    if not out or out[0] not in PARALLEL:
        return out
    if any(a in ("-p", "--parallel") or a.startswith(("--parallel=", "-p=")) or (a[:2] == "-p" and a[2:].isdigit())
           for a in out):
        return out
    return [out[0], "--parallel", str(PARALLEL[out[0]]), *out[1:]]


def run_pulumi(args: Sequence[str], env: dict[str, str] | None = None, cwd: Path = ROOT,
               capture: bool = False, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = with_local_passphrase(env or engine_env(), stack_of(args))
    result = subprocess.run(["pulumi", *engine_args(args)], cwd=cwd, env=env, text=True, capture_output=capture)
    if check and result.returncode != 0:
        # The engine's error lines (its diagnostics, failed steps, the end of stderr), not a tail that may hold
        # only "Resource monitor has terminated"; without capture the user saw the output already.
        detail = "\n".join(engine_failure(result.stdout or "", result.stderr or "")) if capture else ""
        raise EngineError(f"pulumi {' '.join(args)} failed with exit code {result.returncode}\n{detail}".rstrip())
    return result
