"""The same schema in another text form is the same schema: what Karapace hands back (sorted-key compact JSON,
Protobuf without comments) never counts as a change; a real change always does."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from kaa.topology import schema_files
from kaa.topology.schema_files import same_schema
from tests.unit.fake_karapace import reserialise

SCHEMAS = Path(__file__).resolve().parents[2] / "stacks" / "schemas"
KINDS = {".avsc": "AVRO", ".json": "JSON", ".proto": "PROTOBUF"}


@pytest.fixture(autouse=True)
def _compared_afresh() -> None:
    """Each test compares through the parsing code, not through answers cached by an earlier test (a mutation run
    forks every mutant from a process whose cache the unmutated code filled)."""
    schema_files._schema_value.cache_clear()


@pytest.mark.parametrize("path", sorted(SCHEMAS.iterdir()), ids=lambda p: p.name)
def test_every_shipped_schema_equals_its_karapace_form(path: Path) -> None:
    kind, text = KINDS[path.suffix], path.read_text()
    assert reserialise(kind, text) != text
    assert same_schema(kind, text, reserialise(kind, text))


def test_avro_key_order_whitespace_and_a_primitive_written_as_an_object() -> None:
    a = '{"type": "record", "name": "R", "fields": [{"name": "id", "type": "string"}]}'
    b = '{"fields":[{"type":{"type":"string"},"name":"id"}],"name":"R","type":"record"}'
    assert same_schema("AVRO", a, b)


@pytest.mark.parametrize("changed", [
    '{"type": "record", "name": "R", "fields": [{"name": "id", "type": "long"}]}',  # another type
    '{"type": "record", "name": "R", "doc": "d", "fields": [{"name": "id", "type": "string"}]}',  # registries keep doc
    '{"type": "record", "name": "R", "fields": [{"name": "id", "type": "string", "default": ""}]}',
    '{"type": "record", "name": "R", "fields": [{"name": "id", "type": "string"}, {"name": "n", "type": "int"}]}',
])
def test_a_real_avro_change_is_a_change(changed: str) -> None:
    assert not same_schema("AVRO", '{"type": "record", "name": "R", "fields": [{"name": "id", "type": "string"}]}',
                           changed)


def test_json_schema_by_parsed_value() -> None:
    a = {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
    assert same_schema("JSON", json.dumps(a, indent=2), json.dumps(a, sort_keys=True, separators=(",", ":")))
    assert not same_schema("JSON", json.dumps(a), json.dumps({**a, "required": []}))


PROTO = '''// Shipments, owned by logistics.
syntax = "proto3";
package dev.kaa.shipments;

message Shipment {
  string shipment_id = 1;  // the id
  int64 shipped_at_ms = 4;
}
'''


def test_protobuf_comments_and_spacing_do_not_count_but_fields_do() -> None:
    rendered = 'syntax = "proto3";\npackage dev.kaa.shipments;\n\nmessage Shipment {\n  string shipment_id = 1;\n' \
               '  // the id\n  int64 shipped_at_ms = 4;\n}\n'
    assert same_schema("PROTOBUF", PROTO, rendered)
    assert same_schema("PROTOBUF", PROTO, reserialise("PROTOBUF", PROTO))
    assert not same_schema("PROTOBUF", PROTO, PROTO.replace("= 4", "= 5"))
    assert not same_schema("PROTOBUF", PROTO, PROTO.replace("int64", "int32"))


def test_text_that_does_not_parse_compares_as_text() -> None:
    assert same_schema("AVRO", "{not json", "{not json ")
    assert not same_schema("AVRO", "{not json", "{other")
