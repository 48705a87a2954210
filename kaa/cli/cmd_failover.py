"""`kaa failover status | run | back`: can consumers move, move them off a lost cluster, and bring them home."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from kaa.cli.cmd_drift import pair_access, secrets_of
from kaa.cli.stack_args import add_stack_argument, load_stack
from kaa.clients.reachability import refuse_bad_settings
from kaa.errors import KaaError
from kaa.failover import failover_moves as fo
from kaa.failover.failover_plan import Limits
from kaa.failover.failover_status import status
from kaa.redaction import scrub

EXIT_CODES = "Exit codes: 0 ready / done, 1 not ready / refused by a safety check (nothing changed), 2 error (bad " \
             "input, missing credentials, a needed cluster unreachable)."

CREDENTIALS = """\
Credentials: the `local` stack (or --local) reads the running local pair; other stacks read
KAA_<ALIAS>_ADMIN_USERNAME and KAA_<ALIAS>_ADMIN_PASSWORD (e.g. KAA_K2_ADMIN_PASSWORD) from the environment."""

STATUS = f"""\
Whether the consumers of one cluster could move to the other now, per MM2 flow (source -> target):
  lag         records of each source topic not yet in its remote topic on the target (end offsets)
  checkpoint  age of the newest record of <source>.checkpoints.internal on the target (MM2 writes one only
              when a translation moves, so an idle group's checkpoint may be old and still current)
  heartbeat   age of the newest heartbeat in <source>.heartbeats on the target: proof that records travel
  groups      per consumer group and partition: its committed offset on the source, the newest checkpoint
              (upstream -> translated offset) and its committed offset on the target (what MM2 synced there)
Ready unless: the target is unreachable; the newest heartbeat is older than --max-age while the source is up;
the lag exceeds --max-lag; a group committed a partition on the source that has no translation on the target;
a group is active on the target (MM2 cannot sync into it). With the source down, lag is unknown and the
heartbeat age tells how long ago records last arrived.

{CREDENTIALS}"""

RUN = f"""\
Move consumer groups from a lost cluster (--from) to the other one (--to):
  1. check --from is unreachable (a metadata request within --probe-timeout), unless --force;
  2. check each group has no active member on --to;
  3. set each group's position on <from>.<topic> on --to from MM2's translation: the offsets MM2 synced to the
     group there, or the newest checkpoint of <from>.checkpoints.internal when it is further on (only
     forward); its position on --to's own <topic> stays the group's own, else the first record at or after
     --since (default: the newest heartbeat from --from minus --margin seconds);
  4. print the client settings to switch to (bootstrap servers, the subscription ^(<from>\\.)?<topic>$, the
     topics producers write) and write what was done to --record (default: the local state folder).

{CREDENTIALS}"""

BACK = f"""\
Move consumer groups home (--to, the recovered cluster) from where they ran during the outage (--from).
MM2 does not translate back, which means duplicates:
  <from>.<topic> on --to  the --from -> --to checkpoints of the group's progress on --from (waits for MM2 to
                          checkpoint its last commits), rounded down to an offset sync;
  <topic> on --to         the group's offsets from before the failover: it reads again what it read on --from
                          as <to>.<topic>; --seek-by-time instead moves them forward to the failover time of
                          the --record (offsetsForTimes), once the group has read all of <to>.<topic> on --from
                          and MM2 has replicated the backlog (checked; --force skips the checks).

