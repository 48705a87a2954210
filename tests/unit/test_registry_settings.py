"""`schema_registry.delete` and `schema_registry.ids`: read into the model, wrong values named with the fix."""
from __future__ import annotations

from pathlib import Path

import pytest

from kaa.errors import SpecError
from kaa.topology.spec import load_topology

STACK = """clusters:
  K1: {bootstrap_servers: ["k1:9092"], schema_registry: "http://k1:8081", connect: "http://k1:8083"}
  K2: {bootstrap_servers: ["k2:9092"], schema_registry: "http://k2:8081", connect: "http://k2:8083"}
defaults: {replication_factor: 1}
topics:
  orders: {partitions: 1}
"""


def stack(tmp_path: Path, registry: str) -> Path:
    path = tmp_path / "stack.yaml"
    path.write_text(STACK + registry)
    return path


def test_defaults_keep_content_and_register_in_order(tmp_path: Path) -> None:
    topology = load_topology(stack(tmp_path, ""))
    assert (topology.schema_delete, topology.schema_ids) == ("soft", "sequential")


def test_the_settings_are_read(tmp_path: Path) -> None:
    topology = load_topology(stack(tmp_path, "schema_registry: {delete: permanent, ids: import}\n"))
    assert (topology.schema_delete, topology.schema_ids) == ("permanent", "import")


def test_a_wrong_value_is_one_line_with_the_fix(tmp_path: Path) -> None:
    path = stack(tmp_path, "schema_registry: {delete: hard}\n")
    with pytest.raises(SpecError) as exc:
        load_topology(path)
    assert exc.value.problems == [f"{path}: schema_registry.delete: is not allowed (got 'hard'); use one of soft, "
                                  "permanent"]
