"""Load a stack file (`extends` chain, deep merge), validate it and build the `Topology`.

Pure: reads files, nothing else. Every problem becomes one line naming the file, the key path, the bad value
and the fix; all problems are collected and raised together as `SpecError`.
"""
from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml
from fastavro.schema import UnknownType
from jsonschema import Draft202012Validator, ValidationError
from proto_schema_parser.parser import Parser as ProtoParser

from kaa.errors import SpecError
from kaa.topology import naming, stack_schema
from kaa.topology.model import (
    COMPATIBILITY_LEVELS,
    MIRROR_PROFILES,
    MIRROR_RUNTIMES,
    Cluster,
    Consumer,
    MirrorSettings,
    SchemaVersion,
    Security,
    SubjectSpec,
    Topic,
    Topology,
)
from kaa.topology.schema_files import SchemaFileError, load_schema, schema_type_for
from kaa.topology.stack_paths import UnsetVariable, expand_path
from kaa.topology.topic_configs import TOPIC_CONFIGS, normalise_value, unknown_config

# The shape of a stack file (its keys, types, enumerations, patterns) is stacks/topology.schema.json, checked with
# `jsonschema`; this module adds the rules the schema cannot state and the wording of every error.
SECURITY_FILE_KEYS = ("ssl_truststore", "ssl_client_cert", "ssl_client_key", "http_ca")
SCHEMA_DELETES = stack_schema.enum("schema_registry", "delete")
SCHEMA_IDS = stack_schema.enum("schema_registry", "ids")
PROTOCOLS = stack_schema.enum("#cluster", "security", "protocol")
SASL_MECHANISMS = stack_schema.enum("#cluster", "security", "sasl_mechanism")
ENVIRONMENTS = stack_schema.enum("environment")
SHAPE = Draft202012Validator(stack_schema.SCHEMA)

Path_ = tuple[str, ...]


def show_path(path: Path | str) -> str:
    """A file name as the user knows it: relative to the working directory when inside it."""
    rel = os.path.relpath(path)
    return rel if not rel.startswith("..") else str(path)


def key_path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if "." in part or not part else (f".{part}" if out else part)
    return out or "(top level)"


@dataclass
class _Merged:
    """The merged document plus, for every key path, the file that last set it (for error messages)."""

    data: dict[str, Any]
    origins: dict[Path_, Path] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    files: list[tuple[Path, dict[str, Any]]] = field(default_factory=list)  # each file's own document
    places: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)  # where each problem is, to sort them

    def report(self, file: Path, path: Path_, line: str) -> None:
        """A problem at `path` of `file`: kept in the files' order (the stack file first), then the file's own."""
        index = [f for f, _ in self.files].index(file)  # every file a problem names was read
        self.problems.append(line)
        self.places.append((index, _position(self.files[index][1], path)))

    def sorted_problems(self) -> list[str]:
        return [line for _, line in sorted(zip(self.places, self.problems, strict=True), key=lambda pl: pl[0])]

    def file_of(self, path: Path_) -> Path:
        """The file that last set the longest part of `path` (the stack file itself for what no file sets)."""
        return next(self.origins[path[:end]] for end in range(len(path), -1, -1) if path[:end] in self.origins)


def _record(origins: dict[Path_, Path], node: Any, path: Path_, file: Path) -> None:
    origins[path] = file
    if isinstance(node, dict):
        for k, v in node.items():
            _record(origins, v, path + (str(k),), file)


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_chain(file: Path, merged: _Merged, chain: tuple[Path, ...]) -> dict[str, Any]:
    if file in chain:
        cycle = " -> ".join(show_path(p) for p in chain + (file,))
        merged.problems.append(
            f"{show_path(chain[-1])}: extends: makes a cycle {cycle} (got {show_path(file)!r}); "
            "remove one of the extends"
        )
        return {}
    if not file.is_file():
        if chain:
            merged.problems.append(
                f"{show_path(chain[-1])}: extends: file does not exist (got {show_path(file)!r}); fix the path"
            )
        else:
            merged.problems.append(f"{show_path(file)}: (top level): file does not exist; fix the path")
        return {}
    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        merged.problems.append(f"{show_path(file)}: (top level): not valid YAML{line}; fix the syntax")
        return {}
    if not isinstance(document, dict):
        merged.problems.append(
            f"{show_path(file)}: (top level): must be a mapping of keys (got {type(document).__name__}); "
            "write key: value lines such as topics: and clusters:"
        )
        return {}
    merged.files.append((file, document))
    parent: dict[str, Any] = {}
    extends = document.get("extends")
    if isinstance(extends, str):  # anything else is a shape error (_shape_problems)
        parent = _read_chain((file.parent / extends).resolve(), merged, chain + (file,))
    own = {k: v for k, v in document.items() if k != "extends"}
    _record(merged.origins, own, (), file)
    return _deep_merge(parent, own)


