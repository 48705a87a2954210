"""A typed, pure view of the resources a policy sees: topics, ACLs, subjects, connectors and providers per cluster.

Built from plain resource dicts (the engine's outputs, or test fixtures), with no Pulumi import. Values the engine
cannot know during a preview are `UNKNOWN`; checks skip them instead of guessing.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kaa.topology.acls import Acl

TOPIC = "kafka:index/topic:Topic"
ACL = "kafka:index/acl:Acl"  # one binding per resource (pulumi_kafka; the components' layout before ACL sets)
ACL_SET = "AclSet"  # every binding of one principal on one cluster (components/providers/acl_set.py)
SCRAM = "kafka:index/userScramCredential:UserScramCredential"
PROVIDER = "pulumi:providers:kafka"
DYNAMIC = "pulumi-python:dynamic"
SUBJECT = "SchemaSubject"  # one subject per resource (the components' layout before the pass owned its subjects)
SUBJECT_SET = "SchemaRegistrationPass"  # every subject of one registry (components/providers/schema_pass.py)
CONNECTOR = "MirrorConnector"
CONNECTOR_KINDS = {
    "org.apache.kafka.connect.mirror.MirrorSourceConnector": "source",
    "org.apache.kafka.connect.mirror.MirrorCheckpointConnector": "checkpoint",
    "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector": "heartbeat",
}
JAAS_USER = re.compile(r'username="([^"]+)"')


class _Unknown:
    """A value the engine will only know after the update (an output of another resource)."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN: Any = _Unknown()

# Pulumi's wire format for property values (sdk/go/common/resource/properties.go): a secret is a map with the
# signature key set to SECRET_SIG, a value unknown during a preview is the string UNKNOWN_WIRE.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def known(*values: Any) -> bool:
    return not any(v is UNKNOWN for v in values)


@dataclass(frozen=True)
class Res:
    """One resource as the engine reports it: its outputs (`props`), its provider, and which props are secrets."""

    urn: str
    type: str
    props: Mapping[str, Any]
    provider_urn: str | None = None
    provider_props: Mapping[str, Any] | None = None  # the provider's inputs, as the engine passes them
    secret_paths: frozenset[str] = frozenset()  # top-level props that are Pulumi secrets
    provider_secret_paths: frozenset[str] = frozenset()
    provider_type: str = PROVIDER

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    def is_dynamic(self, kind: str) -> bool:
        return self.type.startswith(DYNAMIC) and self.type.endswith(f":{kind}")


@dataclass(frozen=True)
class TopicRes:
    alias: str
    name: str
    partitions: Any
    replication_factor: Any
    config: Mapping[str, Any]
    urn: str


@dataclass(frozen=True)
class AclRes:
    alias: str
    principal: str
    host: str
    operation: str  # READ, WRITE, DESCRIBE_CONFIGS, ALL ... (Kafka's names)
    permission: str  # ALLOW | DENY
    resource_type: str  # TOPIC | GROUP | CLUSTER ...
    pattern: str  # LITERAL | PREFIXED | MATCH ...
    resource_name: str
    urn: str

    def key(self, normalise: Any = None) -> tuple[str, ...]:
        name = normalise(self.resource_name) if normalise else self.resource_name
        return (self.principal, self.host, self.operation, self.permission, self.resource_type, self.pattern, name)

    def describe(self) -> str:
        pattern = "" if self.pattern == "LITERAL" else f" ({self.pattern.lower()})"
        host = "" if self.host == "*" else f" from {self.host}"
        return (f"{self.permission} {self.principal} {self.operation} on {self.resource_type.lower()} "
                f"{self.resource_name}{pattern}{host}")

    def covers_topic(self, topic: str) -> bool:
        """Does this binding's resource pattern match `topic`?"""
        if self.resource_type != "TOPIC":
            return False
        if self.resource_name == "*":
            return self.pattern in ("LITERAL", "MATCH")
        if self.pattern == "PREFIXED":
            return topic.startswith(self.resource_name)
        return self.resource_name == topic

    def grants(self, *operations: str) -> bool:
        return self.permission == "ALLOW" and (self.operation in operations or self.operation == "ALL")


@dataclass(frozen=True)
class SubjectRes:
    label: str  # the alias whose registry holds it
    subject: str
    schemas: Any  # [{"schema": text, "schemaType": ...}] in registration order
    compatibility: Any
    url: str
    urn: str


