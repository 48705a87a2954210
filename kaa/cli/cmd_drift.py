"""`kaa drift`: compare K1, K2, both registries and both Connect workers with the stack and with each other."""
from __future__ import annotations

import argparse
import re
import sys

from kaa.cli.stack_args import add_stack_argument, load_stack
from kaa.clients.pair_access import PairAccess, env_name
from kaa.clients.reachability import refuse_bad_settings
from kaa.drift.drift_compare import DriftOptions
from kaa.drift.drift_report import RENDERERS
from kaa.drift.drift_scan import PARTS, scan
from kaa.errors import KaaError
from kaa.redaction import scrub
from kaa.stack_secrets import stack_credentials
from kaa.topology.model import Topology

LOCAL_STACK = "local"
LOCAL_TLS_STACK = "local-tls"
LOCAL_STACKS = {LOCAL_STACK: False, LOCAL_TLS_STACK: True}  # stack -> the local pair's TLS profile

DESCRIPTION = """\
Compare what is live on both clusters, both schema registries and both Kafka Connect workers with the stack's
derived state and with each other, in one parallel scan of batched requests:
  topics       missing or extra, partitions, replication factor, configs set on the topic (not broker defaults)
  remote       each <alias>.<topic> exists and mirrors its source (partitions, synced configs), none unexpected,
               no cycle topics (K1.K2.x)
  acls         missing or extra against the derived set (extra: principals the topology names, or --all-acls)
  schemas      subjects, versions, compatibility, the same schema ID in both registries, subjects in one only
  mirror       each MM2 connector present on its target's Connect, RUNNING with every task, with the derived
               config (secrets compared masked, never shown); --lag adds replication lag per flow

Credentials: the `local` and `local-tls` stacks (or --local) read the running local pair (`kaa local up [--tls]`);
other stacks read from the environment
  KAA_<ALIAS>_ADMIN_USERNAME, _ADMIN_PASSWORD        Kafka admin principal (SASL PLAIN or SCRAM)
  KAA_<ALIAS>_KAFKA_CA_FILE, _KAFKA_CERT_FILE,       Kafka TLS: CA (default: the stack's security.ssl_truststore),
    _KAFKA_KEY_FILE, _KAFKA_KEY_PASSWORD             client certificate and key for mutual TLS
  KAA_<ALIAS>_REGISTRY_USERNAME, _REGISTRY_PASSWORD  schema registry basic auth
  KAA_<ALIAS>_CONNECT_USERNAME, _CONNECT_PASSWORD    Kafka Connect basic auth
  KAA_<ALIAS>_HTTP_CA_FILE, _HTTP_CERT_FILE,         CA of the registry's and Connect's HTTPS, client certificate
    _HTTP_KEY_FILE
(e.g. KAA_K1_ADMIN_USERNAME). Secrets are never printed. Before the scan every part must answer an authenticated
call (a Kafka metadata request, GET /subjects, GET /connectors): else one line per part names the cluster, the
endpoint, the cause and the key to fix, and the command exits 2."""

EPILOG = ("Exit codes: 0 no drift, 1 drift found, 2 error (bad stack, missing credentials, a part unreachable, or "
          "a part refusing the credentials or certificates).")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("drift", help="compare the live pair with the stack (exit 0 clean, 1 drift, 2 unreachable)",
                       description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_stack_argument(p)
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", dest="format", action="store_const", const="json", help="machine-readable output")
    fmt.add_argument("--markdown", dest="format", action="store_const", const="markdown",
                     help="a markdown report (for an issue, a job summary or chat)")
    p.add_argument("--lag", action="store_true", help="also report replication lag per flow (end offsets)")
    p.add_argument("--max-lag", type=int, metavar="RECORDS",
                   help="report a flow lagging by more records as drift (implies --lag)")
    p.add_argument("--scope", metavar="REGEX",
                   help="report unexpected topics, remote topics and subjects only when their name (a remote "
                   "topic's local name, a subject's topic) matches REGEX, e.g. 'orders|payments-.*' when several "
                   "topologies share the clusters (default: all)")
    p.add_argument("--all-acls", action="store_true",
                   help="report extra ACL bindings of every principal, not only of those the topology names")
    p.add_argument("--local", action="store_true",
                   help="read the running local pair (`kaa local up`) whatever the stack; the default for `local`")
    p.add_argument("--only", metavar="PARTS", type=_parts, default=PARTS,
                   help=f"read only these parts, comma-separated from {', '.join(PARTS)} (default: all); the "
                   "comparisons that need a part left out are skipped")
    p.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for each part (default 15)")
    p.set_defaults(func=run, format="table")


def _parts(text: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        raise argparse.ArgumentTypeError(f"unknown part(s) {', '.join(unknown) or '(none)'}; use {', '.join(PARTS)}")
    return parts


def pair_access(args: argparse.Namespace, topology: Topology) -> PairAccess:
    if args.local or args.stack in LOCAL_STACKS:
        from kaa.local import LocalPair
        tls = LOCAL_STACKS.get(args.stack, topology.name == LOCAL_TLS_STACK)
        access = PairAccess.from_status(LocalPair(tls=tls).status_document(), {})
    else:
        # Pulumi config `credentials.<alias>.*` of the stack, each overridden by its KAA_<ALIAS>_* variable
        access = PairAccess.from_config(topology, stack_credentials(topology.name))
        missing = [env_name(c.alias, f"admin_{what}") for c in topology.clusters if c.security.uses_sasl
                   for what in ("username", "password") if not access[c.alias].kafka.get(f"sasl.{what}")]
        if missing:
            raise KaaError(f"missing credentials for stack {args.stack}: set {', '.join(missing)} "
                           "or Pulumi config credentials.<alias>.adminUsername / adminPassword "
                           "(the admin principal of each cluster)")
    absent = [a for a in topology.aliases if a not in access.clusters]
    if absent:
        raise KaaError(f"no access settings for cluster(s) {', '.join(absent)} of stack {args.stack}")
    return access


def secrets_of(access: PairAccess) -> list[str]:
    return access.secrets()


def run(args: argparse.Namespace) -> int:
    if args.scope is not None:
        try:
            re.compile(args.scope)
        except re.error as exc:
            raise KaaError(f"--scope {args.scope!r} is not a regular expression ({exc}); e.g. 'orders|pay-.*'") \
                from None
    topology = load_stack(args)
    access = pair_access(args, topology)
    refuse_bad_settings(topology, access, args.only, min(args.timeout, 10.0))
    options = DriftOptions(scope=args.scope, all_acls=args.all_acls, max_lag=args.max_lag)
    report = scan(topology, access, options, lag=args.lag or args.max_lag is not None, timeout=args.timeout,
                  stack=topology.name, parts=args.only)
    sys.stdout.write(scrub(RENDERERS[args.format](report), secrets_of(access)))
    return report.exit_code
