"""The topic-config catalogue: generated from the Kafka jars (scripts/gen-topic-configs.sh), loaded here."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kaa.topology import topic_configs as tc

ROOT = Path(__file__).resolve().parents[2]


def test_the_catalogue_is_of_the_kafka_version_the_pair_runs() -> None:
    pom = (ROOT / "pom.xml").read_text(encoding="utf-8")
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    assert match, "pom.xml has no kafka.version"
    assert match.group(1) == tc.KAFKA_VERSION, (
        f"{tc.CATALOGUE_FILE.name} is of Kafka {tc.KAFKA_VERSION}; run scripts/gen-topic-configs.sh")
    assert tc.CATALOGUE["generated_by"] == "scripts/gen-topic-configs.sh"
    assert (ROOT / "scripts" / "gen-topic-configs.sh").is_file()


def test_every_key_has_a_type_and_a_default_from_the_broker() -> None:
    assert len(tc.TOPIC_CONFIGS) >= 30 and set(tc.TOPIC_CONFIGS) == set(tc.DEFAULTS)
    assert tc.DEFAULTS["retention.ms"] == "604800000" and tc.DEFAULTS["cleanup.policy"] == "delete"
    assert not set(tc.REMOVED_IN_4) & set(tc.TOPIC_CONFIGS)


@pytest.mark.parametrize(("key", "good", "bad", "allowed"), [
    ("retention.ms", "-1", "7d", "a whole number (long)"),
    ("segment.bytes", "1073741824", "9999999999", "a whole number (int)"),
    ("preallocate", "true", "yes", '"true" or "false"'),
    ("cleanup.policy", "compact,delete", "purge", "a comma-separated list of compact, delete"),
    ("compression.type", "zstd", "brotli", "one of uncompressed, zstd, lz4, snappy, gzip, producer"),
    ("min.cleanable.dirty.ratio", "0.5", "1.5", "a number between 0 and 1"),
    ("leader.replication.throttled.replicas", "0:1,1:2", "0-1", 'a list like "0:1,1:2" or "*"'),
])
def test_values_are_checked_by_the_type_kafka_gives(key: str, good: str, bad: str, allowed: str) -> None:
    assert tc.check_config(key, good) is None
    assert tc.check_config(key, bad) == f"value {bad!r} has the wrong type; use {allowed}"


@pytest.mark.parametrize(("key", "good", "bad", "allowed"), [
    ("retention.ms", ["-9223372036854775808", "9223372036854775807", "0"], ["9223372036854775808", "1.0", ""],
     "a whole number (long)"),
    ("segment.bytes", ["-2147483648", "2147483647"], ["2147483648", "-2147483649", "x1"], "a whole number (int)"),
    ("preallocate", ["true", "false"], ["True", "1", ""], '"true" or "false"'),
    ("cleanup.policy", ["compact", "delete", "compact, delete", " delete ,compact"], ["", "compact,", "purge,delete"],
     "a comma-separated list of compact, delete"),
    ("compression.type", ["producer", "gzip"], ["GZIP", "", "gzip,lz4"],
     "one of uncompressed, zstd, lz4, snappy, gzip, producer"),
    ("min.cleanable.dirty.ratio", ["0", "1", "0.25", "1e-1"], ["-0.1", "1.01", "half", ""],
     "a number between 0 and 1"),
    ("follower.replication.throttled.replicas", ["", "*", "0:1", "0:1,12:3"], ["0:1,", "a:b", "**", "0:1 "],
     'a list like "0:1,1:2" or "*"'),
])
def test_config_type_builds_each_check_from_its_catalogue_entry(key: str, good: list[str], bad: list[str],
                                                                  allowed: str) -> None:
    """What the loader checks a value with, built from the catalogue entry as Kafka describes the config (called
    here, not read from TOPIC_CONFIGS, which is built once at import)."""
    kind = tc.config_type(key, tc.CATALOGUE["configs"][key])
    assert kind.description == allowed
    assert [v for v in good if not kind.check(v)] == []
    assert [v for v in bad if kind.check(v)] == []


def test_a_ratio_outside_the_catalogues_range_is_refused() -> None:
    kind = tc.config_type("x.ratio", {"type": "DOUBLE", "validator": "Range", "min": 0.5, "max": 2})
    assert kind.description == "a number between 0.5 and 2"
    assert [kind.check(v) for v in ("0.5", "2", "0.49", "2.1")] == [True, True, False, False]


def test_a_type_the_loader_cannot_check_fails_loudly() -> None:
    with pytest.raises(ValueError, match="'x.class' has type CLASS"):
        tc.config_type("x.class", {"type": "CLASS", "default": None})
    with pytest.raises(ValueError, match="'x.name' has type STRING"):  # a free string: nothing to check it with
        tc.config_type("x.name", {"type": "STRING", "default": None})
    with pytest.raises(ValueError, match="'x.ratio' has type DOUBLE"):  # a double without both bounds
        tc.config_type("x.ratio", {"type": "DOUBLE", "validator": "Range", "min": 0})


def test_whole_numbers_are_checked_for_their_type_not_the_brokers_range() -> None:
    kind = tc.config_type("x.ms", {"type": "LONG", "validator": "Range", "min": 0, "max": 10})
    assert kind.description == "a whole number (long)" and kind.check("11") and kind.check("-1")
    assert not kind.check("-9223372036854775809")


def test_mm2_not_synced_comes_from_mirrormakers_filter() -> None:
    assert frozenset(tc.CATALOGUE["mm2_not_synced"]) == tc.MM2_NOT_SYNCED
    assert {"min.insync.replicas", "message.timestamp.type"} <= tc.MM2_NOT_SYNCED


def test_the_stack_schema_lists_the_catalogue() -> None:
    """stacks/topology.schema.json's topicConfig section is what the catalogue generates (same keys, types,
    allowed values and notes), so editors and the loader agree."""
    import json

    schema = json.loads((ROOT / "stacks" / "topology.schema.json").read_text(encoding="utf-8"))
    assert schema["$defs"]["topicConfig"]["properties"] == tc.schema_properties()
    assert tc.schema_properties()["min.insync.replicas"]["description"].endswith(
        "Must not exceed the topic's replication factor.")


def test_write_schema_properties_keeps_the_files_format(tmp_path: Path) -> None:
    """Two-space indentation, text as written (no \\u escapes), UTF-8, a final newline: a file already in that form
    and holding the generated section comes back byte for byte."""
    import json

    schema = json.loads((ROOT / "stacks" / "topology.schema.json").read_text(encoding="utf-8"))
    schema["description"] += " Größe → ok."
    canonical = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    copy = tmp_path / "topology.schema.json"
    copy.write_bytes(canonical.encode("utf-8"))
    tc.write_schema_properties(copy)
    assert copy.read_bytes() == canonical.encode("utf-8")
    assert canonical.count("\n  \"$defs\": {\n    \"") == 1


def test_write_schema_properties_rewrites_only_the_topic_configs(tmp_path: Path) -> None:
    import json

    schema = json.loads((ROOT / "stacks" / "topology.schema.json").read_text(encoding="utf-8"))
    schema["$defs"]["topicConfig"]["properties"] = {"stale.key": {"type": "string"}}
    copy = tmp_path / "topology.schema.json"
    copy.write_text(json.dumps(schema), encoding="utf-8")
    tc.write_schema_properties(copy)
    rewritten = json.loads(copy.read_text(encoding="utf-8"))
    assert rewritten["$defs"]["topicConfig"]["properties"] == tc.schema_properties()
    assert rewritten["$defs"]["topic"] == schema["$defs"]["topic"]
