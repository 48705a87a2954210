"""`kaa drill`: the failover drill on the running local pair (stops and restarts K1's broker)."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from kaa.failover.drill import DRILL_STACK, DrillSettings, run_drill
from kaa.topology.spec import load_topology

DESCRIPTION = f"""\
A disaster drill on the running local pair (`kaa local up`), with its own topology ({DRILL_STACK.name}: topic
drill-orders, group drill-app-<epoch s>, MM2 connectors drill-mm2-*), applied first and removed at the end:
  1. produce numbered, keyed records on K1 and K2 (acks=all, idempotent); the group consumes on K1;
  2. cut: SIGKILL K1's broker (its Connect worker and registry keep running);
  3. fail the group over to K2 (`kaa failover run` logic) while K2 keeps producing;
  4. restart K1's broker (`kaa local up` logic), let its backlog replicate and be read on K2;
  5. fail the group back to K1 (`kaa failover back --seek-by-time` logic) and read everything.
Reported (--json: {{"lost": n, "duplicates": n, "rpo_records": n, "rto_seconds": x, ...}}):
  lost          records acknowledged to a producer that no consumer read by the end (0 when K1's log survives)
  duplicates    records the group read more than once: at failover, K1.drill-orders from MM2's translation
                (rounded down to an offset sync) and K2's own topic from --margin before K1's last heartbeat;
                at failback, the K2->K1 translation and records MM2 copied twice around K1's restart
  rpo_records   records K1 acknowledged that were not in K1.drill-orders on K2 while K1 was down
  rto_seconds   from the cut until the group read its first record on K2
Runs in about 1.5 minutes. Other users of the pair lose K1 for that long: run it when nobody else needs it."""

EPILOG = "Exit codes: 0 drill passed (nothing lost), 1 records were lost, 2 error (pair not running, a step failed)."


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("drill", help="failover drill on the local pair: kill K1, fail over, restart, fail back",
                       description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true", help="print the figures as JSON (progress goes to stderr)")
    defaults = DrillSettings()
    p.add_argument("--rate", type=float, default=defaults.rate, metavar="N",
                   help=f"records per second of each producer (default {defaults.rate:.0f})")
    p.add_argument("--warmup", type=float, default=defaults.warmup_s, metavar="SECONDS",
                   help=f"normal operation before the cut (default {defaults.warmup_s:.0f})")
    p.add_argument("--outage", type=float, default=defaults.outage_s, metavar="SECONDS",
                   help=f"from the cut until K1 restarts (default {defaults.outage_s:.0f})")
    p.add_argument("--margin", type=float, default=defaults.margin_s, metavar="SECONDS",
                   help=f"the failover's --margin (default {defaults.margin_s:.0f})")
    p.add_argument("--offset-lag-max", type=int, metavar="N",
                   help="MM2's offset.lag.max for the drill (default: the drill topology's): how far apart offset "
                   "syncs are, so how coarse translated offsets are")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    topology = load_topology(DRILL_STACK, name="drill")
    if args.offset_lag_max is not None:
        topology = replace(topology, mirror=replace(topology.mirror, offset_lag_max=args.offset_lag_max))
    settings = replace(DrillSettings(), rate=args.rate, warmup_s=args.warmup, outage_s=args.outage,
                       margin_s=args.margin)
    report = run_drill(topology=topology, settings=settings, log=lambda line: print(line, file=sys.stderr,
                                                                                   flush=True))
    doc = report.as_dict()
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(render(doc))
    return 1 if report.lost else 0


def render(doc: dict[str, object]) -> str:
    acked = doc.get("acknowledged") or {}
    lines = [
        f"lost           {doc['lost']}  (acknowledged: {', '.join(f'{k} {v}' for k, v in acked.items())})"
        if isinstance(acked, dict) else f"lost           {doc['lost']}",
        f"duplicates     {doc['duplicates']}  (at failover {doc.get('duplicates_at_failover')}, at failback "
        f"{doc.get('duplicates_at_failback')}; failback without --seek-by-time would re-read "
        f"{doc.get('failback_reread_without_seek')} more)",
        f"rpo_records    {doc['rpo_records']}  (acknowledged by K1, not on K2 while K1 was down; lost from K1's log: "
        f"{doc.get('lost_in_k1_log')})",
        f"rto_seconds    {doc['rto_seconds']}  (cut -> reading on K2; the failover itself took "
        f"{doc.get('failover_seconds')} s)",
        f"K1 restart {doc.get('k1_restart_seconds')} s, backlog replicated {doc.get('backlog_replicated_seconds')} s "
        f"after, whole drill {doc.get('total_seconds')} s",
    ]
    return "\n".join(lines)