# --- shape: the JSON Schema, file by file ------------------------------------------------------------------------
# Each file of the `extends` chain is checked on its own against stacks/topology.schema.json as shipped, not the
# merged document: the schema is the one editors check a file with, where every key is optional (a child file may
# be partial), and a mistake is then named in the file that holds it, whichever file overrides what. A merge of
# files that each have the right shape has the right shape too; what only the merged document can show (exactly two
# clusters, at least one topic, each cluster's addresses, each topic's partitions and replication factor) is checked
# on it with the cross-field rules below. A key left empty (`partitions:`) counts as absent, as in the merge.
_DEFS = {id(node): name for name, node in stack_schema.SCHEMA["$defs"].items()}

# What a value that does not match its schema is, and the fix: by the schema definition it is checked against,
# else by its key.
_WORDING: dict[str, tuple[str, str]] = {
    "principal": ("is not a principal", 'write it as "User:<name>" (no wildcard)'),
    "httpUrl": ("must be an http(s) URL", "write http://host:port"),
    "schemaFiles": ("must be a schema file or a list of them (oldest first)", "use schemas/<name>.avsc|.json|.proto"),
    "positiveInt": ("must be a whole number", "use a whole number >= 1"),
    "bootstrap_servers": ("must be a list of host:port", 'use ["broker-1:9092"]'),
    "group": ("is not a consumer group name", "use 1-249 of a-z A-Z 0-9 . _ -"),
    "name_prefix": ("is not usable in connector names", "use letters, digits, _ or -"),
    "extends": ("must be a file name", "write extends: base.yaml"),
    "extra_topics_exclude": ("must be a list of regular expressions", 'use ["audit-.*"]'),
    "producers": ("must be a list of principals", 'use ["User:orders-svc"]'),
    "consumers": ("must be a list of {principal, group}", 'use [{principal: "User:billing", group: billing}]'),
    "labels": ("must be a mapping of label names to values", "use {team: platform}"),
    "topicConfig": ("must be a mapping of topic config names to values", 'use {retention.ms: "604800000"}'),
    "topics": ("must map at least one topic name to its settings", "add topics: {orders: {partitions: 6}}"),
    "clusters": ("must map two cluster aliases to their addresses", "declare K1 and K2"),
}
_BY_TYPE = {
    "boolean": ("must be true or false", "write true or false"),
    "string": ("must be a non-empty string", "quote the value"),
    "array": ("must be a list", "write [a, b]"),
}
_MISSING_FIX = {"principal": 'add principal: "User:<name>"', "group": "add group: <consumer group name>"}
_DUPLICATE = {"producers": ("duplicate principal", "list each principal once"),
              "consumers": ("duplicate consumer", "list each principal/group pair once")}


