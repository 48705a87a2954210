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
from kaa.topology.topic_configs import TOPIC_CONFIGS, check_config, normalise_value

# The keys and enumerations come from the stack files' JSON Schema (stacks/topology.schema.json).
TOP_KEYS = stack_schema.keys()
CLUSTER_KEYS = stack_schema.keys("#cluster")
SECURITY_KEYS = stack_schema.keys("#cluster", "security")
SECURITY_FILE_KEYS = ("ssl_truststore", "ssl_client_cert", "ssl_client_key", "http_ca")
TOPIC_KEYS = stack_schema.keys("#topic")
SCHEMA_KEYS = stack_schema.keys("#schema")
CONSUMER_KEYS = stack_schema.keys("#consumer")
DEFAULT_KEYS = stack_schema.keys("defaults")
REGISTRY_KEYS = stack_schema.keys("schema_registry")
SCHEMA_DELETES = stack_schema.enum("schema_registry", "delete")
SCHEMA_IDS = stack_schema.enum("schema_registry", "ids")
MIRROR_KEYS = stack_schema.keys("#mirror")
PROTOCOLS = stack_schema.enum("#cluster", "security", "protocol")
SASL_MECHANISMS = stack_schema.enum("#cluster", "security", "sasl_mechanism")
ENVIRONMENTS = stack_schema.enum("environment")

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

    def file_of(self, path: Path_) -> Path:
        for end in range(len(path), -1, -1):
            if path[:end] in self.origins:
                return self.origins[path[:end]]
        return next(iter(self.origins.values()))


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
    parent: dict[str, Any] = {}
    extends = document.get("extends")
    if extends is not None:
        if not isinstance(extends, str):
            merged.problems.append(
                f"{show_path(file)}: extends: must be a file name (got {extends!r}); write extends: base.yaml"
            )
        else:
            parent = _read_chain((file.parent / extends).resolve(), merged, chain + (file,))
    own = {k: v for k, v in document.items() if k != "extends"}
    _record(merged.origins, own, (), file)
    return _deep_merge(parent, own)


class _Checker:
    """Collects problems while building the model; each `bad(...)` call is one line of the final error."""

    def __init__(self, merged: _Merged):
        self.merged = merged
        self.problems = merged.problems

    def bad(self, path: Path_, message: str, fix: str, value: Any = None, show_value: bool = True) -> None:
        got = f" (got {value!r})" if show_value else ""
        self.problems.append(f"{show_path(self.merged.file_of(path))}: {key_path(path)}: {message}{got}; {fix}")

    def keys(self, node: Any, path: Path_, allowed: tuple[str, ...]) -> dict[str, Any]:
        if node is None:
            return {}
        if not isinstance(node, dict):
            self.bad(path, "must be a mapping", f"use keys from: {', '.join(allowed)}", node)
            return {}
        for key in node:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                fix = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
                self.bad(path + (str(key),), "unknown key", fix, show_value=False)
        return node

    def whole(self, node: Mapping[str, Any], key: str, path: Path_, default: int | None, minimum: int) -> int | None:
        value = node.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.bad(path + (key,), "must be a whole number", f"use a whole number >= {minimum}", value)
            return None
        if value < minimum:
            self.bad(path + (key,), f"must be at least {minimum}", f"use a whole number >= {minimum}", value)
            return None
        return value

    def text(self, node: Mapping[str, Any], key: str, path: Path_, required: bool = True) -> str | None:
        value = node.get(key)
        if value is None:
            if required:
                self.bad(path + (key,), "is missing", f"add {key}: <value>", show_value=False)
            return None
        if not isinstance(value, str) or not value:
            self.bad(path + (key,), "must be a non-empty string", "quote the value", value)
            return None
        return value

    def choice(self, node: Mapping[str, Any], key: str, path: Path_, allowed: tuple[str, ...]) -> str | None:
        value = node.get(key)
        if value is None:
            return None
        if value not in allowed:
            self.bad(path + (key,), "is not allowed", f"use one of {', '.join(allowed)}", value)
            return None
        return str(value)


