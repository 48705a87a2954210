"""The stack files' JSON Schema (`stacks/topology.schema.json`, what editors check a stack file with) as the one
list of the keys each section of a stack file takes and the values its enumerations allow. `spec.py` reads them
here, so a new key is added to the schema only; the loader's own rules (cross-field checks, wording) stay there.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "stacks" / "topology.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def _node(*pointer: str) -> dict[str, Any]:
    """The schema node at `pointer` (keys under `properties`, or `$defs` names), following `$ref`s."""
    node = SCHEMA
    for part in pointer:
        node = SCHEMA["$defs"][part[1:]] if part.startswith("#") else node["properties"][part]
        while "$ref" in node:
            node = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def keys(*pointer: str) -> tuple[str, ...]:
    """The keys the mapping at `pointer` allows, in the schema's order (`keys()` is the top level)."""
    return tuple(_node(*pointer)["properties"])


def enum(*pointer: str) -> tuple[str, ...]:
    """The values the enumeration at `pointer` allows, in the schema's order (a `null` entry left out)."""
    return tuple(str(v) for v in _node(*pointer)["enum"] if v is not None)
