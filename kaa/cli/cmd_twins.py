"""`kaa twins`: list (and with --yes delete) what MM2 left on the pair that no flow copies any more.

The Pulumi stack deletes its twins and MM2's own topics itself when MM2 runs on the pair's Connect. This command
is for the rest: MM2 run outside the stack (`mirror.runtime: dedicated` or `strimzi`, which the stack cannot stop
first), pairs destroyed before the stack did this, and topics a provider had to keep (Connect unreachable)."""
from __future__ import annotations

import argparse
import re
import sys

from kaa.cli.cmd_drift import pair_access
from kaa.cli.stack_args import add_stack_argument, load_stack
from kaa.clients.kafka_admin import KafkaAdmin
from kaa.errors import KaaError
from kaa.leftover_removal import live_connectors, remove_leftovers
from kaa.mirror.mm2_leftovers import orphans

DESCRIPTION = """\
List the remote twins (<alias>.<topic>) whose topic the stack no longer mirrors or that is gone from its
cluster, and MM2's own topics (heartbeats, <alias>.heartbeats, <alias>.checkpoints.internal,
mm2-offset-syncs.<alias>.internal) that no MM2 connector on the pair's Connect uses any more. --yes deletes
them. A topic a live MM2 connector still copies or uses is listed as kept and never deleted (MM2 would
recreate it). MM2 running outside Connect is invisible here: stop or reconfigure it before --yes.

Credentials as for `kaa drift`: the `local` stack (or --local) reads the running local pair; other stacks read
KAA_<ALIAS>_ADMIN_USERNAME and KAA_<ALIAS>_ADMIN_PASSWORD."""

EPILOG = "Exit codes: 0 nothing left over (or all of it deleted), 1 leftovers listed, not deleted, 2 error."


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("twins", help="list (--yes: delete) MM2 twins and topics no flow copies any more",
                       description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_stack_argument(p)
    p.add_argument("--yes", action="store_true", help="delete what is listed (default: only list)")
    p.add_argument("--scope", metavar="REGEX",
                   help="only twins whose local topic name matches REGEX (clusters shared by several stacks)")
    p.add_argument("--local", action="store_true", help="read the running local pair whatever the stack")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for deletions (default 60)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        scope = re.compile(args.scope) if args.scope is not None else None
    except re.error as exc:
        raise KaaError(f"--scope {args.scope!r} is not a regular expression ({exc}); e.g. 'orders|pay-.*'") from None
    topology = load_stack(args)
    access = pair_access(args, topology)
    admins = {a: KafkaAdmin(access[a].kafka, a) for a in topology.aliases}
    connects = [access[a].connect_client() for a in topology.aliases]
    connectors = live_connectors(connects)
    free, kept = orphans(topology, {a: admin.topics() for a, admin in admins.items()}, connectors, scope)
    for leftover, keeper in kept:
        print(f"kept     {leftover.cluster}  {leftover.name}  (MM2 connector {keeper} still uses it)")
    if not free:
        print(f"nothing of MM2's is left over on {' and '.join(topology.aliases)} for stack {topology.name}")
        return 0
    verb = "delete" if args.yes else "left"
    for leftover in free:
        what = f"twin of {leftover.copies}" if leftover.copies and leftover.copies != "heartbeats" else "MM2 topic"
        print(f"{verb:<8} {leftover.cluster}  {leftover.name}  ({what})")
    if not args.yes:
        print(f"{len(free)} left over; delete them with: scripts/kaa twins --stack {args.stack} --yes", file=sys.stderr)
        return 1
    deleted = 0
    for alias in topology.aliases:
        mine = [t for t in free if t.cluster == alias]
        done, held = remove_leftovers(admins[alias], mine, live_connectors(connects), args.timeout)
        deleted += len(done)
        for name, keeper in held:
            print(f"kept     {alias}  {name}  (MM2 connector {keeper} started using it meanwhile)")
    print(f"deleted {deleted} topic(s)")
    return 0
