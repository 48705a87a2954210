"""Reading schema files: their kind from the extension, the text registered (compact JSON as written, Protobuf
as written), and one line naming the file when it does not parse."""
from __future__ import annotations

from pathlib import Path

import pytest

from kaa.topology import schema_files
from kaa.topology.schema_files import SchemaFileError, load_schema, normalise, same_schema, schema_type_for


def test_an_unknown_extension_names_the_allowed_ones() -> None:
    with pytest.raises(SchemaFileError) as raised:
        schema_type_for("schemas/orders.avro")
    assert str(raised.value) == "unknown schema file extension '.avro'; use one of .avsc, .json, .proto"


@pytest.mark.parametrize("kind", ["AVRO", "JSON"])
def test_avro_and_json_schema_are_registered_as_compact_json_with_their_text_as_written(kind: str) -> None:
    text = '{\n  "type": "string",\n  "doc": "Größe in m²"\n}\n'
    assert normalise(kind, text) == '{"type":"string","doc":"Größe in m²"}'


def test_protobuf_is_registered_as_written_with_one_final_newline() -> None:
    assert normalise("PROTOBUF", '\nsyntax = "proto3";\nmessage X {}\n\n') == 'syntax = "proto3";\nmessage X {}\n'


def test_protobuf_definitions_of_different_kinds_are_different_schemas() -> None:
    schema_files._schema_value.cache_clear()
    assert not same_schema("PROTOBUF", 'syntax = "proto3";\nmessage X {}\n', 'syntax = "proto3";\nservice X {}\n')


def test_a_file_that_does_not_parse_as_avro_is_named_with_the_parsers_first_line(tmp_path: Path) -> None:
    file = tmp_path / "e.avsc"
    file.write_text('{"type": "enum", "name": "E", "symbols": [1]}', encoding="utf-8")
    with pytest.raises(SchemaFileError) as raised:
        load_schema(file, "schemas/e.avsc")
    assert str(raised.value) == ("schema file 'schemas/e.avsc' is not a valid Avro schema (Every symbol must match "
                                 "the regular expression [A-Za-z_][A-Za-z0-9_]*)")


def test_a_schema_file_is_read_as_utf8(tmp_path: Path) -> None:
    file = tmp_path / "s.json"
    file.write_bytes('{"type": "string", "description": "Größe"}'.encode())
    assert load_schema(file, "s.json") == ("JSON", '{"type":"string","description":"Größe"}')
