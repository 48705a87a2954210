"""Confluent wire format (magic byte 0, 4-byte schema ID, Avro body): MM2 copies these bytes unchanged, so a
record written with K1's registry ID must decode with K2's registry, which is what ID parity guarantees."""
from __future__ import annotations

import io
import json
import struct
from typing import Any

import fastavro


def encode_avro(schema_id: int, schema: str, record: dict[str, Any]) -> bytes:
    body = io.BytesIO()
    fastavro.schemaless_writer(body, fastavro.parse_schema(json.loads(schema)), record)
    return struct.pack(">bI", 0, schema_id) + body.getvalue()


def schema_id_of(payload: bytes) -> int:
    magic, schema_id = struct.unpack(">bI", payload[:5])
    if magic != 0:
        raise ValueError("not in the Confluent wire format (magic byte is not 0)")
    return int(schema_id)


def decode_avro(payload: bytes, schema: str) -> Any:
    return fastavro.schemaless_reader(io.BytesIO(payload[5:]), fastavro.parse_schema(json.loads(schema)))