{CREDENTIALS}"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("failover", help="failover status, run (move consumers off a lost cluster) and back",
                       description="Fail consumer groups over to the other cluster and back (see each command's "
                       "--help).", epilog=EXIT_CODES)
    cmds = p.add_subparsers(dest="failover_command", required=True, metavar="COMMAND")

    s = _command(cmds, "status", "can consumers move now? lag, checkpoints, heartbeats, translated offsets",
                 STATUS)
    s.add_argument("--from", dest="source", metavar="ALIAS", help="only the flow from this cluster")
    s.add_argument("--to", dest="target", metavar="ALIAS", help="only the flow to this cluster")
    s.add_argument("--group", dest="groups", action="append", metavar="GROUP",
                   help="only these groups (repeatable; default: every consumer group of the stack)")
    s.add_argument("--max-lag", type=int, default=Limits.max_lag, metavar="RECORDS",
                   help=f"most records a flow may lag and be ready (default {Limits.max_lag})")
    s.add_argument("--max-age", type=float, default=Limits.max_age_s, metavar="SECONDS",
                   help=f"oldest newest-heartbeat of a ready flow (default {Limits.max_age_s:.0f})")
    s.set_defaults(func=run_status)

    r = _command(cmds, "run", "move consumer groups off a lost cluster (--from) to the other (--to)", RUN)
    _move_arguments(r)
    r.add_argument("--force", action="store_true", help="go on although --from still answers (a planned failover)")
    r.add_argument("--since", type=_time, metavar="TIME",
                   help="where groups without offsets of their own start on --to's own topics: ISO 8601 or epoch "
                   "ms (default: the newest heartbeat from --from minus --margin)")
    r.add_argument("--margin", type=float, default=fo.DEFAULT_MARGIN_S, metavar="SECONDS",
                   help="how far before --from's last heartbeat to start (default %(default).0f): more than the "
                   "consumers' lag on <to>'s copy on --from, or records are skipped")
    r.add_argument("--probe-timeout", type=float, default=5.0, metavar="SECONDS",
                   help="how long --from gets to answer before it counts as unreachable (default 5)")
    r.set_defaults(func=run_failover)

    b = _command(cmds, "back", "move consumer groups home again once the failed cluster (--to) is back", BACK)
    _move_arguments(b)
    b.add_argument("--seek-by-time", action="store_true",
                   help="move positions on --to's own topics forward to the failover time (skips re-reading)")
    b.add_argument("--since", type=_time, metavar="TIME",
                   help="the failover time for --seek-by-time when there is no record (ISO 8601 or epoch ms)")
    b.add_argument("--wait", type=float, default=60.0, metavar="SECONDS",
                   help="at most how long to wait for MM2's checkpoints of the groups' last commits; it stops as "
                   "soon as they match, or when none came for two checkpoint intervals (default 60)")
    b.add_argument("--force", action="store_true",
                   help="go on although a group still runs on --from or has not finished <to>.<topic> there")
    b.set_defaults(func=run_failback)


def _command(cmds: argparse._SubParsersAction, name: str, help_: str,  # type: ignore[type-arg]
             description: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = cmds.add_parser(name, help=help_, description=description, epilog=EXIT_CODES,
                                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    add_stack_argument(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--local", action="store_true",
                   help="use the running local pair (`kaa local up`) whatever the stack; the default for `local`")
    p.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for each request (default 15)")
    return p


def _move_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="source", required=True, metavar="ALIAS", help="the cluster consumers leave")
    p.add_argument("--to", dest="target", required=True, metavar="ALIAS", help="the cluster consumers move to")
    p.add_argument("--group", dest="groups", action="append", required=True, metavar="GROUP",
                   help="a consumer group to move (repeatable)")
    p.add_argument("--record", type=Path, metavar="FILE",
                   help="the JSON record of the move (default: <local state>/failover/<stack>.json)")
    p.add_argument("--dry-run", action="store_true", help="plan and print, commit nothing, record nothing")


def _time(text: str) -> int:
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither epoch milliseconds nor ISO 8601 "
                                         "(e.g. 2025-01-31T12:00:00Z)") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone; add Z or an offset")
    return int(moment.timestamp() * 1000)


def _aliases(topology_aliases: tuple[str, ...], *given: str | None) -> None:
    bad = [a for a in given if a is not None and a not in topology_aliases]
    if bad:
        raise KaaError(f"unknown cluster {bad[0]!r}; the stack's clusters are {', '.join(topology_aliases)}")


def _emit(args: argparse.Namespace, doc: dict[str, Any], text: str, secrets: list[str]) -> None:
    sys.stdout.write(scrub(json.dumps(doc, indent=2) + "\n" if args.json else text, secrets))


def run_status(args: argparse.Namespace) -> int:
    topology = load_stack(args)
    _aliases(topology.aliases, args.source, args.target)
    flows = [f for f in topology.flows if (args.source in (None, f[0])) and (args.target in (None, f[1]))]
    if not flows:
        raise KaaError(f"no flow {args.source or '*'} -> {args.target or '*'} in stack {topology.name}")
    access = pair_access(args, topology)
    refuse_bad_settings(topology, access, ("kafka",), timeout=5.0)
    report = status(topology, access, flows, args.groups, Limits(args.max_lag, args.max_age), args.timeout)
    _emit(args, report.as_dict(), render_status(report.as_dict()), secrets_of(access))
    return report.exit_code


def _check_move(args: argparse.Namespace, aliases: tuple[str, ...]) -> None:
    _aliases(aliases, args.source, args.target)
    if args.source == args.target:
        raise KaaError("--from and --to name the same cluster")


def run_failover(args: argparse.Namespace) -> int:
    topology = load_stack(args)
    _check_move(args, topology.aliases)
    access = pair_access(args, topology)
    refuse_bad_settings(topology, access, ("kafka",), timeout=5.0)
    result = fo.failover(topology, access, args.source, args.target, args.groups, force=args.force,
                         since_ms=args.since, margin_s=args.margin, probe_timeout=args.probe_timeout,
                         timeout=args.timeout, dry_run=args.dry_run)
    if not args.dry_run:
        fo.write_record(args.record or fo.default_record_file(topology.name), result)
    _emit(args, result.as_dict(), render_move(result.as_dict()), secrets_of(access))
    return 0