@dataclass(frozen=True)
class ConnectorRes:
    label: str  # the alias whose Connect cluster runs it
    url: Any
    name: str
    config: Mapping[str, Any]  # empty when the engine cannot know it yet (`config_known` False)
    urn: str
    flow: str = ""  # "K1->K2"
    config_known: bool = True

    @property
    def kind(self) -> str | None:
        cls = self.config.get("connector.class")
        if isinstance(cls, str):
            return CONNECTOR_KINDS.get(cls)
        suffix = self.name.rsplit("-", 1)[-1]
        return suffix if suffix in CONNECTOR_KINDS.values() else None

    def _side(self, index: int, key: str) -> str | None:
        value = self.config.get(key)
        if isinstance(value, str):
            return value
        parts = self.flow.split("->")
        return parts[index] if len(parts) == 2 else None

    @property
    def source(self) -> str | None:
        return self._side(0, "source.cluster.alias")

    @property
    def target(self) -> str | None:
        return self._side(1, "target.cluster.alias")


@dataclass(frozen=True)
class ProviderRes:
    alias: str
    urn: str
    props: Mapping[str, Any]
    secret_paths: frozenset[str]

    @property
    def bootstrap_servers(self) -> tuple[str, ...]:
        value = decode(self.props.get("bootstrapServers"))
        if isinstance(value, str):
            value = value.split(",")
        return tuple(sorted(str(v) for v in value)) if isinstance(value, list | tuple) else ()


def decode(value: Any) -> Any:
    """Provider inputs travel JSON-encoded (`'["a:9092"]'`, `'false'`); other props as themselves."""
    if isinstance(value, str) and (value[:1] in ("[", "{") or value in ("true", "false")):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _upper(value: Any) -> str:
    """Pulumi's `DescribeConfigs`/`Prefixed` -> Kafka's `DESCRIBE_CONFIGS`/`PREFIXED`."""
    text = str(value or "")
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", text).upper()


@dataclass(frozen=True)
class StackView:
    """Everything the checks need, grouped by cluster alias."""

    resources: tuple[Res, ...]
    providers: tuple[ProviderRes, ...] = ()
    topics: tuple[TopicRes, ...] = ()
    acls: tuple[AclRes, ...] = ()
    subjects: tuple[SubjectRes, ...] = ()
    connectors: tuple[ConnectorRes, ...] = ()
    scram_users: tuple[str, ...] = ()
    aliases: tuple[str, ...] = field(default=())

    def topics_on(self, alias: str) -> dict[str, TopicRes]:
        return {t.name: t for t in self.topics if t.alias == alias}

    def acls_on(self, alias: str) -> list[AclRes]:
        return [a for a in self.acls if a.alias == alias]

    def other(self, alias: str) -> str | None:
        others = [a for a in self.aliases if a != alias]
        return others[0] if len(others) == 1 else None

    @property
    def separators(self) -> set[str]:
        return {str(c.config.get("replication.policy.separator", ".")) for c in self.connectors
                if known(c.config.get("replication.policy.separator", "."))}

    @property
    def separator(self) -> str:
        seps = self.separators
        return seps.pop() if len(seps) == 1 else "."

    @property
    def mm2_principals(self) -> set[str]:
        """Principals MM2 runs as: the SCRAM users the stack creates and the users in the connectors' JAAS."""
        out = {f"User:{u}" for u in self.scram_users}
        for connector in self.connectors:
            for key, value in connector.config.items():
                if key.endswith("sasl.jaas.config") and isinstance(value, str):
                    out.update(f"User:{m}" for m in JAAS_USER.findall(value))
        return out


def _provider_alias(res: Res, known_aliases: Sequence[str], bootstrap_by_alias: Mapping[str, tuple[str, ...]]) -> str:
    provider = ProviderRes("", res.urn, res.props, res.secret_paths)
    for alias, servers in bootstrap_by_alias.items():
        if servers and provider.bootstrap_servers == servers:
            return alias
    for alias in sorted(known_aliases, key=len, reverse=True):
        if res.name.endswith(f"-{alias}-provider") or res.name == alias:
            return alias
    return res.name.removesuffix("-provider").rsplit("-", 1)[-1]


def set_bindings(res: Res) -> list[AclRes]:
    """An ACL set's bindings (`Acl.code` lines), each pointing at the set (its `label` is the cluster's alias);
    none while the engine cannot know them yet."""
    bindings, principal = res.props.get("bindings"), res.props.get("principal")
    if not known(bindings, principal) or not isinstance(bindings, Mapping):
        return []
    alias, out = str(res.props.get("label", "")), []
    for code in bindings.values():
        if not known(code):
            continue
        acl = Acl.from_code(str(principal), str(code))
        out.append(AclRes(alias, acl.principal, acl.host, acl.operation, acl.permission, acl.resource_type,
                          acl.pattern_type, acl.resource_name, res.urn))
    return out


