"""`kaa validate`: check stack files before anything is applied."""
from __future__ import annotations

import argparse
import sys

from kaa.errors import SpecError
from kaa.topology.derive import derive
from kaa.topology.spec import load_topology, show_path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "validate",
        help="check stack files (exit 0 valid, 2 invalid)",
        description="Load each stack file with its extends chain, validate it and derive both clusters' state. "
        "Every problem is printed as one line: file: key path: problem (got value); fix.",
        epilog="Exit codes: 0 all valid, 2 a file is invalid.",
    )
    p.add_argument("files", nargs="+", help="stack files, e.g. stacks/local.yaml")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    status = 0
    for file in args.files:
        try:
            topology = load_topology(file)
        except SpecError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            status = 2
            continue
        state = derive(topology)
        acls = ", ".join(f"{a} {len(s.acls)}" for a, s in state.items())
        subjects = len(next(iter(state.values())).subjects)
        print(f"{show_path(file)}: valid: {len(topology.topics)} topics on {' and '.join(topology.aliases)}, "
              f"{subjects} schema subjects, ACLs {acls}, 6 MM2 connectors")
    return status
