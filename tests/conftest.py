"""Fixtures of the unit and tools tiers: the shipped stacks, and golden files that can be rewritten.

Set KAA_UPDATE_GOLDEN=1 to rewrite golden files from the current output instead of comparing them (then review
the diff with git before committing it).
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kaa.topology.model import Topology  # noqa: E402
from kaa.topology.spec import load_topology  # noqa: E402

UPDATE_GOLDEN = os.environ.get("KAA_UPDATE_GOLDEN") == "1"

Golden = Callable[[Path, str], None]


@pytest.fixture(scope="session")
def stacks() -> Callable[[str], Topology]:
    """Load a shipped stack by name, once per run (topologies are immutable)."""
    cache: dict[str, Topology] = {}

    def load(name: str) -> Topology:
        if name not in cache:
            cache[name] = load_topology(ROOT / "stacks" / f"{name}.yaml", name=name)
        return cache[name]

    return load


@pytest.fixture(scope="session")
def local(stacks: Callable[[str], Topology]) -> Topology:
    return stacks("local")


@pytest.fixture(scope="session")
def prod(stacks: Callable[[str], Topology]) -> Topology:
    return stacks("prod")


@pytest.fixture(scope="session")
def golden() -> Golden:
    """Compare text with a golden file exactly, or rewrite the file when KAA_UPDATE_GOLDEN=1."""

    def check(path: Path, actual: str) -> None:
        shown = path.relative_to(ROOT)
        if UPDATE_GOLDEN:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        if not path.is_file():
            pytest.fail(f"golden file {shown} is missing; run with KAA_UPDATE_GOLDEN=1 to create it")
        expected = path.read_text(encoding="utf-8")
        assert actual == expected, f"{shown} differs; run with KAA_UPDATE_GOLDEN=1 and review the diff"

    return check
