"""Resolving `--stack NAME` to a stack file, shared by the subcommands."""
from __future__ import annotations

import argparse
from pathlib import Path

from kaa.errors import SpecError
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology

ROOT = Path(__file__).resolve().parents[2]


def stack_file(stack: str, stacks_dir: str | None = None) -> Path:
    """A stack name (`local`) or a path to a stack file."""
    candidate = Path(stack)
    if candidate.suffix in (".yaml", ".yml"):
        return candidate
    return Path(stacks_dir or ROOT / "stacks") / f"{stack}.yaml"


def add_stack_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", required=True, help="stack name (stacks/<name>.yaml) or a stack file path")
    parser.add_argument("--stacks-dir", help="folder holding the stack files (default: the repo's stacks/)")


def load_stack(args: argparse.Namespace) -> Topology:
    file = stack_file(args.stack, getattr(args, "stacks_dir", None))
    if not file.exists():
        raise SpecError([f"{file}: (top level): stack file does not exist; create it or check --stack {args.stack}"])
    return load_topology(file, name=file.stem)
