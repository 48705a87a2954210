"""Kafka 4.x topic-level config names and the type of their values (LogConfig / TopicConfig).

Used to reject misspelled keys and values of the wrong type before anything reaches a broker.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass


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

TOPIC_CONFIGS: Mapping[str, ConfigType] = {
    "cleanup.policy": _list_of("delete", "compact"),
    "compression.type": _one_of("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
    "compression.gzip.level": INT,
    "compression.lz4.level": INT,
    "compression.zstd.level": INT,
    "delete.retention.ms": LONG,
    "file.delete.delay.ms": LONG,
    "flush.messages": LONG,
    "flush.ms": LONG,
    "follower.replication.throttled.replicas": REPLICA_LIST,
    "index.interval.bytes": INT,
    "leader.replication.throttled.replicas": REPLICA_LIST,
    "local.retention.bytes": LONG,
    "local.retention.ms": LONG,
    "max.compaction.lag.ms": LONG,
    "max.message.bytes": INT,
    "message.timestamp.after.max.ms": LONG,
    "message.timestamp.before.max.ms": LONG,
    "message.timestamp.type": _one_of("CreateTime", "LogAppendTime"),
    "min.cleanable.dirty.ratio": RATIO,
    "min.compaction.lag.ms": LONG,
    "min.insync.replicas": INT,
    "preallocate": BOOL,
    "remote.storage.enable": BOOL,
    "remote.log.copy.disable": BOOL,
    "remote.log.delete.on.disable": BOOL,
    "retention.bytes": LONG,
    "retention.ms": LONG,
    "segment.bytes": INT,
    "segment.index.bytes": INT,
    "segment.jitter.ms": LONG,
    "segment.ms": LONG,
    "unclean.leader.election.enable": BOOL,
}

# Removed in Kafka 4.0: say so instead of "unknown".
REMOVED_IN_4 = {
    "message.format.version": "removed in Kafka 4.0; delete the key",
    "message.downconversion.enable": "removed in Kafka 4.0; delete the key",
    "message.timestamp.difference.max.ms": "removed in Kafka 4.0; use message.timestamp.before.max.ms/after.max.ms",
}

# Keys MM2 does not copy to remote topics (DefaultConfigPropertyFilter.CONFIG_PROPERTIES_EXCLUDE_DEFAULT).
MM2_NOT_SYNCED = frozenset(
    {
        "follower.replication.throttled.replicas",
        "leader.replication.throttled.replicas",
        "message.timestamp.difference.max.ms",
        "message.timestamp.type",
        "unclean.leader.election.enable",
        "min.insync.replicas",
    }
)


def normalise_value(value: object) -> str:
    """YAML gives ints, bools and lists; Kafka wants strings (`true`, `delete,compact`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(normalise_value(v) for v in value)
    return str(value)


def check_config(key: str, value: str) -> str | None:
    """A problem with one topic config entry (and its fix), or None when it is fine."""
    if key in REMOVED_IN_4:
        return f"unknown topic config {key!r}: {REMOVED_IN_4[key]}"
    kind = TOPIC_CONFIGS.get(key)
    if kind is None:
        close = difflib.get_close_matches(key, TOPIC_CONFIGS.keys(), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else "see Kafka's topic configs for the allowed names"
        return f"unknown topic config {key!r}; {hint}"
    if not kind.check(value):
        return f"value {value!r} has the wrong type; use {kind.description}"
    return None
