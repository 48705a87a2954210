"""Names MM2 gives and reserves (DefaultReplicationPolicy) and what makes a local topic name safe."""
from __future__ import annotations

import re

LEGAL_TOPIC = re.compile(r"^[a-zA-Z0-9._-]{1,249}$")
TOPIC_CHARACTER = re.compile(r"[a-zA-Z0-9._-]")
MAX_TOPIC_LENGTH = 249
LEGAL_ALIAS = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
PRINCIPAL = re.compile(r"^User:[^\s*:][^\s:]*$")
GROUP = re.compile(r"^[a-zA-Z0-9._-]{1,249}$")

# Topics MM2, Kafka Connect, Kafka itself or a schema registry own. A local topic with such a name would be
# skipped by MM2's topic filter or collide with the machinery.
RESERVED_EXACT = {"heartbeats", "_schemas", "connect-configs", "connect-offsets", "connect-status"}
RESERVED_PATTERNS = (
    (re.compile(r".*[.-]internal$"), "ends with .internal/-internal (MM2 and Connect internal topics)"),
    (re.compile(r".*\.replica$"), "ends with .replica (excluded by MM2's default topic filter)"),
    (re.compile(r"^mm2-"), "starts with mm2- (MM2 offset-syncs and dedicated-mode topics)"),
    (re.compile(r"^__"), "starts with __ (Kafka internal topics)"),
    (re.compile(r"^connect-"), "starts with connect- (Kafka Connect's topics)"),
    (re.compile(r"^_schemas"), "is the schema registry's storage topic"),
)


def illegal_topic_name(topic: str) -> tuple[str, str] | None:
    """(problem, fix) when Kafka refuses `topic` as a topic name (Topic.validate in Kafka's clients), else None."""
    if topic in (".", ".."):
        return "is '.' or '..', which Kafka refuses as a topic name", "use a name with a letter or digit"
    if not topic:
        return "is empty", "use 1-249 of a-z A-Z 0-9 . _ -"
    if len(topic) > MAX_TOPIC_LENGTH:
        return (f"has {len(topic)} characters, Kafka allows at most {MAX_TOPIC_LENGTH}",
                f"shorten it to at most {MAX_TOPIC_LENGTH} characters")
    bad = sorted({ch for ch in topic if not TOPIC_CHARACTER.fullmatch(ch)})
    if bad:
        shown = " ".join(repr(ch) for ch in bad)
        return f"contains {shown}, which Kafka refuses in topic names", "use only a-z A-Z 0-9 . _ -"
    return None


def remote_topic(source_alias: str, topic: str, separator: str = ".") -> str:
    """The name MM2 gives `topic` of `source_alias` on the other cluster."""
    return f"{source_alias}{separator}{topic}"


def topic_source(topic: str, separator: str = ".") -> str | None:
    """DefaultReplicationPolicy.topicSource: the first segment when there are two or more, else None (local)."""
    parts = topic.split(separator)
    return parts[0] if len(parts) >= 2 else None


def reserved_reason(topic: str) -> str | None:
    """Why `topic` may not be a local topic, or None if it may."""
    if topic in RESERVED_EXACT:
        return "is an MM2/Connect/registry internal topic name"
    for pattern, reason in RESERVED_PATTERNS:
        if pattern.match(topic):
            return reason
    return None


def remote_prefix_alias(topic: str, aliases: tuple[str, ...], separator: str = ".") -> str | None:
    """The alias a topic name starts with (alias + separator), which makes MM2 treat it as remote."""
    for alias in aliases:
        if topic.startswith(f"{alias}{separator}"):
            return alias
    return None


def resource_slug(text: str) -> str:
    """A name as it appears inside a Pulumi resource name (lower case; runs of other characters become '-').
    Resource names must stay stable: changing this renames (replaces) existing resources."""
    return re.sub(r"[^a-zA-Z0-9._-]+", "-", text).strip("-").lower()


def principal_name(principal: str) -> str:
    """`User:mm2` -> `mm2` (the SASL user name)."""
    return principal.split(":", 1)[1]


def connector_name(source: str, target: str, kind: str, prefix: str = "mm2") -> str:
    return f"{prefix}-{source.lower()}-{target.lower()}-{kind}"


# MM2's DefaultReplicationPolicy joins its internal topics' names with the replication separator
# (replication.policy.internal.topic.separator.enabled, default true, which the toolkit leaves alone): with
# separator '_' they are K1_checkpoints_internal and mm2-offset-syncs_K2_internal (read from Kafka 4.1.2's class).
def checkpoints_topic(source: str, separator: str = ".") -> str:
    return f"{source}{separator}checkpoints{separator}internal"


def offset_syncs_topic(target: str, separator: str = ".") -> str:
    return f"mm2-offset-syncs{separator}{target}{separator}internal"


def mm2_worker_group(source: str) -> str:
    """The Connect group of the MM2 worker that runs source->target outside a shared Connect cluster: dedicated
    MirrorMaker's default (MirrorMakerConfig), used for Strimzi's target.groupId too."""
    return f"{source}-mm2"


def mm2_worker_topics(source: str) -> tuple[str, str, str]:
    """The config, offset and status topics of that worker, on the flow's target (MirrorMakerConfig defaults)."""
    return (f"mm2-configs.{source}.internal", f"mm2-offsets.{source}.internal", f"mm2-status.{source}.internal")
