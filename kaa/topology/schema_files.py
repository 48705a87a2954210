"""Reading and checking schema files (Avro, JSON Schema, Protobuf) before anything is registered.

The text we register is normalised (compact JSON for Avro and JSON Schema) so that what a registry returns
compares equal to the spec and `pulumi preview` shows no perpetual diff.
"""
from __future__ import annotations

import dataclasses
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import fastavro
import jsonschema
from proto_schema_parser import ast as proto_ast
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


def same_schema(schema_type: str, a: str, b: str) -> bool:
    """Whether two texts are the same schema: key order, whitespace and comments never make a difference.

    Karapace hands every schema back re-serialised (Avro and JSON Schema as compact JSON with sorted keys,
    Protobuf re-rendered without comments), so text equality would report every version as changed. Avro and
    JSON Schema compare as parsed JSON values (a primitive written `{"type": "string"}` equals `"string"`);
    Protobuf as the parsed file without its comments. Every attribute the registry keeps (defaults, aliases,
    doc, logical types) still counts, as the registry counts it when it gives IDs."""
    if a == b:
        return True
    try:
        return bool(_schema_value(schema_type, a) == _schema_value(schema_type, b))
    except Exception:  # noqa: BLE001 - text that does not parse compares as text
        return a.strip() == b.strip()


@lru_cache(maxsize=4096)
def _schema_value(schema_type: str, text: str) -> Any:
    if schema_type == "AVRO":
        return _avro_value(json.loads(text))
    if schema_type == "JSON":
        return json.loads(text)
    if schema_type == "PROTOBUF":
        return _without_comments(ProtoParser().parse(text))
    raise ValueError(f"unknown schema type {schema_type!r}")


def _avro_value(node: Any) -> Any:
    if isinstance(node, dict):
        if set(node) == {"type"} and isinstance(node["type"], str):
            return node["type"]
        return {k: _avro_value(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_avro_value(v) for v in node]
    return node


def _without_comments(node: Any) -> Any:
    """The parsed Protobuf file as plain values, comments left out (a re-rendered file drops or moves them)."""
    if isinstance(node, proto_ast.Comment):
        return None
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return (type(node).__name__, tuple((f.name, _without_comments(getattr(node, f.name)))
                                           for f in dataclasses.fields(node)))
    if isinstance(node, (list, tuple)):
        return tuple(v for v in (_without_comments(e) for e in node) if v is not None)
    return node


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
