"""`kaa diff`: what a change to a stack does to K1, K2, the registries and the mirroring, between two git versions.

The base (and the head, when `--head` is given) is read from git: the stack file's folder at that ref
(`git archive`, so the `extends` chain and the schema files come from the same commit) is unpacked into a
temporary folder and loaded like any stack. Without `--head` the head is the working tree.
"""
from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from kaa.cli.stack_args import stack_file
from kaa.errors import KaaError, SpecError
from kaa.topodiff.diff_render import FORMATS, RENDERERS
from kaa.topodiff.topology_diff import diff_topologies
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology

WORKING_TREE = "working tree"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "diff",
        help="the topology change between two git versions of a stack (text, JSON or markdown)",
        description=__doc__,
        epilog="Exit codes: 0 compared (with or without changes); 1 with --fail-on-risk when a risky change is "
        "present (topic deleted, fewer partitions, replication factor changed, incompatible schema, a topic that "
        "stops being mirrored, ...); 2 error (unknown git ref, invalid stack, git missing).",
    )
    p.add_argument("--stack", required=True, help="stack name (stacks/<name>.yaml) or a stack file in the repository")
    p.add_argument("--base", required=True, metavar="REF", help="git ref of the version before (e.g. origin/main)")
    p.add_argument("--head", metavar="REF", help="git ref of the version after (default: the working tree)")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default text)")
    p.add_argument("--fail-on-risk", action="store_true", help="exit 1 when a risky change is present")
    p.add_argument("--output", "-o", help="write to this file instead of standard output")
    p.set_defaults(func=run)


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise KaaError("git is not installed; kaa diff reads the base version from git") from exc


def repo_root(file: Path) -> Path:
    """The git work tree holding `file` (which may no longer exist in the working tree)."""
    folder = file.parent
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    done = _git(["rev-parse", "--show-toplevel"], folder)
    if done.returncode != 0:
        raise KaaError(f"{folder} is not inside a git repository; kaa diff reads the base version from git")
    return Path(done.stdout.decode().strip()).resolve()


def _in_repo(file: Path, root: Path) -> Path:
    try:
        return file.resolve().relative_to(root)
    except ValueError as exc:
        raise KaaError(f"{file} is not inside the git repository {root}; kaa diff compares versions from git") from exc


def load_at_ref(ref: str, file: Path, root: Path, name: str) -> Topology | None:
    """The stack as committed at `ref`, or None when the file does not exist there (a new stack)."""
    if _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root).returncode != 0:
        raise KaaError(f"unknown git ref {ref!r}; fetch it first (in CI: actions/checkout with fetch-depth: 0)")
    rel = _in_repo(file, root)
    folder = rel.parent.as_posix() or "."
    if _git(["cat-file", "-e", f"{ref}:{rel.as_posix()}"], root).returncode != 0:
        return None
    archive = _git(["archive", "--format=tar", ref, "--", folder], root)
    if archive.returncode != 0:
        raise KaaError(f"git archive {ref} -- {folder} failed: {archive.stderr.decode().strip()}")
    with tempfile.TemporaryDirectory(prefix="kaa-diff-") as tmp:
        tmp_root = Path(tmp).resolve()
        with tarfile.open(fileobj=io.BytesIO(archive.stdout), mode="r:") as tar:
            tar.extractall(tmp_root, filter="data")
        try:
            return load_topology(tmp_root / rel, name=name)
        except SpecError as exc:
            raise SpecError([p.replace(f"{tmp_root}/", f"{ref}:") for p in exc.problems]) from exc


def run(args: argparse.Namespace) -> int:
    file = stack_file(args.stack).resolve()
    root = repo_root(file)
    name = file.stem
    base = load_at_ref(args.base, file, root, name)
    if args.head:
        head = load_at_ref(args.head, file, root, name)
    else:
        head = load_topology(file, name=name) if file.is_file() else None
    if base is None and head is None:
        raise KaaError(f"stack file {_in_repo(file, root)} exists neither at {args.base} nor at "
                       f"{args.head or 'the working tree'}; check --stack {args.stack}")
    diff = diff_topologies(base, head, name, args.base, args.head or WORKING_TREE)
    text = RENDERERS[args.format](diff)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 1 if args.fail_on_risk and diff.risky else 0
