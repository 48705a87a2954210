"""`kaa migrate --stack S`: move a stack's state to the current resource layout without touching the pair."""
from __future__ import annotations

import argparse
from collections.abc import Sequence

from kaa.acl_layout import Runner, migrate_acl_layout, summary
from kaa.pulumi_engine import engine_env, run_pulumi, with_local_passphrase


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "migrate",
        help="move a stack's state from per-binding ACL resources to ACL sets (no live ACL changes)",
        description="Stacks created before ACL sets hold one kafka:index/acl:Acl resource per binding. A `pulumi "
        "up` with ACL sets would create the sets and then delete those resources, and with them the live "
        "bindings. This removes them from the state only (pulumi stack export / import); the next `pulumi up` "
        "adopts the live bindings into one ACL set per principal and cluster. `kaa pulumi up` and `kaa "
        "quickstart` do it themselves; run it once before `pulumi up` when you use your own Pulumi.",
        epilog="Exit codes: 0 migrated or nothing to migrate, 2 pulumi failed.",
    )
    p.add_argument("--stack", help="the stack (default: the selected one)")
    p.add_argument("--dry-run", action="store_true", help="only say what would be removed from the state")
    p.set_defaults(func=run)


def stack_runner(env: dict[str, str], stack: str | None) -> Runner:
    """Runs pulumi for `stack` (the selected one when None) and returns its stdout."""
    def run(args: Sequence[str]) -> str:
        return run_pulumi([*args, *(["--stack", stack] if stack else [])], env, capture=True).stdout
    return run


def run(args: argparse.Namespace) -> int:
    env = with_local_passphrase(engine_env(), args.stack)
    urns = migrate_acl_layout(stack_runner(env, args.stack), dry_run=args.dry_run)
    print(summary(args.stack, urns, args.dry_run))
    return 0
