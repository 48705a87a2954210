"""Reading and checking schema files (Avro, JSON Schema, Protobuf) before anything is registered.

The text we register is normalised (compact JSON for Avro and JSON Schema) so that what a registry returns
compares equal to the spec and `pulumi preview` shows no perpetual diff.
"""
from __future__ import annotations

import json
from pathlib import Path

import fastavro
import jsonschema
from proto_schema_parser.parser import Parser as ProtoParser

EXTENSIONS = {".avsc": "AVRO", ".json": "JSON", ".proto": "PROTOBUF"}


class SchemaFileError(ValueError):
    """The file is missing, of an unknown kind, or does not parse; the message says why."""


def schema_type_for(path: str) -> str:
    suffix = Path(path).suffix
    if suffix not in EXTENSIONS:
        allowed = ", ".join(EXTENSIONS)
        raise SchemaFileError(f"unknown schema file extension {suffix!r}; use one of {allowed}")
    return EXTENSIONS[suffix]


def normalise(schema_type: str, text: str) -> str:
    if schema_type in ("AVRO", "JSON"):
        return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    return text.strip() + "\n"


def load_schema(path: Path, shown_as: str) -> tuple[str, str]:
    """Return (schema type, normalised text) of a schema file, or raise SchemaFileError saying what is wrong."""
    schema_type = schema_type_for(shown_as)
    if not path.is_file():
        raise SchemaFileError(f"schema file {shown_as!r} does not exist; create it or fix the path")
    text = path.read_text(encoding="utf-8")
    try:
        if schema_type == "AVRO":
            fastavro.parse_schema(json.loads(text))
        elif schema_type == "JSON":
            document = json.loads(text)
            jsonschema.validators.validator_for(document).check_schema(document)
        else:
            ProtoParser().parse(text)
    except json.JSONDecodeError as exc:
        raise SchemaFileError(f"schema file {shown_as!r} is not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    except jsonschema.SchemaError as exc:
        raise SchemaFileError(f"schema file {shown_as!r} is not a valid JSON Schema ({exc.message})") from exc
    except Exception as exc:  # fastavro and the proto parser raise assorted types
        kind = {"AVRO": "Avro", "PROTOBUF": "Protobuf"}[schema_type]
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SchemaFileError(f"schema file {shown_as!r} is not a valid {kind} schema ({first_line})") from exc
    return schema_type, normalise(schema_type, text)
