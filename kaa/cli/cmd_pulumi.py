"""`kaa pulumi ARGS`: run the pinned Pulumi engine with the project's environment."""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kaa.acl_layout import CHECKED_ENV, migrate_acl_layout, summary
from kaa.cli.cmd_migrate import stack_runner
from kaa.pulumi_engine import (
    PARALLEL,
    RACE_RERUN,
    ROOT,
    EngineError,
    engine_args,
    engine_env,
    race_rerun_note,
    stack_of,
    with_local_passphrase,
)
from kaa.up_summary import connection_race_only


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "pulumi",
        help="run the pinned Pulumi engine (e.g. kaa pulumi preview --stack local)",
        description="Run the Pulumi CLI built by scripts/setup-pulumi.sh with the project's environment: its "
        "PATH (CLI, Python host, dynamic-provider shim, kafka plugin), a file state backend under "
        "~/.cache/kafka-active-active/state unless PULUMI_BACKEND_URL is set, no update checks, no plugin "
        "downloads and no intermediate checkpoints (PULUMI_SKIP_CHECKPOINTS=true unless set: the state is written "
        "when an update ends). Unless a parallelism is given, each command gets its --parallel: "
        + ", ".join(f"{c} {n}" for c, n in PARALLEL.items()) + " (docs/pulumi.md, Engine settings). "
        "The `local` stack gets a fixed local passphrase unless PULUMI_CONFIG_PASSPHRASE is set. "
        "Before `up`, a stack still holding one ACL resource per binding is moved to ACL sets in its state only "
        "(`kaa migrate`), so the update deletes no live ACL. An up, destroy or refresh that failed only "
        "because the kafka provider lost its connection race (`kafka: broker not connected`, read from the "
        "engine's event log) is run once more (docs/pulumi.md). Users with their own Pulumi can run `pulumi` "
        "directly (after `kaa migrate` once).",
        epilog="Exit code: the one of pulumi.",
    )
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for pulumi")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    stack = stack_of(args.args)
    env = with_local_passphrase(engine_env(), stack)
    os.chdir(ROOT)
    if args.args[:1] == ["up"]:
        try:
            urns = migrate_acl_layout(stack_runner(env, stack))
            if stack:  # migrated: the program need not read the state again
                env = {**env, CHECKED_ENV: stack}
        except EngineError as exc:  # e.g. no such stack yet: pulumi up says so itself
            print(f"kaa: could not read the stack's state to check its ACL layout: {str(exc).splitlines()[0]}",
                  file=sys.stderr, flush=True)
            urns = []
        if urns:
            print(f"kaa: {summary(stack, urns)}", file=sys.stderr, flush=True)
    command = engine_args(args.args)
    if command[:1] and command[0] in RACE_RERUN:
        code, events = run_logged(command, env)
        if code != 0 and connection_race_only(events):
            print(f"kaa: {race_rerun_note(command[0])}", file=sys.stderr, flush=True)
            code, _ = run_logged(command, env)
        return code
    os.execvpe("pulumi", ["pulumi", *command], env)


def run_logged(command: Sequence[str], env: dict[str, str]) -> tuple[int, str]:
    """Runs `pulumi COMMAND` on this terminal, with the engine's event log (its `--event-log`, shown with
    PULUMI_DEBUG_COMMANDS) in a temporary file unless the caller gave one; the exit code and the log."""
    given = next((command[i + 1] for i, a in enumerate(command[:-1]) if a == "--event-log"), None) or next(
        (a.split("=", 1)[1] for a in command if a.startswith("--event-log=")), None)
    with tempfile.TemporaryDirectory(prefix="kaa-events-") as tmp:
        log = Path(given) if given else Path(tmp) / "events.jsonl"
        argv = ["pulumi", *command, *([] if given else ["--event-log", str(log)])]
        # Ctrl-C reaches pulumi itself (same process group), which stops the update cleanly; this process waits.
        previous = signal.signal(signal.SIGINT, lambda signum, frame: None)
        try:
            code = subprocess.call(argv, env={**env, "PULUMI_DEBUG_COMMANDS": "true"})
        finally:
            signal.signal(signal.SIGINT, previous)
        return code, log.read_text(errors="replace") if log.exists() else ""
