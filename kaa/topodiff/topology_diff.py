"""Two versions of a topology (a pull request's base and head) compared as a list of changes.

Pure: no Pulumi, no network. A change is a value, `Change(kind, name, action, before, after, cluster, risk)`;
each kind of change puts itself in words (`Kind.describe`) and says which element of the pair's picture it
touches (`Kind.marks`), so the renderers in `diff_render.py` never branch on the kind.

Both versions go through `derive`, so the changes are those of what K1, K2, the registries and the MM2 flows
must hold (ACLs and expected remote topics included), grouped by `cluster`: an alias, `registries` or `mirror`.

A change is risky (its `risk` holds the reason) when it loses data or breaks readers: a topic deleted (a rename
is a delete plus an add: Kafka cannot rename topics), fewer partitions, another replication factor, shorter
retention or another cleanup policy, a schema version removed (or its whole subject), rewritten in place or
incompatible with the versions before it, compatibility switched to NONE, a topic that stops being mirrored, a
source connector renamed. A schema file rewritten without changing the schema (key order, whitespace, comments)
is no change.

Schema compatibility is checked here for Avro only, by the `avro` package's reader/writer checker (the one
Karapace uses; the Avro spec's schema resolution); this module only puts its findings in words, as field paths.
BACKWARD reads the previous version with the new one, FORWARD the new with the previous, FULL both;
*_TRANSITIVE against every earlier version. JSON Schema and Protobuf versions are left to the registries' own
check at apply time.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import avro.schema
from avro.compatibility import (
    ReaderWriterCompatibilityChecker,
    SchemaCompatibilityType,
    lookup_writer_field,
)
from avro.schema import Schema, UnionSchema

from kaa.mirror.mm2_settings import Connector, all_connectors
from kaa.redaction import hide
from kaa.topology import naming
from kaa.topology.derive import ClusterState, derive
from kaa.topology.model import SchemaVersion, SubjectSpec, Topic, Topology
from kaa.topology.schema_files import same_schema

ADD, CHANGE, REMOVE = "add", "change", "remove"
ACTIONS = (REMOVE, CHANGE, ADD)
SYMBOLS = {ADD: "+", CHANGE: "~", REMOVE: "-"}
REGISTRIES, MIRROR = "registries", "mirror"
REGISTRY_DEFAULT_COMPATIBILITY = "BACKWARD"  # what Confluent-API registries use when nothing is set

Value = str | int | None
Code = Callable[[str], str]  # how a renderer quotes a name (plain, or `name` in markdown)
Mark = tuple[str, str, str, str]  # (element, cluster, name, action) in the pair's picture: topic, remote, ...


@dataclass(frozen=True)
class Change:
    """One difference between base and head. `risk` says why it is dangerous, or is None."""

    kind: str
    name: str
    action: str
    before: Value = None
    after: Value = None
    cluster: str = ""
    risk: str | None = None

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.action]

    def describe(self, code: Code = str) -> str:
        return KINDS[self.kind].describe(self, code)

    def marks(self) -> tuple[Mark, ...]:
        return KINDS[self.kind].marks(self)

    def as_dict(self) -> dict[str, Value]:
        return {"kind": self.kind, "name": self.name, "action": self.action, "before": self.before,
                "after": self.after, "cluster": self.cluster, "risk": self.risk, "description": self.describe()}


class Kind:
    """A kind of change: its name, its title in counts, and how a change of it reads."""

    name = ""
    title = ""
    noun = ""

    def describe(self, change: Change, code: Code) -> str:
        what = f"{self.noun} {code(change.name)}"
        if change.action == ADD:
            return f"{what} added" + (f" ({change.after})" if change.after is not None else "")
        if change.action == REMOVE:
            return f"{what} removed" + (f" (was {change.before})" if change.before is not None else "")
        return f"{what}: {change.before} → {change.after}"

    def marks(self, change: Change) -> tuple[Mark, ...]:
        return ()


class TopicKind(Kind):
    name, title, noun = "topic", "topics", "topic"

    def marks(self, change: Change) -> tuple[Mark, ...]:
        return (("topic", change.cluster, change.name, change.action),)


class _TopicPart(Kind):
    """A setting of a topic; `name` is `<topic>/<setting>` for configs, the topic itself otherwise."""

    def topic(self, change: Change) -> str:
        return change.name.split("/", 1)[0]

    def marks(self, change: Change) -> tuple[Mark, ...]:
        return (("topic", change.cluster, self.topic(change), CHANGE),)  # the topic stays, changed

    def describe(self, change: Change, code: Code) -> str:
        return f"{self.noun} of topic {code(change.name)}: {change.before} → {change.after}"


class PartitionsKind(_TopicPart):
    name, title, noun = "partitions", "partitions", "partitions"


class ReplicationFactorKind(_TopicPart):
    name, title, noun = "replication-factor", "replication factors", "replication factor"


class TopicConfigKind(_TopicPart):
    name, title, noun = "topic-config", "topic configs", "config"

    def describe(self, change: Change, code: Code) -> str:
        topic, key = change.name.split("/", 1)
        what = f"config {code(key)} of topic {code(topic)}"
        if change.action == ADD:
            return f"{what} set to {code(str(change.after))}"
        if change.action == REMOVE:
            return f"{what} unset (was {code(str(change.before))}; the broker default applies)"
        return f"{what}: {code(str(change.before))} → {code(str(change.after))}"


class AclKind(Kind):
    name, title, noun = "acl", "ACLs", "ACL"

    def describe(self, change: Change, code: Code) -> str:
        return f"ACL {code(change.name)} " + ("granted" if change.action == ADD else "revoked")


class RemoteTopicKind(Kind):
    name, title, noun = "remote-topic", "expected remote topics", "remote topic"

    def describe(self, change: Change, code: Code) -> str:
        if change.action == ADD:
            return f"remote topic {code(change.name)} expected (MM2 creates it from {change.after})"
        return f"remote topic {code(change.name)} no longer expected (MM2 stops writing it; {change.after})"

    def marks(self, change: Change) -> tuple[Mark, ...]:
        return (("remote", change.cluster, change.name, change.action),)


class SchemaKind(Kind):
    """A subject version; `name` is `<subject> v<n>` (1-based, the registration order)."""

    name, title, noun = "schema", "schema versions", "schema"

    def describe(self, change: Change, code: Code) -> str:
        subject, version = change.name.rsplit(" v", 1)
        what = f"schema {code(subject)} version {version}"
        if change.action == ADD:
            return f"{what} added ({code(str(change.after))})"
        if change.action == REMOVE:
            return f"{what} removed (was {code(str(change.before))})"
        if change.before == change.after:
            return f"{what} rewritten in place ({code(str(change.after))})"
        return f"{what} replaced: {code(str(change.before))} → {code(str(change.after))}"


class CompatibilityKind(Kind):
    name, title, noun = "compatibility", "compatibility levels", "compatibility"

    def describe(self, change: Change, code: Code) -> str:
        return f"compatibility of {code(change.name)}: {change.before} → {change.after}"


class MirrorFlowKind(Kind):
    name, title, noun = "mirror-flow", "mirrored topics", "mirroring"

    def describe(self, change: Change, code: Code) -> str:
        if change.action == ADD:
            return f"topic {code(change.name)} mirrored ({change.after})"
        return f"topic {code(change.name)} no longer mirrored (was {change.before})"

    def marks(self, change: Change) -> tuple[Mark, ...]:
        return (("mirror", "", change.name, CHANGE),)  # both flows change


class ConnectorKind(Kind):
    """An MM2 connector (`name` is its Connect name) or one key of its config (`<connector>/<key>`)."""

    name, title, noun = "connector", "connector settings", "connector"

    def describe(self, change: Change, code: Code) -> str:
        connector, _, key = change.name.partition("/")
        if not key:
            where = change.after if change.action == ADD else change.before
            verb = "added" if change.action == ADD else "removed"
            return f"connector {code(connector)} {verb} ({where})"
        what = f"{code(key)} of connector {code(connector)}"
        if change.action == ADD:
            return f"{what} set to {code(str(change.after))}"
        if change.action == REMOVE:
            return f"{what} unset (was {code(str(change.before))})"
        return f"{what}: {code(str(change.before))} → {code(str(change.after))}"

    def marks(self, change: Change) -> tuple[Mark, ...]:
        return (("connector", "", change.name.partition("/")[0], CHANGE),)


KINDS: dict[str, Kind] = {k.name: k for k in (
    TopicKind(), PartitionsKind(), ReplicationFactorKind(), TopicConfigKind(), AclKind(), RemoteTopicKind(),
    SchemaKind(), CompatibilityKind(), MirrorFlowKind(), ConnectorKind(),
)}
KIND_ORDER = tuple(KINDS)


@dataclass(frozen=True)
class TopologyDiff:
    """The changes from `base` to `head` of one stack, with what the renderers need to title and draw them."""

    stack: str
    base_label: str
    head_label: str
    base: Topology | None
    head: Topology | None
    changes: tuple[Change, ...]

    @property
    def aliases(self) -> tuple[str, ...]:
        seen: list[str] = []
        for topology in (self.head, self.base):
            for alias in topology.aliases if topology else ():
                if alias not in seen:
                    seen.append(alias)
        return tuple(seen)

    @property
    def group_order(self) -> tuple[str, ...]:
        return (*self.aliases, REGISTRIES, MIRROR)

    @property
    def risky(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.risk)

    def groups(self) -> list[tuple[str, tuple[Change, ...]]]:
        """Changes per cluster (aliases, then registries, then mirror), risky ones first in each group."""
        out = []
        for group in self.group_order:
            members = [c for c in self.changes if c.cluster == group]
            if members:
                out.append((group, tuple(sorted(members, key=lambda c: c.risk is None))))
        return out

    def counts(self) -> dict[str, dict[str, int]]:
        """Per kind (in KIND_ORDER, only kinds present), the number of changes per action."""
        out: dict[str, dict[str, int]] = {}
        for kind in KIND_ORDER:
            of_kind = [c for c in self.changes if c.kind == kind]
            if of_kind:
                out[kind] = {action: sum(c.action == action for c in of_kind) for action in (ADD, CHANGE, REMOVE)}
        return out

    def totals(self) -> dict[str, int]:
        return {action: sum(c.action == action for c in self.changes) for action in (ADD, CHANGE, REMOVE)}


def diff_topologies(base: Topology | None, head: Topology | None, stack: str = "",
                    base_label: str = "base", head_label: str = "head") -> TopologyDiff:
    """Compare two versions of a stack (either may be None: a stack added or removed)."""
    changes = changes_between(base, head)
    name = stack or (head.name if head else base.name if base else "")
    return TopologyDiff(name, base_label, head_label, base, head, tuple(changes))


def changes_between(base: Topology | None, head: Topology | None) -> list[Change]:
    base_state = derive(base) if base else {}
    head_state = derive(head) if head else {}
    aliases = list(dict.fromkeys([*head_state, *base_state]))
    changes: list[Change] = []
    for alias in aliases:
        old, new = base_state.get(alias), head_state.get(alias)
        changes += _twins_named(base, _topic_changes(alias, old, new))
        changes += _acl_changes(alias, old, new)
        changes += _remote_topic_changes(alias, old, new, twin_fate(base) if base else "")
    changes += _schema_changes(base, head)
    changes += _mirror_changes(base, head)
    changes += _connector_changes(base, head)
    order = {group: i for i, group in enumerate([*aliases, REGISTRIES, MIRROR])}
    kinds = {kind: i for i, kind in enumerate(KIND_ORDER)}
    return sorted(changes, key=lambda c: (order[c.cluster], kinds[c.kind], c.name, ACTIONS.index(c.action)))


def _by_name(items: Iterable[Any]) -> dict[str, Any]:
    return {item.name: item for item in items}


def _topic_summary(topic: Topic) -> str:
    mirrored = "mirrored" if topic.mirror else "not mirrored"
    return f"{topic.partitions} partitions, replication factor {topic.replication_factor}, {mirrored}"


def _same_shape(a: Topic, b: Topic) -> bool:
    """Whether two topics differ only by name (a rename seen as delete + add)."""
    return (a.partitions, a.replication_factor, dict(a.config), a.producers, a.consumers, a.mirror) == (
        b.partitions, b.replication_factor, dict(b.config), b.producers, b.consumers, b.mirror)


def _topic_changes(alias: str, old: ClusterState | None, new: ClusterState | None) -> list[Change]:
    before = _by_name(old.topics if old else ())
    after = _by_name(new.topics if new else ())
    out = []
    for name in sorted(after.keys() - before.keys()):
        out.append(Change("topic", name, ADD, None, _topic_summary(after[name]), alias))
    for name in sorted(before.keys() - after.keys()):
        twins = [n for n in sorted(after.keys() - before.keys()) if _same_shape(before[name], after[n])]
        rename = f" (it looks renamed to {twins[0]}: Kafka cannot rename a topic, records are not carried over)" \
            if twins else ""
        risk = f"deletes the topic and every record in it on {alias}{rename}"
        out.append(Change("topic", name, REMOVE, _topic_summary(before[name]), None, alias, risk))
    for name in sorted(before.keys() & after.keys()):
        out += _topic_settings(alias, before[name], after[name])
    return out


def _topic_settings(alias: str, old: Topic, new: Topic) -> list[Change]:
    out = []
    if new.partitions != old.partitions:
        risk = (f"Kafka cannot remove partitions: the topic would be deleted and recreated on {alias}, losing "
                "every record" if new.partitions < old.partitions else None)
        out.append(Change("partitions", old.name, CHANGE, old.partitions, new.partitions, alias, risk))
    if new.replication_factor != old.replication_factor:
        risk = (f"every partition's replicas move on {alias} (a reassignment copying all the topic's data, or a "
                "delete and recreate where reassignment is not possible); check min.insync.replicas still fits")
        out.append(Change("replication-factor", old.name, CHANGE, old.replication_factor,
                          new.replication_factor, alias, risk))
    for key in sorted(old.config.keys() | new.config.keys()):
        before, after = old.config.get(key), new.config.get(key)
        if before == after:
            continue
        action = ADD if before is None else REMOVE if after is None else CHANGE
        out.append(Change("topic-config", f"{old.name}/{key}", action, before, after, alias,
                          _config_risk(key, before, after, alias)))
    return out


def _duration(ms: int) -> str:
    if ms < 0:
        return "forever"
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000)):
        if ms >= size and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def _config_risk(key: str, before: str | None, after: str | None, alias: str) -> str | None:
    if key in ("retention.ms", "retention.bytes") and before is not None and after is not None:
        old, new = int(before), int(after)
        if 0 <= new < old or (old < 0 <= new):
            if key == "retention.ms":
                return (f"shorter retention ({_duration(old)} → {_duration(new)}): records older than "
                        f"{_duration(new)} are deleted on {alias}")
            return f"smaller retention.bytes: the oldest records past {new} bytes per partition are deleted on {alias}"
    if key == "cleanup.policy" and before is not None and after is not None:
        return (f"cleanup policy {before} → {after} on {alias}: with delete, old records go by retention; with "
                "compact, only the latest record per key is kept")
    return None


OPERATION_ORDER = ("READ", "WRITE", "CREATE", "DESCRIBE", "DESCRIBE_CONFIGS", "ALTER", "ALTER_CONFIGS")


def _acl_changes(alias: str, old: ClusterState | None, new: ClusterState | None) -> list[Change]:
    """ACL bindings granted or revoked, one change per principal and resource (its operations together)."""
    before = {a.key: a for a in (old.acls if old else ())}
    after = {a.key: a for a in (new.acls if new else ())}
    grouped: dict[tuple[str, str, str, str, str, str], list[str]] = {}
    for action, keys, acls in ((ADD, after.keys() - before.keys(), after),
                               (REMOVE, before.keys() - after.keys(), before)):
        for key in keys:
            acl = acls[key]
            where = (action, acl.permission, acl.principal, acl.resource_type, acl.resource_name, acl.pattern_type)
            grouped.setdefault(where, []).append(acl.operation)
    out = []
    for (action, permission, principal, rtype, resource, pattern), ops in grouped.items():
        ops.sort(key=lambda op: OPERATION_ORDER.index(op) if op in OPERATION_ORDER else len(OPERATION_ORDER))
        shown = "" if pattern == "LITERAL" else f" ({pattern.lower()})"
        name = f"{permission} {principal} {'+'.join(ops)} on {rtype.lower()} {resource}{shown}"
        out.append(Change("acl", name, action, None, None, alias))
    return out


def twin_fate(base: Topology) -> str:
    """What becomes of a remote twin the head no longer expects (components/mirror_flows.py deletes it when the
    stack runs MM2 on Connect; MM2 elsewhere is out of the stack's reach)."""
    if base.mirror.runtime == "connect":
        return "deleted once no flow copies it"
    return (f"it stays: MM2 runs outside the stack ({base.mirror.runtime}); once MM2 runs the new config, "
            f"`scripts/kaa twins --stack {base.name} --yes` deletes it")


def _twins_named(base: Topology | None, changes: list[Change]) -> list[Change]:
    """A deleted mirrored topic's risk names its twin on the other cluster, which goes too (or stays, and how)."""
    if base is None:
        return changes
    mirrored = {t.name for t in base.mirrored_topics}
    out = []
    for c in changes:
        if c.kind == "topic" and c.action == REMOVE and c.name in mirrored and c.cluster:
            twin = naming.remote_topic(c.cluster, c.name, base.mirror.separator)
            c = replace(c, risk=f"{c.risk}; its twin {twin} on {base.other(c.cluster).alias}: {twin_fate(base)}")
        out.append(c)
    return out


def _remote_topic_changes(alias: str, old: ClusterState | None, new: ClusterState | None,
                          fate: str) -> list[Change]:
    before = _by_name(old.remote_topics if old else ())
    after = _by_name(new.remote_topics if new else ())
    out = []
    for name in after.keys() - before.keys():
        remote = after[name]
        out.append(Change("remote-topic", name, ADD, None, f"{remote.source_topic} on {remote.source_alias}", alias))
    for name in before.keys() - after.keys():
        remote = before[name]
        out.append(Change("remote-topic", name, REMOVE, f"{remote.source_topic} on {remote.source_alias}", fate,
                          alias))
    return out


# --- schemas -------------------------------------------------------------------------------------------------

def _subjects(topology: Topology | None) -> dict[str, SubjectSpec]:
    return {s.subject: s for t in (topology.topics if topology else ()) for s in t.subjects}


def _level(topology: Topology | None, subject: SubjectSpec | None) -> str:
    if subject is not None and subject.compatibility:
        return subject.compatibility
    if topology is not None and topology.default_compatibility:
        return topology.default_compatibility
    return REGISTRY_DEFAULT_COMPATIBILITY


def _schema_changes(base: Topology | None, head: Topology | None) -> list[Change]:
    before, after = _subjects(base), _subjects(head)
    out = []
    for subject in sorted(before.keys() | after.keys()):
        old, new = before.get(subject), after.get(subject)
        old_versions = old.versions if old else ()
        new_versions = new.versions if new else ()
        level = _level(head, new)
        if old and new and _level(base, old) != level:
            risk = ("NONE: the registries accept any new version, so an incompatible schema can reach consumers"
                    if level == "NONE" else None)
            out.append(Change("compatibility", subject, CHANGE, _level(base, old), level, REGISTRIES, risk))
        for index in range(max(len(old_versions), len(new_versions))):
            name = f"{subject} v{index + 1}"
            was = old_versions[index] if index < len(old_versions) else None
            now = new_versions[index] if index < len(new_versions) else None
            if now is None and was is not None:
                gone = "the subject and all its versions" if new is None else f"version {index + 1}"
                out.append(Change("schema", name, REMOVE, was.path, None, REGISTRIES,
                                  f"deletes {gone} from both registries: consumers still reading records written "
                                  "with it can no longer decode them"))
                continue
            if now is None or (was is not None and was.schema_type == now.schema_type
                               and same_schema(now.schema_type, was.text, now.text)):
                continue
            risk = None
            if was is not None:
                risk = (f"version {index + 1} is already registered; a registry never changes a registered schema, "
                        "so add a new version instead of rewriting this one")
            problem = _compatibility_problem(new_versions[:index], now, level)
            if problem:
                risk = f"{risk}; {problem}" if risk else problem
            out.append(Change("schema", name, CHANGE if was else ADD, was.path if was else None, now.path,
                              REGISTRIES, risk))
    return out


def _compatibility_problem(earlier: tuple[SchemaVersion, ...], new: SchemaVersion, level: str) -> str | None:
    """Why the registries would refuse `new` after `earlier` (Avro only), or None."""
    if not earlier or level == "NONE" or new.schema_type != "AVRO" or earlier[-1].schema_type != "AVRO":
        return None
    compared = earlier if level.endswith("_TRANSITIVE") else earlier[-1:]
    for position, old in reversed(list(enumerate(compared, start=len(earlier) - len(compared) + 1))):
        if old.schema_type != "AVRO":
            continue
        old_schema, new_schema = json.loads(old.text), json.loads(new.text)
        directions = []
        if level.startswith(("BACKWARD", "FULL")):
            directions.append(("BACKWARD", new_schema, old_schema, "a consumer on the new version cannot read "
                               f"records written with version {position}"))
        if level.startswith(("FORWARD", "FULL")):
            directions.append(("FORWARD", old_schema, new_schema, f"a consumer still on version {position} cannot "
                               "read records written with the new version"))
        for direction, reader, writer, effect in directions:
            problems = avro_read_problems(reader, writer, direction)
            if problems:
                return (f"incompatible with version {position} under {level}: {'; '.join(problems)}, so {effect}; "
                        "the registries will refuse it")
    return None


# --- Avro schema resolution (reader vs writer) ------------------------------------------------------------------

class _Checker(ReaderWriterCompatibilityChecker):
    """The `avro` package's checker (the one Karapace uses), with one change: a writer union's branches are
    checked at the union's own location (the library checks them with none, so a problem inside a union would
    read as at the top level). `*` in a location marks that step into a writer's branch."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._at: list[list[str]] = []

    def calculate_compatibility(self, reader: Schema, writer: Schema, location: list[str]) -> Any:
        self._at.append(location)
        try:
            return super().calculate_compatibility(reader, writer, location)
        finally:
            self._at.pop()

    def get_compatibility(self, reader: Schema, writer: Schema, reference_token: str = "/",
                          location: list[str] | None = None) -> Any:
        if location is None and self._at:
            location, reference_token = self._at[-1], "*"
        return super().get_compatibility(reader, writer, reference_token, location)


def _readable(reader: Schema, writer: Schema) -> bool:
    result = _Checker().get_compatibility(reader, writer)
    return bool(result.compatibility is SchemaCompatibilityType.compatible)


def _type_name(schema: Schema) -> str:
    return "union" if isinstance(schema, UnionSchema) else str(schema.type)


def _describe(reader: Any, writer: Any, location: str, direction: str) -> list[str]:
    """The problems the checker found at `location` (`/fields/1/type/items/...`), in the words of a field path."""
    tokens = [t for t in location.split("/") if t]
    path = ""

    def where() -> str:
        return f"`{path}`" if path else "the top level"

    def changed(old: Schema, new: Schema) -> str:
        old, new = (old, new) if direction == "BACKWARD" else (new, old)
        return f"{where()} changed type from {_type_name(old)} to {_type_name(new)}"

    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "fields":
            field = reader.fields[int(tokens[i + 1])]
            path = f"{path}.{field.name}" if path else str(field.name)
            if i + 2 == len(tokens):
                return [f"field `{path}` added without a default" if direction == "BACKWARD"
                        else f"field `{path}` removed (it has no default in the older version)"]
            match = lookup_writer_field(writer, field)
            reader, writer = field.type, match.type if match is not None else writer
            i += 3  # fields, <index>, type
            continue
        if token == "items":
            reader, writer, path = reader.items, writer.items, f"{path}[]"
        elif token == "values":
            reader, writer, path = reader.values, writer.values, f"{path}{{}}"
        elif token == "*":  # into the writer union's branch the rest of the location is about
            if i + 1 == len(tokens):
                # a branch of the reader's own type has its problems at deeper locations
                return [changed(b, reader) for b in writer.schemas
                        if b.type != reader.type and not _readable(reader, b)]
            writer = next(b for b in writer.schemas if b.type == reader.type)
        elif token.isdigit():  # a writer union's branch that no branch of the reader union reads
            writer = writer.schemas[int(token)]
        elif token == "name":
            return [f"{where()}: type name {writer.fullname} vs {reader.fullname}"]
        elif token == "size":
            return [f"fixed {where()}: size {writer.size} vs {reader.size}"]
        elif token == "symbols":
            missing = [s for s in writer.symbols if s not in reader.symbols]
            verb = "removed" if direction == "BACKWARD" else "added"
            return [f"enum {where()}: symbol {', '.join(missing)} {verb} (the enum has no default)"]
        i += 1
    return [changed(writer, reader)]


def avro_read_problems(reader: Any, writer: Any, direction: str = "BACKWARD") -> list[str]:
    """What stops `reader` from reading data written with `writer` (the `avro` package's checker decides);
    `direction` only words the problems."""
    reader_schema, writer_schema = avro.schema.parse(json.dumps(reader)), avro.schema.parse(json.dumps(writer))
    result = _Checker().get_compatibility(reader_schema, writer_schema)
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    # A merge with a compatible part adds the root location "/" to the others: it names a problem only alone.
    locations = sorted(result.locations - {"/"}) or ["/"]
    return [p for location in locations for p in _describe(reader_schema, writer_schema, location, direction)]


# --- mirroring -------------------------------------------------------------------------------------------------

def _flows_text(topology: Topology) -> str:
    return ", ".join(f"{s}→{t}" for s, t in topology.flows)


def _mirror_changes(base: Topology | None, head: Topology | None) -> list[Change]:
    before = {t.name for t in base.mirrored_topics} if base else set()
    after = {t.name for t in head.mirrored_topics} if head else set()
    kept = {t.name for t in head.topics} if head else set()
    out = []
    for name in after - before:
        assert head is not None
        out.append(Change("mirror-flow", name, ADD, None, _flows_text(head), MIRROR))
    for name in before - after:
        assert base is not None
        risk = None
        if name in kept:
            sep = base.mirror.separator
            remotes = " and ".join(f"{naming.remote_topic(s, name, sep)} on {t}" for s, t in base.flows)
            if base.mirror.runtime == "connect":
                risk = (f"stops being mirrored: {remotes} are deleted with every record in them once the flows "
                        "stop copying, so consumers that fail over to the other cluster lose the mirrored history "
                        "and miss everything written from now on")
            else:
                risk = (f"stops being mirrored: {remotes} get no new records, so consumers that fail over to the "
                        f"other cluster miss everything written from now on; {twin_fate(base)}")
        out.append(Change("mirror-flow", name, REMOVE, _flows_text(base), None, MIRROR, risk))
    return out


def _connector_changes(base: Topology | None, head: Topology | None) -> list[Change]:
    before: dict[str, Connector] = _by_name(all_connectors(base) if base else ())
    after: dict[str, Connector] = _by_name(all_connectors(head) if head else ())
    out = []
    for name in after.keys() - before.keys():
        c = after[name]
        risk = None
        renamed = [b for b in before.values() if (b.kind, b.source, b.target) == (c.kind, c.source, c.target)]
        if c.kind == "source" and renamed and renamed[0].name not in after:
            risk = (f"replaces source connector {renamed[0].name}: Connect keeps offsets per connector name, so "
                    f"the new one copies every mirrored topic from {c.source} to {c.target} again (duplicates)")
        out.append(Change("connector", name, ADD, None, f"{c.source}→{c.target} {c.kind}, on {c.runs_on}'s Connect",
                          MIRROR, risk))
    for name in before.keys() - after.keys():
        c = before[name]
        risk = None
        if c.kind == "source" and base and head and head.mirror.runtime != base.mirror.runtime:
            risk = (f"MM2 moves from {base.mirror.runtime} to {head.mirror.runtime}: the new workers keep their own "
                    f"source offsets, so they copy every mirrored topic from {c.source} to {c.target} again "
                    "(duplicates)")
        out.append(Change("connector", name, REMOVE, f"{c.source}→{c.target} {c.kind}, on {c.runs_on}'s Connect",
                          None, MIRROR, risk))
    for name in before.keys() & after.keys():
        old, new = before[name].config, after[name].config
        for key in sorted(old.keys() | new.keys()):
            if old.get(key) != new.get(key):
                action = ADD if key not in old else REMOVE if key not in new else CHANGE
                out.append(Change("connector", f"{name}/{key}", action, hide(key, old.get(key)),
                                  hide(key, new.get(key)), MIRROR))
    return out