def _set_subjects(res: Res) -> list[SubjectRes]:
    """The subjects of a registry's pass, each as its own `SubjectRes` (the pass's URN); none while unknown."""
    listed = res.props.get("subjects")
    if not known(listed) or not isinstance(listed, list | tuple):
        return []
    label, url = str(res.props.get("label", "")), str(res.props.get("url", ""))
    return [SubjectRes(label, str(s.get("subject", "")), s.get("schemas"), s.get("compatibility"), url, res.urn)
            for s in listed if isinstance(s, Mapping)]


def build_view(resources: Iterable[Res], aliases: Sequence[str] = ()) -> StackView:
    """Group the resources by cluster. `aliases` are the ones the stack declares, when known."""
    resources = tuple(resources)
    connectors = tuple(
        ConnectorRes(str(r.props.get("label", "")), r.props.get("url"), str(r.props.get("name", r.name)),
                     dict(r.props.get("config") or {}) if known(r.props.get("config")) else {}, r.urn,
                     str(r.props.get("flow") or ""), known(r.props.get("config")))
        for r in resources if r.is_dynamic(CONNECTOR)
    )
    subjects = tuple(
        SubjectRes(str(r.props.get("label", "")), str(r.props.get("subject", "")), r.props.get("schemas"),
                   r.props.get("compatibility"), str(r.props.get("url", "")), r.urn)
        for r in resources if r.is_dynamic(SUBJECT)
    ) + tuple(s for r in resources if r.is_dynamic(SUBJECT_SET) for s in _set_subjects(r))
    found = [a for c in connectors for a in (c.source, c.target) if isinstance(a, str)]
    found += [s.label for s in subjects if s.label]
    known_aliases = tuple(dict.fromkeys([*aliases, *sorted(set(found))]))
    bootstrap_by_alias: dict[str, tuple[str, ...]] = {}
    for c in connectors:
        for side in ("source", "target"):
            alias, servers = c.config.get(f"{side}.cluster.alias"), c.config.get(f"{side}.cluster.bootstrap.servers")
            if isinstance(alias, str) and isinstance(servers, str):
                bootstrap_by_alias[alias] = tuple(sorted(servers.split(",")))
    # A provider is seen as a resource (its outputs) and through each resource that uses it (its inputs); a prop
    # is a secret when either view says so.
    seen: dict[str, Res] = {r.urn: r for r in resources if r.type == PROVIDER}
    for r in resources:
        if r.provider_urn and r.provider_props is not None and r.provider_type == PROVIDER:
            own = seen.get(r.provider_urn)
            seen[r.provider_urn] = Res(
                r.provider_urn, PROVIDER, own.props if own else r.provider_props,
                secret_paths=(own.secret_paths if own else frozenset()) | r.provider_secret_paths,
            )
    providers = {
        urn: ProviderRes(_provider_alias(r, known_aliases, bootstrap_by_alias), urn, r.props, r.secret_paths)
        for urn, r in seen.items()
    }

    def alias_of(r: Res) -> str:
        if r.provider_urn and r.provider_urn in providers:
            return providers[r.provider_urn].alias
        return r.provider_urn.rsplit("::", 1)[-1] if r.provider_urn else "default"

    topics = tuple(
        TopicRes(alias_of(r), str(r.props.get("name", "")), r.props.get("partitions"),
                 r.props.get("replicationFactor"),
                 dict(r.props.get("config") or {}) if known(r.props.get("config")) else {}, r.urn)
        for r in resources if r.type == TOPIC and known(r.props.get("name"))
    )
    acls = tuple(
        AclRes(alias_of(r), str(r.props.get("aclPrincipal", "")), str(r.props.get("aclHost", "*")),
               _upper(r.props.get("aclOperation")), _upper(r.props.get("aclPermissionType") or "Allow"),
               _upper(r.props.get("aclResourceType")), _upper(r.props.get("resourcePatternTypeFilter") or "Literal"),
               str(r.props.get("aclResourceName", "")), r.urn)
        for r in resources if r.type == ACL
    ) + tuple(acl for r in resources if r.is_dynamic(ACL_SET) for acl in set_bindings(r))
    scram = tuple(str(r.props["username"]) for r in resources if r.type == SCRAM and known(r.props.get("username"))
                  and r.props.get("username"))
    cluster_aliases = [*known_aliases, *sorted({p.alias for p in providers.values()} | {t.alias for t in topics}
                                               | {a.alias for a in acls})]
    return StackView(resources, tuple(providers.values()), topics, acls, subjects, connectors, scram,
                     tuple(dict.fromkeys(a for a in cluster_aliases if a)))
