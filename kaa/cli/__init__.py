"""The `kaa` command line: one module `cmd_<name>` per subcommand, each exposing `register(subparsers)`.

Exit codes (every subcommand): 0 clean/success, 1 drift or policy failure, 2 error (bad input, unreachable part).
"""
from __future__ import annotations

import argparse
import importlib
import sys

from kaa.errors import KaaError

SUBCOMMANDS = ("validate", "render", "diff", "local", "pulumi", "migrate", "quickstart", "drift", "failover", "drill")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kaa",
        description="kafka-active-active: manage an active-active Kafka pair (K1, K2) from one topology.",
        epilog="Exit codes: 0 success, 1 drift or policy failure, 2 error (bad input or unreachable part).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"kaa.cli.cmd_{name}").register(sub)
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KaaError as exc:
        print(f"kaa: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
