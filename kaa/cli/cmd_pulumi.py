"""`kaa pulumi ARGS`: run the pinned Pulumi engine with the project's environment."""
from __future__ import annotations

import argparse
import os
import sys

from kaa.acl_layout import CHECKED_ENV, migrate_acl_layout, summary
from kaa.cli.cmd_migrate import stack_runner
from kaa.pulumi_engine import (
    PARALLEL,
    ROOT,
    EngineError,
    engine_args,
    engine_env,
    stack_of,
    with_local_passphrase,
)


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
        "(`kaa migrate`), so the update deletes no live ACL. Users with their own Pulumi can run `pulumi` "
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
    os.execvpe("pulumi", ["pulumi", *engine_args(args.args)], env)
