"""stacks/topology.schema.json: the schema of a stack file, for editors and for `kaa validate` (spec.py checks
each file of the `extends` chain with it; every key is optional because of `extends`, and the merged result is
checked by spec.py's own rules). Where a single file can show a mistake, the schema rejects it.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from kaa.topology import spec
from kaa.topology.model import COMPATIBILITY_LEVELS, MIRROR_PROFILES, MIRROR_RUNTIMES, MirrorSettings
from kaa.topology.topic_configs import TOPIC_CONFIGS

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "stacks" / "topology.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
DEFS = SCHEMA["$defs"]
INVALID = ROOT / "tests" / "golden" / "invalid"


def errors(document: Any) -> list[tuple[str, str]]:
    """(JSON path, message) of each schema violation, sorted."""
    return sorted(("/".join(map(str, e.absolute_path)), e.message) for e in VALIDATOR.iter_errors(document))


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("stack_file", sorted(p.name for p in (ROOT / "stacks").glob("*.yaml")))
def test_every_shipped_stack_file_matches_the_schema(stack_file: str) -> None:
    text = (ROOT / "stacks" / stack_file).read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=topology.schema.json")
    assert errors(yaml.safe_load(text)) == []


def test_an_invalid_file_fails_with_the_key_paths_of_its_mistakes() -> None:
    document = yaml.safe_load("""
extends: base.yaml
topicz: {}
clusters:
  K1.eu: {bootstrap_servers: ["k1:9092"], security: {protocol: SASL_TLS}}
topics:
  orders:
    partitions: 0
    config: {retention.msec: "1000", retention.ms: 7d, cleanup.policy: [delete]}
    producers: ["orders-svc"]
    consumers: [{principal: "User:billing"}]
    schema: {value: schemas/orders.avro, compatibility: SOMETIMES}
  heartbeats: {}
mirror: {tasks_max: 0, sync_group_offsets: "yes"}
""")
    paths = {path for path, _ in errors(document)}
    assert paths == {
        "",  # topicz
        "clusters",  # K1.eu: alias with the separator
        "clusters/K1.eu/security/protocol",
        "topics",  # heartbeats: reserved name
        "topics/orders/partitions",
        "topics/orders/config",  # retention.msec: unknown
        "topics/orders/config/retention.ms",
        "topics/orders/config/cleanup.policy",
        "topics/orders/producers/0",
        "topics/orders/consumers/0",  # group missing
        "topics/orders/schema/value",
        "topics/orders/schema/compatibility",
        "mirror/tasks_max",
        "mirror/sync_group_offsets",
    }


def _properties(definition: dict[str, Any]) -> set[str]:
    return set(definition["properties"])


def test_spec_py_takes_its_enums_from_the_schema() -> None:
    assert spec.SHAPE.schema is spec.stack_schema.SCHEMA
    assert tuple(DEFS["cluster"]["properties"]["security"]["properties"]["protocol"]["enum"]) == spec.PROTOCOLS
    assert tuple(e for e in SCHEMA["properties"]["environment"]["enum"] if e is not None) == spec.ENVIRONMENTS


def test_a_key_the_schema_lacks_is_unknown_to_the_loader(tmp_path: Path) -> None:
    stack = tmp_path / "stack.yaml"
    stack.write_text("mirror: {tasks_max: 1, turbo: true}\n", encoding="utf-8")
    with pytest.raises(spec.SpecError) as raised:
        spec.load_topology(stack)
    assert any("mirror.turbo: unknown key" in p for p in raised.value.problems), raised.value.problems


def test_the_model_and_the_catalogue_match_the_schema() -> None:
    assert _properties(DEFS["mirror"]) == {f.name for f in fields(MirrorSettings)}
    assert _properties(DEFS["topicConfig"]) == set(TOPIC_CONFIGS)
    assert DEFS["compatibility"]["enum"] == list(COMPATIBILITY_LEVELS)
    assert DEFS["mirror"]["properties"]["runtime"]["enum"] == list(MIRROR_RUNTIMES)
    assert DEFS["mirror"]["properties"]["profile"]["enum"] == list(MIRROR_PROFILES)


def _mappings(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _mappings(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _mappings(value, f"{path}/{index}")


def test_every_key_is_documented_and_closed() -> None:
    for path, node in _mappings(SCHEMA):
        for name, prop in node.get("properties", {}).items() if path.rsplit("/", 1)[-1] != "properties" else ():
            target = DEFS[prop["$ref"].rsplit("/", 1)[-1]] if "$ref" in prop else prop
            assert prop.get("description") or target.get("description"), f"{path}/properties/{name}"
        if "properties" in node and isinstance(node["properties"], dict) and "type" in node:
            assert node.get("additionalProperties") is False, path


@pytest.mark.parametrize(
    "case",
    ["alias-with-separator", "three-clusters", "partitions-zero", "replication-factor-zero",
     "config-key-misspelled", "config-value-wrong-type", "duplicate-principal", "unparsable-principal",
     "unparsable-group", "unknown-top-level-key", "topic-internal-heartbeats", "topic-internal-offset-syncs",
     "topic-internal-consumer-offsets", "topic-internal-schemas", "topic-internal-connect-offsets",
     "mirror-runtime-unknown", "mirror-profile-unknown",
     "several-errors", "topic-name-dot", "topic-name-dot-dot", "topic-name-too-long", "topic-name-illegal-character"],
)
def test_the_schema_also_rejects_single_file_mistakes(case: str) -> None:
    assert errors(yaml.safe_load((INVALID / case / "stack.yaml").read_text(encoding="utf-8")))