def load_topology(stack_file: str | Path, name: str | None = None) -> Topology:
    """Load, merge, validate and build a stack's topology. Raises SpecError with every problem found."""
    file = Path(stack_file).resolve()
    merged = _Merged(data={})
    merged.data = _read_chain(file, merged, ())
    if merged.problems:
        raise SpecError(merged.problems)
    topology = _build(_Checker(merged), file, name or file.stem)
    if merged.problems:
        raise SpecError(merged.problems)
    assert topology is not None
    return topology


def _build(c: _Checker, file: Path, name: str) -> Topology | None:
    doc = c.keys(c.merged.data, (), TOP_KEYS)
    mirror = _mirror(c, doc.get("mirror"))
    clusters = _clusters(c, doc.get("clusters"), mirror.separator)
    aliases = tuple(cl.alias for cl in clusters)
    defaults = _defaults(c, doc.get("defaults"))
    registry = c.keys(doc.get("schema_registry"), ("schema_registry",), REGISTRY_KEYS)
    default_compat = c.choice(registry, "compatibility", ("schema_registry",), COMPATIBILITY_LEVELS)
    schema_delete = c.choice(registry, "delete", ("schema_registry",), SCHEMA_DELETES) or "soft"
    schema_ids = c.choice(registry, "ids", ("schema_registry",), SCHEMA_IDS) or "sequential"
    environment = c.choice(doc, "environment", (), ENVIRONMENTS) or (name if name in ENVIRONMENTS else "dev")
    labels = doc.get("labels") or {}
    if not isinstance(labels, dict):
        c.bad(("labels",), "must be a mapping of label names to values", "use {team: platform}", labels)
        labels = {}
    topics_node = doc.get("topics")
    if not isinstance(topics_node, dict) or not topics_node:
        c.bad(("topics",), "must map at least one topic name to its settings", "add topics: {orders: {partitions: 6}}",
              topics_node)
        topics_node = {}
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
    body = c.keys(node, ("defaults",), DEFAULT_KEYS)
    return _Defaults(
        declared=frozenset(k for k in ("partitions", "replication_factor") if body.get(k) is not None),
        partitions=c.whole(body, "partitions", ("defaults",), None, 1),
        replication_factor=c.whole(body, "replication_factor", ("defaults",), None, 1),
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
    body = c.keys(node, ("mirror",), MIRROR_KEYS)
    base = MirrorSettings()
    values: dict[str, Any] = {}
    for f in fields(MirrorSettings):
        if f.name not in body:
            continue
        default = getattr(base, f.name)
        path = ("mirror", f.name)
        if f.name in ("principal",):
            principal = c.text(body, f.name, ("mirror",))
            if principal and not naming.PRINCIPAL.match(principal):
                c.bad(path, "is not a principal", 'write it as "User:<name>"', principal)
            elif principal:
                values[f.name] = principal
        elif f.name == "separator":
            sep = c.text(body, f.name, ("mirror",))
            if sep:
                values[f.name] = sep
        elif f.name == "name_prefix":
            prefix = c.text(body, f.name, ("mirror",))
            if prefix and not naming.LEGAL_ALIAS.match(prefix):
                c.bad(path, "is not usable in connector names", "use letters, digits, _ or -", prefix)
            elif prefix:
                values[f.name] = prefix
        elif f.name in ("runtime", "profile"):
            choice = c.choice(body, f.name, ("mirror",), MIRROR_RUNTIMES if f.name == "runtime" else MIRROR_PROFILES)
            if choice:
                values[f.name] = choice
        elif f.name == "extra_topics_exclude":
            items = body[f.name]
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                c.bad(path, "must be a list of regular expressions", 'use ["audit-.*"]', items)
            else:
                values[f.name] = tuple(items)
        elif isinstance(default, bool):
            if not isinstance(body[f.name], bool):
                c.bad(path, "must be true or false", "write true or false", body[f.name])
            else:
                values[f.name] = body[f.name]
        else:
            number = c.whole(body, f.name, ("mirror",), None, 1)
            if number is not None:
                values[f.name] = number
    return MirrorSettings(**values)


def _clusters(c: _Checker, node: Any, separator: str) -> list[Cluster]:
    if not isinstance(node, dict) or len(node) != 2:
        count = len(node) if isinstance(node, dict) else 0
        got = ", ".join(map(str, node)) if isinstance(node, dict) else node
        c.bad(("clusters",), f"must name exactly two clusters, found {count}",
              "declare two aliases, e.g. K1 and K2, each with bootstrap_servers, schema_registry, connect", got)
        if not isinstance(node, dict):
            return []
    out = []
    for alias, body in node.items():
        alias = str(alias)
        path = ("clusters", alias)
        if separator in alias:
            c.bad(path, f"alias contains the replication separator {separator!r}",
                  "rename the alias without it (e.g. K1); MM2 would misparse remote topic names", alias)
        elif not naming.LEGAL_ALIAS.match(alias):
            c.bad(path, "alias has characters MM2 cannot use", "use letters, digits, _ or -", alias)
        body = c.keys(body, path, CLUSTER_KEYS)
        servers = body.get("bootstrap_servers")
        if isinstance(servers, str):
            servers = [s.strip() for s in servers.split(",")]
        if servers is None:
            c.bad(path + ("bootstrap_servers",), "is missing", 'add bootstrap_servers: ["broker-1:9092"]',
                  show_value=False)
            servers = []
        elif not isinstance(servers, list) or not servers or not all(
            isinstance(s, str) and ":" in s for s in servers
        ):
            c.bad(path + ("bootstrap_servers",), "must be a list of host:port", 'use ["broker-1:9092"]', servers)
            servers = []
        registry = c.text(body, "schema_registry", path)
        connect = c.text(body, "connect", path)
        for key, url in (("schema_registry", registry), ("connect", connect)):
            if url and not url.startswith(("http://", "https://")):
                c.bad(path + (key,), "must be an http(s) URL", "write http://host:port", url)
        sec = c.keys(body.get("security"), path + ("security",), SECURITY_KEYS)
        protocol = c.choice(sec, "protocol", path + ("security",), PROTOCOLS) or "PLAINTEXT"
        mechanism = c.choice(sec, "sasl_mechanism", path + ("security",), SASL_MECHANISMS)
        if protocol.startswith("SASL_") and mechanism is None and "sasl_mechanism" not in sec:
            c.bad(path + ("security", "sasl_mechanism"), f"is required with {protocol}",
                  f"add sasl_mechanism: one of {', '.join(SASL_MECHANISMS)}", show_value=False)
        files = {key: _file_path(c, sec, key, path + ("security",)) for key in SECURITY_FILE_KEYS}
        if (files["ssl_client_cert"] is None) != (files["ssl_client_key"] is None):
            c.bad(path + ("security",), "ssl_client_cert and ssl_client_key go together",
                  "set both (the mTLS client certificate and its key) or neither", show_value=False)
        if files["ssl_client_cert"] and protocol not in ("SSL", "SASL_SSL"):
            c.bad(path + ("security", "protocol"), "must be SSL or SASL_SSL with a client certificate",
                  "set protocol: SSL (mTLS) or SASL_SSL", protocol)
        security = Security(protocol=protocol, sasl_mechanism=mechanism, **files)
        out.append(Cluster(alias, tuple(servers), registry or "", connect or "", security))
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
    if node is None:
        return {}
    if not isinstance(node, dict):
        c.bad(path, "must be a mapping of topic config names to values", 'use {retention.ms: "604800000"}', node)
        return {}
    out = {}
    for key, raw in node.items():
        where = path + (str(key),)
        if raw is None or isinstance(raw, dict):
            c.bad(where, "must be a string, number or boolean", 'write a value, e.g. "604800000"', raw)
            continue
        value = normalise_value(raw)
        kind = TOPIC_CONFIGS.get(str(key))
        if kind is not None and not kind.check(value):
            enumerated = kind.description.startswith(("one of", "a comma-separated list of"))
            c.bad(where, "is not allowed" if enumerated else "has the wrong type", f"use {kind.description}", raw)
            continue
        problem = check_config(str(key), value)
        if problem:
            message, _, fix = problem.rpartition("; ")
            c.bad(where, message, fix, show_value=False)
        else:
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
    body = c.keys(node if node is not None else {}, path, TOPIC_KEYS)
    partitions = _topic_number(c, body, path, "partitions", defaults.partitions, defaults)
    replication = _topic_number(c, body, path, "replication_factor", defaults.replication_factor, defaults)
    c.text(body, "description", path, required=False)
    config = {**defaults.config, **_config(c, body.get("config"), path + ("config",))}
    min_isr = config.get("min.insync.replicas")
    if replication is not None and min_isr is not None and int(min_isr) > replication:
        where = path + ("config", "min.insync.replicas") if "min.insync.replicas" in (body.get("config") or {}) else (
            "defaults", "config", "min.insync.replicas")
        c.bad(where, f"is greater than the replication factor {replication} of topic {name!r}, so no write "
              "with acks=all could succeed", f"use a value <= {replication}", min_isr)
    producers = _principals(c, body.get("producers"), path + ("producers",))
    consumers = _consumers(c, body.get("consumers"), path + ("consumers",))
    subjects = _subjects(c, name, body.get("schema"), path + ("schema",), default_compat)
    mirror = body.get("mirror", True)
    if not isinstance(mirror, bool):
        c.bad(path + ("mirror",), "must be true or false", "write true or false", mirror)
    if len(c.problems) > start or partitions is None or replication is None:
        return None
    return Topic(name, partitions, replication, config, producers, consumers, subjects, bool(mirror))


def _topic_number(c: _Checker, body: Mapping[str, Any], path: Path_, key: str, default: int | None,
                  defaults: _Defaults) -> int | None:
    """The topic's own value, else the (already checked) default; an empty value counts as missing."""
    if body.get(key) is not None:
        return c.whole(body, key, path, None, 1)
    if key not in defaults.declared:
        c.bad(path + (key,), "is missing", f"add {key}: <n> (or defaults.{key})", show_value=False)
    return default


def _principals(c: _Checker, node: Any, path: Path_) -> tuple[str, ...]:
    if node is None:
        return ()
    if not isinstance(node, list):
        c.bad(path, "must be a list of principals", 'use ["User:orders-svc"]', node)
        return ()
    seen: list[str] = []
    for index, principal in enumerate(node):
        where = path + (str(index),)
        if not isinstance(principal, str) or not naming.PRINCIPAL.match(principal):
            c.bad(where, "is not a principal", 'write it as "User:<name>" (no wildcard)', principal)
        elif principal in seen:
            c.bad(where, "duplicate principal", "list each principal once", principal)
        else:
            seen.append(principal)
    return tuple(seen)


def _consumers(c: _Checker, node: Any, path: Path_) -> tuple[Consumer, ...]:
    if node is None:
        return ()
    if not isinstance(node, list):
        c.bad(path, "must be a list of {principal, group}", 'use [{principal: "User:billing", group: billing}]', node)
        return ()
    out: list[Consumer] = []
    for index, item in enumerate(node):
        where = path + (str(index),)
        body = c.keys(item, where, CONSUMER_KEYS)
        principal, group = body.get("principal"), body.get("group")
        ok = True
        if principal is None:
            c.bad(where + ("principal",), "is missing", 'add principal: "User:<name>"', show_value=False)
            ok = False
        elif not isinstance(principal, str) or not naming.PRINCIPAL.match(principal):
            c.bad(where + ("principal",), "is not a principal", 'write it as "User:<name>" (no wildcard)', principal)
            ok = False
        if group is None:
            c.bad(where + ("group",), "is missing", "add group: <consumer group name>", show_value=False)
            ok = False
        elif not isinstance(group, str) or not naming.GROUP.match(group):
            c.bad(where + ("group",), "is not a consumer group name", "use 1-249 of a-z A-Z 0-9 . _ -", group)
            ok = False
        if ok:
            consumer = Consumer(str(principal), str(group))
            if consumer in out:
                c.bad(where, "duplicate consumer", "list each principal/group pair once", f"{principal}/{group}")
            else:
                out.append(consumer)
    return tuple(out)


def _subjects(
    c: _Checker, topic: str, node: Any, path: Path_, default_compat: str | None
) -> tuple[SubjectSpec, ...]:
    if node is None:
        return ()
    body = c.keys(node, path, SCHEMA_KEYS)
    compat = c.choice(body, "compatibility", path, COMPATIBILITY_LEVELS) or default_compat
    out = []
    for part in ("key", "value"):
        files = body.get(part)
        if files is None:
            continue
        files = [files] if isinstance(files, str) else files
        if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
            c.bad(path + (part,), "must be a schema file or a list of them (oldest first)",
                  "use schemas/<name>.avsc|.json|.proto", files)
            continue
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
