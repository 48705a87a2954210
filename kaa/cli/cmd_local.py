"""`kaa local up|down|status|logs`: the embedded K1/K2 pair for development and integration tests."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from kaa.local import LocalPair, ServiceStatus
from kaa.local.services import SERVICE_NAMES

EPILOG = (
    "State (data, logs, pid files, generated configs) lives in $KAA_LOCAL_STATE, default "
    "$KAA_CACHE/local-pair (~/.cache/kafka-active-active/local-pair). With --tls: the TLS pair of "
    "stacks/local-tls.yaml (SASL_SSL and mTLS brokers, HTTPS + basic auth for Connect and the registries), on its "
    "own ports, state in $KAA_LOCAL_TLS_STATE, default ~/.cache/kafka-active-active/local-pair-tls, with its CA "
    "and certificates under <state>/tls/. "
    "Exit codes: 0 success (status: all healthy), 2 error or (status) a service is not healthy."
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "local",
        help="run the local K1/K2 pair (Kafka, Connect, schema registry)",
        description="Run two single-node KRaft clusters with a Connect worker and a schema registry each, "
        "on the ports of stacks/local.yaml.",
        epilog=EPILOG,
    )
    parser.add_argument("--state-dir", help="state folder (default: $KAA_LOCAL_STATE or $KAA_CACHE/local-pair)")
    parser.add_argument("--tls", action="store_true", help="the TLS pair (stacks/local-tls.yaml) instead")
    sub = parser.add_subparsers(dest="local_command", required=True, metavar="ACTION")
    # `kaa local up --tls` and `kaa local --tls up` both work.
    profile = argparse.ArgumentParser(add_help=False)
    profile.add_argument("--tls", action="store_true", default=argparse.SUPPRESS,
                         help="the TLS pair (stacks/local-tls.yaml) instead of the plaintext pair")

    up = sub.add_parser("up", parents=[profile], help="start the pair (no-op when it is already running)",
                        epilog=EPILOG)
    up.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for each service (default 120)")
    up.set_defaults(func=_up)

    down = sub.add_parser("down", parents=[profile], help="stop the processes `up` started", epilog=EPILOG)
    down.add_argument("--wipe", action="store_true", help="also delete data (topics, schemas), logs and configs")
    down.set_defaults(func=_down)

    status = sub.add_parser("status", parents=[profile], help="show each service and whether it is healthy",
                            epilog=EPILOG)
    status.add_argument("--json", action="store_true", help="print client settings per cluster as JSON")
    status.set_defaults(func=_status)

    logs = sub.add_parser("logs", parents=[profile], help="print the tail of the services' log files", epilog=EPILOG)
    logs.add_argument("--service", choices=SERVICE_NAMES)
    logs.add_argument("--cluster", metavar="ALIAS", help="K1 or K2 (default both)")
    logs.add_argument("-n", "--lines", type=int, default=40, help="lines per log (default 40)")
    logs.set_defaults(func=_logs)


def _pair(args: argparse.Namespace, **kwargs: Any) -> LocalPair:
    return LocalPair(args.state_dir, tls=bool(getattr(args, "tls", False)), **kwargs)


def _up(args: argparse.Namespace) -> int:
    pair = _pair(args, start_timeout=args.timeout)
    began = time.monotonic()
    print(f"kaa local up: state in {pair.state_dir}", file=sys.stderr)
    statuses = pair.up()
    print(f"kaa local up: pair healthy after {time.monotonic() - began:.1f} s", file=sys.stderr)
    if pair.tls:
        print(f"kaa local up: TLS pair; clients trust the CA {pair.tls.ca}", file=sys.stderr)
    _print_table(statuses)
    return 0


def _down(args: argparse.Namespace) -> int:
    pair = _pair(args)
    stopped = pair.down(wipe=args.wipe)
    for line in stopped:
        print(f"stopped {line}")
    if not stopped:
        print("nothing to stop")
    if args.wipe:
        print(f"wiped {pair.state_dir}")
    if args.wipe and pair.tls:
        print("the local-tls stack's state still lists what the pair held: `pulumi up --refresh --stack local-tls` "
              "(tests/tls refreshes on its own)")
    elif args.wipe:
        print("the local Pulumi stack's state still lists what the pair held; `make up` (kaa quickstart) sees "
              "that and refreshes it before its update")
    return 0


def _status(args: argparse.Namespace) -> int:
    pair = _pair(args)
    statuses = pair.status()
    if args.json:
        print(json.dumps(pair.status_document(statuses), indent=2))
    else:
        _print_table(statuses)
    return 0 if all(s.healthy for s in statuses) else 2


def _logs(args: argparse.Namespace) -> int:
    pair = _pair(args)
    for path, lines in pair.log_tails(args.lines, service=args.service, alias=args.cluster):
        print(f"==> {path} <==")
        print("\n".join(lines) if lines else "(no log yet)")
        print()
    return 0


def _print_table(statuses: list[ServiceStatus]) -> None:
    print(f"{'CLUSTER':<8}{'SERVICE':<10}{'PORT':<7}{'PID':<9}HEALTHY")
    for s in statuses:
        pid = str(s.pid) if s.pid is not None else "-"
        print(f"{s.alias:<8}{s.service:<10}{s.port:<7}{pid:<9}{'yes' if s.healthy else 'no'}")