def run_failback(args: argparse.Namespace) -> int:
    topology = load_stack(args)
    _check_move(args, topology.aliases)
    access = pair_access(args, topology)
    refuse_bad_settings(topology, access, ("kafka",), timeout=5.0)
    path = args.record or fo.default_record_file(topology.name)
    record = (fo.read_record(path) or {}).get("failover")
    if args.record and record is None:
        raise KaaError(f"{path}: holds no failover (write one with `kaa failover run --record {path}`)")
    result = fo.failback(topology, access, args.source, args.target, args.groups, seek_by_time=args.seek_by_time,
                         since_ms=args.since, failover_record=record if args.since is None else None,
                         wait_s=args.wait, force=args.force, timeout=args.timeout, dry_run=args.dry_run)
    if not args.dry_run:
        fo.write_record(path, result)
    _emit(args, result.as_dict(), render_move(result.as_dict()), secrets_of(access))
    return 0


# --- text renderings (over the JSON documents, so both outputs say the same) -----------------------------------

def _age(seconds: float | None) -> str:
    return "none found" if seconds is None else f"{seconds:.1f} s ago"


def render_status(doc: dict[str, Any]) -> str:
    lines = [f"Failover status of stack {doc['stack']}: {'ready' if doc['ready'] else 'NOT ready'}"]
    for flow in doc["flows"]:
        lines.append("")
        lines.append(f"{flow['source']} -> {flow['target']}: {'ready' if flow['ready'] else 'NOT ready'}")
        if not flow["target_reachable"]:
            lines.append(f"  {flow['target']} unreachable: {flow['target_error']}")
        else:
            if flow["lag"] is None:
                lines.append(f"  replication lag   unknown: {flow['source']} unreachable")
            else:
                per = ", ".join(f"{t} {n}" for t, n in sorted(flow["lag"].items()))
                lines.append(f"  replication lag   {flow['lag_total']} record(s)" + (f" ({per})" if per else ""))
            lines.append(f"  last checkpoint   {_age(flow['checkpoint_age_s'])}")
            lines.append(f"  last heartbeat    {_age(flow['heartbeat_age_s'])}"
                         + (f" ({flow['heartbeat_at']})" if flow["heartbeat_at"] else ""))
            for group in flow["groups"]:
                lines.append(f"  group {group['group']} on {flow['target']}: {group['target_state']}, "
                             f"{group['target_members']} member(s), checkpoints behind by "
                             f"{group['checkpoints_behind']} record(s)")
                lines += [f"    ignored: {note}" for note in group.get("stale_checkpoints", [])]
                for p in group["partitions"]:
                    cp = "-" if p["checkpoint_upstream"] is None else \
                        f"{p['checkpoint_upstream']} -> {p['checkpoint_downstream']}"
                    lines.append(f"    {p['topic']}[{p['partition']}]  committed on {flow['source']} "
                                 f"{_dash(p['source_committed'])}  checkpoint {cp}  committed on {flow['target']} "
                                 f"{_dash(p['synced'])}")
        for reason in flow["reasons"]:
            lines.append(f"  not ready: {reason}")
    return "\n".join(lines) + "\n"


def _dash(value: object) -> str:
    return "-" if value is None else str(value)


def render_move(doc: dict[str, Any]) -> str:
    head = "Failover" if doc["kind"] == "failover" else "Failback"
    dry = " (dry run: nothing committed)" if doc.get("dry_run") else ""
    lines = [f"{head} {doc['from']} -> {doc['to']} at {doc['at']}{dry}; {doc['from']} {doc['source_state']}"]
    for group in doc["groups"]:
        lines.append(f"group {group['group']}: subscribe {group['subscription']}")
        for p in group["positions"]:
            change = f"{_dash(p['before'])} -> {_dash(p['after'])}" if p["before"] != p["after"] else \
                f"{_dash(p['after'])} (kept)"
            note = f"  ({p['note']})" if p.get("note") else ""
            lines.append(f"  {p['topic']}[{p['partition']}]  {change}  {p['source']}{note}")
        lines += [f"  note: {n}" for n in group["notes"]]
    settings = doc["client_settings"]
    lines.append(f"Client settings for {settings['cluster']}:")
    for key in ("bootstrap.servers", "security.protocol", "sasl.mechanism"):
        if key in settings:
            lines.append(f"  {key}={settings[key]}")
    for group, conf in settings["consumers"].items():
        lines.append(f"  consumer group.id={group} subscribe={conf['subscribe']}")
    lines.append(f"  producers write {', '.join(settings['producers']['topics'])} "
                 f"(never {', '.join(settings['producers']['never'])})")
    lines += [f"- {line}" for line in doc["explanation"]]
    if doc.get("record_file"):
        lines.append(f"Recorded in {doc['record_file']}")
    return "\n".join(lines) + "\n"
