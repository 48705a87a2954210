"""Kafka's topic-level config names and the type of their values, from `topic_configs.json`.

That file is generated from the broker's own ConfigDef (LogConfig) in the Kafka jars of pom.xml by
`scripts/gen-topic-configs.sh`; run it again after a Kafka upgrade. Used to reject misspelled keys and values of
the wrong type before anything reaches a broker (the broker's ranges are in the file but not checked here).
"""
from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOGUE_FILE = Path(__file__).with_name("topic_configs.json")


@dataclass(frozen=True)
class ConfigType:
    description: str
    check: Callable[[str], bool]


def _long(v: str) -> bool:
    return re.fullmatch(r"-?\d+", v) is not None and -(2**63) <= int(v) < 2**63


def _int(v: str) -> bool:
    return re.fullmatch(r"-?\d+", v) is not None and -(2**31) <= int(v) < 2**31


def _ratio(v: str) -> bool:
    try:
        return 0.0 <= float(v) <= 1.0
    except ValueError:
        return False


def _bool(v: str) -> bool:
    return v in ("true", "false")


def _one_of(*allowed: str) -> ConfigType:
    return ConfigType(f"one of {', '.join(allowed)}", lambda v: v in allowed)


def _list_of(*allowed: str) -> ConfigType:
    return ConfigType(
        f"a comma-separated list of {', '.join(allowed)}",
        lambda v: bool(v) and all(p.strip() in allowed for p in v.split(",")),
    )


LONG = ConfigType("a whole number (long)", _long)
INT = ConfigType("a whole number (int)", _int)
BOOL = ConfigType('"true" or "false"', _bool)
RATIO = ConfigType("a number between 0 and 1", _ratio)
REPLICA_LIST = ConfigType(
    'a list like "0:1,1:2" or "*"', lambda v: v in ("", "*") or re.fullmatch(r"\d+:\d+(,\d+:\d+)*", v) is not None
)



def _range(low: float, high: float) -> ConfigType:
    def check(v: str) -> bool:
        try:
            return low <= float(v) <= high
        except ValueError:
            return False
    return ConfigType(f"a number between {low:g} and {high:g}", check)


def config_type(name: str, entry: Mapping[str, Any]) -> ConfigType:
    """How a value of one catalogue entry is checked: by its ConfigDef type and, for strings and lists, by the
    values its validator allows."""
    kind, validator, allowed = entry["type"], entry.get("validator"), entry.get("allowed")
    if validator == "ThrottledReplicaListValidator":
        return REPLICA_LIST
    if kind == "LIST" and allowed:
        return _list_of(*allowed)
    if kind == "STRING" and allowed:
        return _one_of(*allowed)
    if kind == "DOUBLE" and entry.get("min") is not None and entry.get("max") is not None:
        return _range(entry["min"], entry["max"])
    simple = {"LONG": LONG, "INT": INT, "BOOLEAN": BOOL}
    if kind not in simple:
        raise ValueError(f"{CATALOGUE_FILE.name}: topic config {name!r} has type {kind} "
                         f"(validator {validator}) that {__name__} cannot check yet; add it to config_type")
    return simple[kind]


CATALOGUE: Mapping[str, Any] = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
KAFKA_VERSION: str = CATALOGUE["kafka_version"]
TOPIC_CONFIGS: Mapping[str, ConfigType] = {
    name: config_type(name, entry) for name, entry in CATALOGUE["configs"].items()
}
DEFAULTS: Mapping[str, str | None] = {name: entry["default"] for name, entry in CATALOGUE["configs"].items()}

# Removed in Kafka 4.0: say so instead of "unknown".
REMOVED_IN_4 = {
    "message.format.version": "removed in Kafka 4.0; delete the key",
    "message.downconversion.enable": "removed in Kafka 4.0; delete the key",
    "message.timestamp.difference.max.ms": "removed in Kafka 4.0; use message.timestamp.before.max.ms/after.max.ms",
}

# Keys MM2 does not copy to remote topics (DefaultConfigPropertyFilter.CONFIG_PROPERTIES_EXCLUDE_DEFAULT).
MM2_NOT_SYNCED = frozenset(CATALOGUE["mm2_not_synced"])


# What the stack files' JSON Schema says of each key beyond its type (editors show it).
SCHEMA_NOTES = {
    "min.insync.replicas": "Not synced by MM2 to remote topics: also set it at broker level on both clusters. "
                           "Must not exceed the topic's replication factor.",
}
WHOLE_NUMBER = {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^-?[0-9]+$"}]}
NUMBER = r"^\s*[+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"


def _schema_shape(entry: Mapping[str, Any]) -> dict[str, Any]:
    kind, allowed = entry["type"], entry.get("allowed")
    if entry.get("validator") == "ThrottledReplicaListValidator":
        return {"type": "string", "pattern": r"^(\*|[0-9]+:[0-9]+(,[0-9]+:[0-9]+)*)?$"}
    if kind == "LIST" and allowed:
        word = "|".join(allowed)
        return {"type": "string", "pattern": rf"^\s*({word})\s*(,\s*({word})\s*)*$"}
    if kind == "STRING" and allowed:
        return {"enum": list(allowed)}
    if kind == "DOUBLE":
        return {"anyOf": [{"type": "number", "minimum": entry["min"], "maximum": entry["max"]},
                          {"type": "string", "pattern": NUMBER}]}
    if kind == "BOOLEAN":
        return {"anyOf": [{"type": "boolean"}, {"enum": ["true", "false"]}]}
    return dict(WHOLE_NUMBER)


def schema_properties() -> dict[str, Any]:
    """The `topicConfig` properties of stacks/topology.schema.json, from the catalogue (scripts/gen-topic-configs.sh
    writes them there; a unit test checks the schema holds exactly these)."""
    out = {}
    for name, entry in CATALOGUE["configs"].items():
        note = SCHEMA_NOTES.get(name) or ("Not synced by MM2 to remote topics." if name in MM2_NOT_SYNCED else "")
        description = f"Kafka topic config {name}: {TOPIC_CONFIGS[name].description}." + (f" {note}" if note else "")
        out[name] = {"description": description, **_schema_shape(entry)}
    return out


def write_schema_properties(schema_file: Path) -> None:
    """Replace the `topicConfig` properties of the stack files' JSON Schema with `schema_properties()`."""
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    schema["$defs"]["topicConfig"]["properties"] = schema_properties()
    schema_file.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def normalise_value(value: object) -> str:
    """YAML gives ints, bools and lists; Kafka wants strings (`true`, `delete,compact`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(normalise_value(v) for v in value)
    return str(value)


def unknown_config(key: str) -> str:
    """What is wrong with a name that is not a topic config of this Kafka, and the fix."""
    if key in REMOVED_IN_4:
        return f"unknown topic config {key!r}: {REMOVED_IN_4[key]}"
    close = difflib.get_close_matches(key, TOPIC_CONFIGS.keys(), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else "see Kafka's topic configs for the allowed names"
    return f"unknown topic config {key!r}; {hint}"


def check_config(key: str, value: str) -> str | None:
    """A problem with one topic config entry (and its fix), or None when it is fine."""
    kind = TOPIC_CONFIGS.get(key)
    if kind is None or key in REMOVED_IN_4:
        return unknown_config(key)
    if not kind.check(value):
        return f"value {value!r} has the wrong type; use {kind.description}"
    return None