def _without_empty(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_empty(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_without_empty(v) for v in node]
    return node


def _shape_problems(merged: _Merged, separator: str) -> None:
    for file, document in merged.files:
        for error in SHAPE.iter_errors(_without_empty(document)):
            for path, message, fix, value in _explain(error, separator):
                got = "" if value is _UNSHOWN else f" (got {value!r})"
                merged.report(file, path, f"{show_path(file)}: {key_path(path)}: {message}{got}; {fix}")


def _position(document: Any, path: Path_) -> tuple[int, ...]:
    """Where a key path is in a document, key by key (a key it lacks comes after the others)."""
    out: list[int] = []
    node = document
    for part in path:
        keys = [str(k) for k in node] if isinstance(node, dict) else [str(i) for i in range(len(node))] \
            if isinstance(node, list) else []
        index = keys.index(part) if part in keys else len(keys)
        out.append(index)
        node = (list(node.values()) if isinstance(node, dict) else node)[index] if index < len(keys) else None
    return tuple(out)


_UNSHOWN = object()


def _explain(error: ValidationError, separator: str) -> list[tuple[Path_, str, str, Any]]:
    """One error of the schema as (key path, what is wrong, fix, value shown); [] for what the rules below say
    better (topic names, the cluster count, topic config values)."""
    path: Path_ = tuple(str(p) for p in error.absolute_path)
    kind, instance, schema = error.validator, error.instance, error.schema
    definition = _DEFS.get(id(schema))
    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = tuple(schema["properties"])  # every closed mapping of the schema lists its keys
        out = []
        for key in (str(k) for k in instance if str(k) not in allowed):
            if definition == "topicConfig":
                message, _, fix = unknown_config(key).rpartition("; ")
                out.append((path + (key,), message, fix, _UNSHOWN))
            else:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                fix = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
                out.append((path + (key,), "unknown key", fix, _UNSHOWN))
        return out
    if kind == "required" and isinstance(instance, dict):
        return [(path + (key,), "is missing", _MISSING_FIX.get(key, f"add {key}: <value>"), _UNSHOWN)
                for key in schema["required"] if key not in instance]
    if kind == "uniqueItems" and isinstance(instance, list):
        first = next(i for i, item in enumerate(instance) if item in instance[:i])
        message, fix = _DUPLICATE.get(path[-1], ("duplicate item", "list each item once"))
        item = instance[first]
        shown = f"{item.get('principal')}/{item.get('group')}" if isinstance(item, dict) else item
        return [(path + (str(first),), message, fix, shown)]
    if "propertyNames" in error.schema_path:  # reported by the name's own keyword (pattern, not)
        if path == ("clusters",) and separator not in str(instance):  # the separator rule names it otherwise
            return [(path + (str(instance),), "alias has characters MM2 cannot use", "use letters, digits, _ or -",
                     instance)]
        return []  # topic names: naming.py's rules, shared with the policy pack, say which rule a name breaks
    if kind == "maxProperties" or path[-2:-1] == ("config",):
        return []  # the cluster count is checked on the merged stack; config values against the catalogue
    if kind == "enum":
        values = ", ".join(str(v) for v in error.validator_value if v is not None)
        return [(path, "is not allowed", f"use one of {values}", instance)]
    if kind == "minimum":
        return [(path, f"must be at least {error.validator_value}", f"use a whole number >= {error.validator_value}",
                 instance)]
    key = path[-1] if path else ""
    wording = _WORDING.get(definition or "") or _WORDING.get(key)
    if wording is None and path[:1] == ("labels",):
        wording = ("must be a string, number or boolean", "write a value, e.g. platform")
    if wording is None and kind == "type":
        expected = error.validator_value if isinstance(error.validator_value, str) else error.validator_value[0]
        if expected == "object":
            return [(path, "must be a mapping", f"use keys from: {', '.join(schema['properties'])}",
                     instance)]
        wording = _BY_TYPE.get(expected)
    if wording is None and kind == "minLength":
        wording = _BY_TYPE["string"]
    message, fix = wording or (error.message, "see stacks/topology.schema.json")
    return [(path, message, fix, instance)]


class _Checker:
    """Collects problems while building the model; each `bad(...)` call is one line of the final error."""

    def __init__(self, merged: _Merged):
        self.merged = merged
        self.problems = merged.problems

    def bad(self, path: Path_, message: str, fix: str, value: Any = None, show_value: bool = True) -> None:
        got = f" (got {value!r})" if show_value else ""
        file = self.merged.file_of(path)
        self.merged.report(file, path, f"{show_path(file)}: {key_path(path)}: {message}{got}; {fix}")

    # The shape was checked (_shape_problems): these read a value, and give None for one of the wrong shape.
    @staticmethod
    def mapping(node: Any) -> dict[str, Any]:
        return node if isinstance(node, dict) else {}

    @staticmethod
    def whole(node: Mapping[str, Any], key: str) -> int | None:
        value = node.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None

    def text(self, node: Mapping[str, Any], key: str, path: Path_, required: bool = False) -> str | None:
        value = node.get(key)
        if value is None and required:  # required once the files are merged
            self.bad(path + (key,), "is missing", f"add {key}: <value>", show_value=False)
        return value if isinstance(value, str) and value else None

    @staticmethod
    def choice(node: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str | None:
        value = node.get(key)
        return str(value) if value in allowed else None


def load_topology(stack_file: str | Path, name: str | None = None) -> Topology:
    """Load, merge, validate and build a stack's topology. Raises SpecError with every problem found."""
    file = Path(stack_file).resolve()
    merged = _Merged(data={})
    merged.data = _read_chain(file, merged, ())
    if merged.problems:
        raise SpecError(merged.problems)
    mirror = merged.data.get("mirror")
    separator = mirror.get("separator") if isinstance(mirror, dict) else None
    _shape_problems(merged, separator if isinstance(separator, str) and separator else ".")
    topology = _build(_Checker(merged), file, name or file.stem)
    if merged.problems:
        raise SpecError(merged.sorted_problems())
    assert topology is not None
    return topology


def _build(c: _Checker, file: Path, name: str) -> Topology | None:
    doc = c.merged.data
    mirror = _mirror(c, doc.get("mirror"))
    clusters = _clusters(c, doc.get("clusters"), mirror.separator)
    aliases = tuple(cl.alias for cl in clusters)
    defaults = _defaults(c, doc.get("defaults"))
    registry = c.mapping(doc.get("schema_registry"))
    default_compat = c.choice(registry, "compatibility", COMPATIBILITY_LEVELS)
    schema_delete = c.choice(registry, "delete", SCHEMA_DELETES) or "soft"
    schema_ids = c.choice(registry, "ids", SCHEMA_IDS) or "sequential"
    environment = c.choice(doc, "environment", ENVIRONMENTS) or (name if name in ENVIRONMENTS else "dev")
    labels = c.mapping(doc.get("labels"))
    topics_node = doc.get("topics")
    if isinstance(topics_node, dict | None) and not topics_node:  # a file may leave topics out, the stack not
        c.bad(("topics",), "must map at least one topic name to its settings", "add topics: {orders: {partitions: 6}}",
              topics_node)
    topics_node = c.mapping(topics_node)
    topics = [
        _topic(c, str(topic_name), body, defaults, default_compat, aliases, mirror.separator)
        for topic_name, body in sorted(topics_node.items(), key=lambda kv: str(kv[0]))
    ]
    _topic_collisions(c, [str(t) for t in topics_node])
    _name_collisions(c, [t for t in topics if t is not None], mirror.principal)
    if c.problems or len(clusters) != 2:
        return None
    return Topology(
        name=name,
        source_file=show_path(file),
        clusters=(clusters[0], clusters[1]),
        topics=tuple(t for t in topics if t is not None),
        mirror=mirror,
        default_compatibility=default_compat,
        schema_delete=schema_delete,
        schema_ids=schema_ids,
        environment=environment,
        labels={str(k): str(v) for k, v in labels.items()},
    )


@dataclass(frozen=True)
class _Defaults:
    """`defaults`, checked once (so a bad default is one problem, not one per topic)."""

    declared: frozenset[str]
    partitions: int | None
    replication_factor: int | None
    config: Mapping[str, str]


def _defaults(c: _Checker, node: Any) -> _Defaults:
    body = c.mapping(node)
    return _Defaults(
        declared=frozenset(k for k in ("partitions", "replication_factor") if body.get(k) is not None),
        partitions=c.whole(body, "partitions"),
        replication_factor=c.whole(body, "replication_factor"),
        config=_config(c, body.get("config"), ("defaults", "config")),
    )


def _topic_collisions(c: _Checker, names: list[str]) -> None:
    """Kafka refuses a topic whose name equals another's once '.' and '_' are treated alike (their metric names
    collide). Names that differ only in letter case are legal in Kafka but get the same Pulumi resource names
    (ACL names are lower-cased), so they are refused too; existing resource names stay as they are."""
    seen: dict[str, str] = {}
    for name in sorted(names):
        folded = name.replace(".", "_").lower()
        other = seen.get(folded)
        if other is None:
            seen[folded] = name
        elif other.replace(".", "_") == name.replace(".", "_"):
            c.bad(("topics", name), f"collides with topic {other!r} (Kafka treats '.' and '_' alike in "
                  "topic names and refuses the second one)", "rename one of them", name)
        else:
            how = "letter case" if other.lower() == name.lower() else "letter case and '.' vs '_'"
            c.bad(("topics", name), f"differs from topic {other!r} only in {how}, so both would get the same Pulumi "
                  "resource names", "rename one of them", name)


def _name_collisions(c: _Checker, topics: list[Topic], mm2_principal: str) -> None:
    """Principals (and groups) that differ only in letter case or punctuation are different to Kafka but get
    the same Pulumi ACL resource names (naming.resource_slug), so the second spelling is refused."""
    seen: dict[tuple[str, str], str] = {("principal", naming.resource_slug(naming.principal_name(mm2_principal))):
                                        mm2_principal}
    for topic in topics:
        names: list[tuple[Path_, str, str]] = [
            (("topics", topic.name, "producers", str(i)), "principal", p) for i, p in enumerate(topic.producers)]
        for i, consumer in enumerate(topic.consumers):
            where = ("topics", topic.name, "consumers", str(i))
            names += [(where + ("principal",), "principal", consumer.principal), (where + ("group",), "group",
                                                                                  consumer.group)]
        for path, what, name in names:
            folded = naming.resource_slug(naming.principal_name(name) if what == "principal" else name)
            first = seen.setdefault((what, folded), name)
            if first != name:
                c.bad(path, f"differs from {what} {first!r} only in letter case or punctuation, so both would get "
                      "the same Pulumi resource names", f"write it as {first!r}", name)


def _mirror(c: _Checker, node: Any) -> MirrorSettings:
    """The mirror settings the stack sets (their shape was checked; a value of the wrong shape is left out)."""
    body = c.mapping(node)
    base = MirrorSettings()
    values: dict[str, Any] = {}
    for f in fields(MirrorSettings):
        value = body.get(f.name)
        default = getattr(base, f.name)
        if f.name == "extra_topics_exclude":
            if isinstance(value, list) and all(isinstance(i, str) for i in value):
                values[f.name] = tuple(value)
        elif f.name in ("runtime", "profile"):
            choice = c.choice(body, f.name, MIRROR_RUNTIMES if f.name == "runtime" else MIRROR_PROFILES)
            if choice:
                values[f.name] = choice
        elif isinstance(default, bool):
            if isinstance(value, bool):
                values[f.name] = value
        elif isinstance(default, str):
            text = c.text(body, f.name, ("mirror",))
            if text and (f.name != "principal" or _principal(text)):
                values[f.name] = text
        elif c.whole(body, f.name) is not None:
            values[f.name] = body[f.name]
    return MirrorSettings(**values)


def _clusters(c: _Checker, node: Any, separator: str) -> list[Cluster]:
    if node is None or isinstance(node, dict) and len(node) != 2:  # a file may hold one; the merged stack two
        count = len(node) if isinstance(node, dict) else 0
        got = ", ".join(map(str, node)) if isinstance(node, dict) else node
        c.bad(("clusters",), f"must name exactly two clusters, found {count}",
              "declare two aliases, e.g. K1 and K2, each with bootstrap_servers, schema_registry, connect", got)
    out = []
    for alias, body in c.mapping(node).items():
        alias = str(alias)
        path = ("clusters", alias)
        if separator in alias:
            c.bad(path, f"alias contains the replication separator {separator!r}",
                  "rename the alias without it (e.g. K1); MM2 would misparse remote topic names", alias)
        body = c.mapping(body)
        servers = body.get("bootstrap_servers")
        if servers is None:
            c.bad(path + ("bootstrap_servers",), "is missing", 'add bootstrap_servers: ["broker-1:9092"]',
                  show_value=False)
        servers = [s.strip() for s in servers.split(",")] if isinstance(servers, str) else servers
        registry = c.text(body, "schema_registry", path, required=True)
        connect = c.text(body, "connect", path, required=True)
        sec = c.mapping(body.get("security"))
        protocol = c.choice(sec, "protocol", PROTOCOLS) or "PLAINTEXT"
        mechanism = c.choice(sec, "sasl_mechanism", SASL_MECHANISMS)
        if protocol.startswith("SASL_") and "sasl_mechanism" not in sec:
            c.bad(path + ("security", "sasl_mechanism"), f"is required with {protocol}",
                  f"add sasl_mechanism: one of {', '.join(SASL_MECHANISMS)}", show_value=False)
        files = {key: _file_path(c, sec, key, path + ("security",)) for key in SECURITY_FILE_KEYS}
        if (files["ssl_client_cert"] is None) != (files["ssl_client_key"] is None):
            c.bad(path + ("security",), "ssl_client_cert and ssl_client_key go together",
                  "set both (the mTLS client certificate and its key) or neither", show_value=False)
        if files["ssl_client_cert"] and protocol not in ("SSL", "SASL_SSL"):
            c.bad(path + ("security", "protocol"), "must be SSL or SASL_SSL with a client certificate",
                  "set protocol: SSL (mTLS) or SASL_SSL", protocol)
        encrypted = sec.get("ssl_client_key_encrypted") is True
        if encrypted and not files["ssl_client_key"]:
            c.bad(path + ("security", "ssl_client_key_encrypted"), "needs ssl_client_key",
                  "set ssl_client_key (the encrypted PKCS#8 key) or drop ssl_client_key_encrypted", True)
        security = Security(protocol=protocol, sasl_mechanism=mechanism, ssl_client_key_encrypted=encrypted, **files)
        out.append(Cluster(alias, tuple(servers or ()), registry or "", connect or "", security))
    return out


def _file_path(c: _Checker, node: Mapping[str, Any], key: str, path: Path_) -> str | None:
    """A certificate or key path, expanded (`stack_paths`) relative to the file that sets it."""
    value = c.text(node, key, path, required=False)
    if value is None:
        return None
    try:
        return expand_path(value, c.merged.file_of(path + (key,)).parent)
    except UnsetVariable as exc:
        c.bad(path + (key,), f"names ${{{exc.name}}}, which is not set",
              f"export {exc.name}, or write ${{{exc.name}:-<default path>}}", value)
        return None


def _config(c: _Checker, node: Any, path: Path_) -> dict[str, str]:
    """Topic config values, checked against the topic-config catalogue: the schema's shapes come from the same
    catalogue, but a value written as a string ("1.5" for a ratio, a long past 2^63) escapes what JSON Schema
    can say of it, and YAML lists are Kafka's comma-separated lists. Unknown names are shape (the schema)."""
    out = {}
    for key, raw in c.mapping(node).items():
        where = path + (str(key),)
        kind = TOPIC_CONFIGS.get(str(key))
        if kind is None:
            continue
        if raw is None or isinstance(raw, dict):
            c.bad(where, "must be a string, number or boolean", 'write a value, e.g. "604800000"', raw)
            continue
        value = normalise_value(raw)
        if not kind.check(value):
            enumerated = kind.description.startswith(("one of", "a comma-separated list of"))
            c.bad(where, "is not allowed" if enumerated else "has the wrong type", f"use {kind.description}", raw)
            continue
        out[str(key)] = value
    return out


def _topic(
    c: _Checker,
    name: str,
    node: Any,
    defaults: _Defaults,
    default_compat: str | None,
    aliases: tuple[str, ...],
    separator: str,
) -> Topic | None:
    path = ("topics", name)
    start = len(c.problems)
    illegal = naming.illegal_topic_name(name)
    if illegal:
        c.bad(path, illegal[0], illegal[1], name, show_value=len(name) <= naming.MAX_TOPIC_LENGTH)
    alias = naming.remote_prefix_alias(name, aliases, separator)
    if alias:
        c.bad(path, f"starts with the cluster alias {alias!r} and the separator {separator!r}, so MM2 treats it as "
              f"a remote topic of {alias} (never replicated, mixed with mirrored data)",
              "rename it (e.g. without the prefix); remote topics are created by MM2, not declared", name)
    reason = naming.reserved_reason(name)
    if reason:
        c.bad(path, f"{reason}, so it cannot be a local topic", "choose another name", name)
    longest_alias = max(aliases, key=len, default="")
    remote_length = len(naming.remote_topic(longest_alias, name, separator))
    if remote_length > 249 and len(name) <= 249:
        c.bad(path, f"is too long: its remote name {longest_alias}{separator}<name> would have {remote_length} "
              "characters, Kafka allows 249", f"shorten it to at most {249 - remote_length + len(name)} characters",
              show_value=False)
    body = c.mapping(node)
    partitions = _topic_number(c, body, path, "partitions", defaults.partitions, defaults)
    replication = _topic_number(c, body, path, "replication_factor", defaults.replication_factor, defaults)
    config = {**defaults.config, **_config(c, body.get("config"), path + ("config",))}
    min_isr = config.get("min.insync.replicas")
    if replication is not None and min_isr is not None and int(min_isr) > replication:
        where = path + ("config", "min.insync.replicas") if "min.insync.replicas" in (body.get("config") or {}) else (
            "defaults", "config", "min.insync.replicas")
        c.bad(where, f"is greater than the replication factor {replication} of topic {name!r}, so no write "
              "with acks=all could succeed", f"use a value <= {replication}", min_isr)
    producers = _principals(body.get("producers"))
    consumers = _consumers(body.get("consumers"))
    subjects = _subjects(c, name, body.get("schema"), path + ("schema",), default_compat)
    if len(c.problems) > start or partitions is None or replication is None:
        return None
    return Topic(name, partitions, replication, config, producers, consumers, subjects, body.get("mirror") is not False)


def _topic_number(c: _Checker, body: Mapping[str, Any], path: Path_, key: str, default: int | None,
                  defaults: _Defaults) -> int | None:
    """The topic's own value, else the (already checked) default; an empty value counts as missing."""
    if body.get(key) is not None:
        return c.whole(body, key)
    if key not in defaults.declared:
        c.bad(path + (key,), "is missing", f"add {key}: <n> (or defaults.{key})", show_value=False)
    return default


# Values of the wrong shape were reported (_shape_problems) and are left out, so the rules never see them.
def _principal(value: Any) -> bool:
    return isinstance(value, str) and naming.PRINCIPAL.match(value) is not None


def _principals(node: Any) -> tuple[str, ...]:
    return tuple(p for p in node if _principal(p)) if isinstance(node, list) else ()


def _consumers(node: Any) -> tuple[Consumer, ...]:
    items = node if isinstance(node, list) else []
    return tuple(Consumer(i["principal"], i["group"]) for i in items if isinstance(i, dict)
                 and _principal(i.get("principal")) and _group(i.get("group")))


def _group(value: Any) -> bool:
    return isinstance(value, str) and naming.GROUP.match(value) is not None


def _subjects(
    c: _Checker, topic: str, node: Any, path: Path_, default_compat: str | None
) -> tuple[SubjectSpec, ...]:
    body = c.mapping(node)
    compat = c.choice(body, "compatibility", COMPATIBILITY_LEVELS) or default_compat
    out = []
    for part in ("key", "value"):
        files = body.get(part)
        files = [files] if isinstance(files, str) else files
        if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
            continue  # absent, or of the wrong shape (_shape_problems)
        base_dir = c.merged.file_of(path + (part,)).parent
        versions = []
        for index, rel in enumerate(files):
            where = path + (part,) if len(files) == 1 else path + (part, str(index))
            try:
                schema_type, text = _load_schema(base_dir / rel, rel)
            except SchemaFileError as exc:
                message, sep, fix = str(exc).rpartition("; ")
                if not sep or ")" in fix:
                    message, fix = str(exc), "fix the file"
                c.bad(where, message, fix, show_value=False)
                continue
            versions.append(SchemaVersion(rel, schema_type, text))
        if versions:
            out.append(SubjectSpec(f"{topic}-{part}", tuple(versions), compat))
    return tuple(out)


class _RaiseOnSyntaxError:
    """An ANTLR error listener: the Protobuf parser's default one only prints syntax errors and carries on."""

    def syntaxError(self, recognizer: Any, symbol: Any, line: int, column: int, msg: str, e: Any) -> None:  # noqa: N802
        raise SchemaFileError(f"line {line}, column {column + 1}: {msg}")

    def reportAmbiguity(self, *args: Any) -> None:  # noqa: N802
        pass

    def reportAttemptingFullContext(self, *args: Any) -> None:  # noqa: N802
        pass

    def reportContextSensitivity(self, *args: Any) -> None:  # noqa: N802
        pass


def _strict(recognizer: Any) -> None:
    recognizer.removeErrorListeners()
    recognizer.addErrorListener(_RaiseOnSyntaxError())


def _load_schema(path: Path, shown_as: str) -> tuple[str, str]:
    """`load_schema`, plus what it misses: Protobuf syntax errors, and plain words for fastavro's terse errors."""
    if path.is_file() and schema_type_for(shown_as) == "PROTOBUF":
        try:
            ProtoParser(setup_lexer=_strict, setup_parser=_strict).parse(path.read_text(encoding="utf-8"))
        except SchemaFileError as exc:
            raise SchemaFileError(f"schema file {shown_as!r} is not a valid Protobuf schema ({exc})") from exc
    try:
        return load_schema(path, shown_as)
    except SchemaFileError as exc:
        cause = exc.__cause__
        invalid_avro = f"schema file {shown_as!r} is not a valid Avro schema"
        if isinstance(cause, UnknownType):
            name = cause.name.get("type") if isinstance(cause.name, dict) else cause.name
            raise SchemaFileError(f"{invalid_avro} (unknown type {name!r})") from cause
        if isinstance(cause, KeyError) and schema_type_for(shown_as) == "AVRO":
            raise SchemaFileError(f"{invalid_avro} (missing key {cause})") from cause
        raise
