"""The pair's policies as plain functions `(args, report_violation)` over a `StackView`.

Each check reports one line per problem, naming the cluster, the resource and the fix; the urn it passes lets the
engine print which resource broke the rule. Values the engine cannot know during a preview are skipped.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kaa.topology import naming
from policy.context import PolicyContext
from policy.resources import (
    ACL_SET,
    PROVIDER,
    SCRAM,
    AclRes,
    ConnectorRes,
    ProviderRes,
    StackView,
    TopicRes,
    decode,
    known,
)

Report = Callable[..., None]  # report_violation(message, urn=None)

DEFAULT_POLICY = "org.apache.kafka.connect.mirror.DefaultReplicationPolicy"
IDENTITY_POLICY = "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"
MM2_DEFAULT_TOPICS = ".*"
MM2_DEFAULT_EXCLUDE = r".*[\-\.]internal, .*\.replica, __.*"  # MirrorSourceConfig's default topics.exclude
FLOW_KINDS = ("source", "checkpoint", "heartbeat")
MIN_REPLICATION_FACTOR = 3
MIN_INSYNC_REPLICAS = 2
# The resources that hold the admin settings of a cluster to remove what MM2 made there (both layouts).
MM2_TOPIC_TYPES = (":MirrorLeftovers", ":MirrorTwinGuard", ":MirrorTwinReaper")
# MM2's replication factors and their defaults when a connector does not set them (Kafka 4.1).
MM2_REPLICATION_KEYS = {
    "source": {"replication.factor": 2, "offset-syncs.topic.replication.factor": 3},
    "checkpoint": {"checkpoints.topic.replication.factor": 3},
    "heartbeat": {"heartbeats.topic.replication.factor": 3},
}
PLAINTEXT_PROTOCOLS = ("PLAINTEXT", "SASL_PLAINTEXT")


@dataclass(frozen=True)
class CheckArgs:
    view: StackView
    context: PolicyContext = field(default_factory=PolicyContext)


def num(value: Any) -> Any:
    """Numbers arrive as floats over the wire (6.0) or as strings in configs ("2"): compare them as ints."""
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        return value
    return int(as_float) if as_float.is_integer() else as_float


def _pair(view: StackView) -> tuple[str, str] | None:
    return (view.aliases[0], view.aliases[1]) if len(view.aliases) == 2 else None


# --- prefixes -----------------------------------------------------------------------------------------------
def prefixes(args: CheckArgs, report: Report) -> None:
    """No local topic named like a remote topic (`<alias><sep>x`) or like an MM2/Connect/registry internal topic;
    remote topics are MM2's and never Pulumi resources."""
    view = args.view
    sep = view.separator
    aliases = tuple(dict.fromkeys((*args.context.aliases, *view.aliases)))
    local = {t.name for t in view.topics if naming.remote_prefix_alias(t.name, aliases, sep) is None}
    for topic in view.topics:
        reason = naming.reserved_reason(topic.name)
        if reason:
            report(f"topic {topic.name!r} on {topic.alias} {reason}: MM2, Connect or the registry own such names "
                   "and MM2 skips or mixes them; rename the local topic", topic.urn)
            continue
        alias = naming.remote_prefix_alias(topic.name, aliases, sep)
        if alias is None:
            continue
        source = topic.name[len(alias) + len(sep):]
        if source in local and alias != topic.alias:
            report(f"topic {topic.name!r} on {topic.alias} is MM2's remote copy of {alias}'s {source!r} and is "
                   "declared as a Pulumi resource: MM2 creates remote topics and syncs their partitions and "
                   "configs; remove the resource (the toolkit only expects remote topics)", topic.urn)
        else:
            report(f"topic {topic.name!r} on {topic.alias} starts with the cluster alias {alias!r} and the "
                   f"separator {sep!r}, so MM2 treats it as a remote topic of {alias} (never replicated, mixed "
                   "with mirrored data); rename it without the prefix", topic.urn)


# --- parity ---------------------------------------------------------------------------------------------------
def canonical_name(name: str, own: str, other: str, sep: str) -> str:
    """A resource name with the aliases abstracted: `K2.orders` on K1 and `K1.orders` on K2 are the same. The
    dedicated MM2 worker's group and topics (`K2-mm2`, `mm2-configs.K2.internal`) are named by MirrorMaker with
    '-' and '.' whatever the separator, so they are recognised whole."""
    swap = {own: "<local>", other: "<remote>"}
    for alias, tag in swap.items():
        worker_topics = naming.mm2_worker_topics(alias)
        if name in worker_topics:
            return naming.mm2_worker_topics(tag)[worker_topics.index(name)]
        if name == naming.mm2_worker_group(alias):
            return naming.mm2_worker_group(tag)
    return sep.join(swap.get(part, part) for part in name.split(sep))


def parity(args: CheckArgs, report: Report) -> None:
    """Both clusters carry the same local topics (partitions, replication factor, config), the same ACLs modulo
    the alias of remote topics, and both registries the same subjects, versions and compatibility."""
    view = args.view
    if not (view.topics or view.acls or view.subjects):
        return
    pair = _pair(view)
    if pair is None:
        report(f"the stack's resources belong to {len(view.aliases)} cluster(s) {list(view.aliases)}: an "
               "active-active pair declares the same topics, ACLs and schemas on exactly two clusters")
        return
    _topic_parity(view, *pair, report)
    _acl_parity(view, *pair, report)
    _registry_parity(view, *pair, report)


def _show(value: Any) -> str:
    return "unset" if value is None else repr(str(num(value)))


def _topic_parity(view: StackView, a: str, b: str, report: Report) -> None:
    on_a, on_b = view.topics_on(a), view.topics_on(b)
    for name in sorted(on_a.keys() | on_b.keys()):
        x, y = on_a.get(name), on_b.get(name)
        if x is None or y is None:
            have = x or y
            assert have is not None
            missing = b if have.alias == a else a
            report(f"topic {name!r} exists on {have.alias} only: every local topic must exist on both clusters "
                   f"with the same settings (clients failing over to {missing} produce and consume it there); "
                   f"declare it on {missing} too", have.urn)
            continue
        diffs = [f"{label} {num(u)} on {a} vs {num(v)} on {b}"
                 for label, u, v in (("partitions", x.partitions, y.partitions),
                                     ("replication factor", x.replication_factor, y.replication_factor))
                 if known(u, v) and num(u) != num(v)]
        for key in sorted(x.config.keys() | y.config.keys()):
            u, v = x.config.get(key), y.config.get(key)
            if known(u, v) and (None if u is None else str(num(u))) != (None if v is None else str(num(v))):
                diffs.append(f"config {key} {_show(u)} on {a} vs {_show(v)} on {b}")
        if diffs:
            report(f"topic {name!r} differs between {a} and {b}: {'; '.join(diffs)}; both clusters must hold the "
                   "same topic so clients behave the same after a failover", y.urn)


def _acl_parity(view: StackView, a: str, b: str, report: Report) -> None:
    sep = view.separator

    def keyed(alias: str, other: str) -> dict[tuple[str, ...], AclRes]:
        return {acl.key(lambda n: canonical_name(n, alias, other, sep)): acl for acl in view.acls_on(alias)}

    on_a, on_b = keyed(a, b), keyed(b, a)
    literal = {alias: {acl.key() for acl in view.acls_on(alias)} for alias in (a, b)}
    for here, there, mine, theirs in ((a, b, on_a, on_b), (b, a, on_b, on_a)):
        for key in sorted(mine.keys() - theirs.keys()):
            acl = mine[key]
            if acl.key() in literal[there]:
                continue  # the same binding word for word (on a name with an alias: topic-prefixes' business)
            twin = canonical_name(acl.resource_name, here, there, sep).replace(
                "<local>", there).replace("<remote>", here)
            report(f"ACL '{acl.describe()}' on {here} has no counterpart on {there} (expected it on "
                   f"{twin!r}): both clusters must grant the same access so clients and MM2 keep working after a "
                   "failover", acl.urn)


def _schemas_key(schemas: Any) -> list[tuple[str, str]] | None:
    if not known(schemas) or not isinstance(schemas, list | tuple):
        return None
    return [(str(s.get("schemaType", "AVRO")), str(s.get("schema", "")).strip()) for s in schemas
            if isinstance(s, Mapping)]


def _registry_parity(view: StackView, a: str, b: str, report: Report) -> None:
    on_a = {s.subject: s for s in view.subjects if s.label == a}
    on_b = {s.subject: s for s in view.subjects if s.label == b}
    for subject in sorted(on_a.keys() | on_b.keys()):
        x, y = on_a.get(subject), on_b.get(subject)
        if x is None or y is None:
            have = x or y
            assert have is not None
            missing = b if have.label == a else a
            report(f"subject {subject!r} is registered in {have.label}'s registry only: MM2 copies the schema ID in "
                   f"each record, so {missing}'s registry must hold the same subject with the same IDs; declare it "
                   "for both registries", have.urn)
            continue
        sx, sy = _schemas_key(x.schemas), _schemas_key(y.schemas)
        if sx is not None and sy is not None and sx != sy:
            first = next((i for i, (u, v) in enumerate(zip(sx, sy, strict=False)) if u != v), min(len(sx), len(sy)))
            report(f"subject {subject!r} has different versions in the two registries ({len(sx)} in {a}'s, "
                   f"{len(sy)} in {b}'s, first difference at version {first + 1}): the same versions in the same "
                   "order give the same IDs on both sides", y.urn)
        if known(x.compatibility, y.compatibility) and x.compatibility != y.compatibility:
            report(f"subject {subject!r} has compatibility {x.compatibility or 'registry default'} in {a}'s "
                   f"registry and {y.compatibility or 'registry default'} in {b}'s: a version accepted on one side "
                   "could be refused on the other", y.urn)


# --- mirroring ------------------------------------------------------------------------------------------------
def _patterns(value: Any) -> re.Pattern[str] | None:
    """MM2's topic filters: a comma-separated list of regexes, matched against the whole name."""
    parts = [p.strip() for p in str(value).split(",") if p.strip()]
    if not parts:
        return None
    try:
        return re.compile("|".join(f"(?:{p})" for p in parts))
    except re.error:
        return None


def mirrors(connector: ConnectorRes, topic: str) -> bool:
    """Would this source connector copy `topic` (its `topics` and `topics.exclude`, MM2's defaults if unset)?"""
    include = _patterns(connector.config.get("topics", MM2_DEFAULT_TOPICS))
    exclude = _patterns(connector.config.get("topics.exclude", MM2_DEFAULT_EXCLUDE))
    return bool(include and include.fullmatch(topic)) and not (exclude and exclude.fullmatch(topic))


def excluded(connector: ConnectorRes, topic: str) -> bool:
    exclude = _patterns(connector.config.get("topics.exclude", MM2_DEFAULT_EXCLUDE))
    return bool(exclude and exclude.fullmatch(topic))


def internal_topics(aliases: Iterable[str], sep: str) -> list[str]:
    """Topics of MM2, Connect, Kafka and the registry that must never be mirrored."""
    out = ["_schemas", "connect-configs", "connect-offsets", "connect-status", "__consumer_offsets"]
    for alias in aliases:
        out += [naming.offset_syncs_topic(alias, sep), naming.checkpoints_topic(alias, sep),
                naming.mm2_worker_topics(alias)[0]]
    return out


def source_connectors(view: StackView, source: str, target: str) -> list[ConnectorRes]:
    return [c for c in view.connectors if c.kind == "source" and c.source == source and c.target == target]


def mirrored_topics(view: StackView, context: PolicyContext, source: str, target: str) -> set[str]:
    """The local topics of `source` that the flow source->target copies (all but opt-outs when unknown)."""
    local = view.topics_on(source)
    connectors = [c for c in source_connectors(view, source, target) if c.config_known]
    if not connectors:
        return {n for n in local if n not in context.not_mirrored}
    return {n for n in local if any(mirrors(c, n) for c in connectors)}


def mirroring(args: CheckArgs, report: Report) -> None:
    """Both MM2 flows exist, use DefaultReplicationPolicy with one separator, run on the Connect of their target,
    exclude internal topics and copy every local topic that did not opt out (`mirror: false`)."""
    view, context = args.view, args.context
    pair = _pair(view)
    if pair is None:
        return
    for source, target in (pair, pair[::-1]):
        kinds = {c.kind for c in view.connectors if c.source == source and c.target == target}
        missing = [k for k in FLOW_KINDS if k not in kinds]
        if missing:
            report(f"MM2 flow {source}->{target} has no {', '.join(missing)} connector: active-active needs both "
                   f"flows complete (records, consumer offsets and heartbeats from {source} to {target})")
    for c in view.connectors:
        _check_connector(c, context, report)
    if len(view.separators) > 1:
        report(f"the MM2 connectors use different separators {sorted(view.separators)}: remote topic names, and "
               "which topics MM2 treats as remote, must be the same in both directions")
    if not context.connect_urls:
        targets_by_url: dict[str, set[str]] = {}
        for c in view.connectors:
            if known(c.url) and c.target:
                targets_by_url.setdefault(str(c.url).rstrip("/"), set()).add(c.target)
        for url, targets in sorted(targets_by_url.items()):
            if len(targets) > 1:
                report(f"connectors of both flows ({' and '.join(sorted(targets))} as targets) run on the same "
                       f"Connect {url}: each flow runs on the Connect cluster of its target")
    internals = internal_topics(pair, view.separator)
    for c in view.connectors:
        if c.kind not in ("source", "checkpoint") or not c.config_known:
            continue
        leaked = [t for t in internals if mirrors(c, t)]
        loose = [t for t in internals if t not in leaked and not excluded(c, t)]
        if leaked:
            report(f"connector {c.name} would mirror internal topics {leaked}: registry, Connect and MM2 topics "
                   "must stay on their cluster; narrow `topics` and add them to topics.exclude", c.urn)
        elif loose:
            report(f"connector {c.name}'s topics.exclude does not exclude {loose}: a wider `topics` list would "
                   "mirror them; exclude registry, Connect and MM2 internal topics explicitly", c.urn)
    for source, target in (pair, pair[::-1]):
        connectors = [c for c in source_connectors(view, source, target) if c.config_known]
        if not connectors:
            continue
        for name, topic in sorted(view.topics_on(source).items()):
            if name in context.not_mirrored or any(mirrors(c, name) for c in connectors):
                continue
            report(f"local topic {name!r} on {source} is not mirrored to {target} (not in the topics of "
                   f"{', '.join(c.name for c in connectors)}): clients failing over to {target} would miss its "
                   "data; add it to the flow, or set `mirror: false` on the topic to opt out", topic.urn)
    _mm2_grants(view, context, pair, report)


MM2_SOURCE_OPERATIONS = ("READ", "DESCRIBE")  # what MM2 needs on a mirrored local topic of its source
MM2_TARGET_OPERATIONS = ("CREATE", "WRITE", "DESCRIBE")  # ... and on the remote topic it makes on its target


def mm2_allowed(acls: list[AclRes], principals: set[str], operation: str, topic: str) -> bool:
    """An ALLOW binding of MM2's principal covers `topic` for `operation` and no DENY (its own or `User:*`'s)
    takes it back: Kafka lets DENY win."""
    allowed = any(a.principal in principals and a.grants(operation) and a.covers_topic(topic) for a in acls)
    denied = any(a.permission == "DENY" and a.principal in principals | {"User:*"} and a.operation in (operation, "ALL")
                 and a.covers_topic(topic) for a in acls)
    return allowed and not denied


def _mm2_grants(view: StackView, context: PolicyContext, pair: tuple[str, str], report: Report) -> None:
    """MM2's principal may read each mirrored topic on its source and create and write its remote copy on the
    target (a PREFIXED grant on `<source><sep>` declared LITERAL covers no remote topic)."""
    principals, sep = mm2_principals(view, context), view.separator
    if not principals:
        return
    for source, target in (pair, pair[::-1]):
        on_source, on_target = view.acls_on(source), view.acls_on(target)
        for name in sorted(mirrored_topics(view, context, source, target)):
            remote = naming.remote_topic(source, name, sep)
            for alias, acls, topic, operations in ((source, on_source, name, MM2_SOURCE_OPERATIONS),
                                                   (target, on_target, remote, MM2_TARGET_OPERATIONS)):
                missing = [op for op in operations if not mm2_allowed(acls, principals, op, topic)]
                if missing:
                    report(f"MM2's principal {', '.join(sorted(principals))} may not {'/'.join(missing)} topic "
                           f"{topic!r} on {alias}: the flow {source}->{target} could not replicate {name!r}; "
                           "grant them (the derived MM2 ACLs do)")


def _check_connector(c: ConnectorRes, context: PolicyContext, report: Report) -> None:
    policy = c.config.get("replication.policy.class", DEFAULT_POLICY)
    if known(policy) and policy != DEFAULT_POLICY:
        why = ("keeps topic names, so each flow would copy the other's copies back (a loop) and local and mirrored "
               "records mix" if policy == IDENTITY_POLICY else "is not the policy the toolkit's naming assumes")
        report(f"connector {c.name} uses {policy}, which {why}; use {DEFAULT_POLICY}", c.urn)
    if c.target and c.label and c.label != c.target:
        report(f"connector {c.name} of flow {c.source}->{c.target} runs on {c.label}'s Connect: each flow runs on "
               f"the Connect cluster of its target ({c.target}), which produces locally and consumes remotely", c.urn)
    expected = context.connect_urls.get(c.target or "")
    if expected and known(c.url) and str(c.url).rstrip("/") != expected.rstrip("/"):
        report(f"connector {c.name} of flow {c.source}->{c.target} is sent to {c.url}, not to {c.target}'s Connect "
               f"({expected}): each flow runs on the Connect cluster of its target", c.urn)


# --- consumers ------------------------------------------------------------------------------------------------
def mm2_principals(view: StackView, context: PolicyContext) -> set[str]:
    return view.mm2_principals | ({context.mm2_principal} if context.mm2_principal else set())


def remote_alias_of_grant(acl: AclRes, aliases: Iterable[str], sep: str) -> str | None:
    """The alias whose remote topics this TOPIC binding covers (a literal remote name, a prefix, or `*`)."""
    for alias in aliases:
        prefix = f"{alias}{sep}"
        if acl.resource_name == "*" and acl.pattern in ("LITERAL", "MATCH"):
            return alias
        if acl.pattern == "PREFIXED" and (acl.resource_name.startswith(prefix) or prefix.startswith(acl.resource_name)):
            return alias
        if acl.pattern == "LITERAL" and acl.resource_name.startswith(prefix):
            return alias
    return None


def consumers(args: CheckArgs, report: Report) -> None:
    """Every principal that may read a mirrored local topic may read its remote twin on the same cluster (so it
    keeps reading after a failover); producers never get WRITE on remote topics (MM2 alone writes them)."""
    view, context = args.view, args.context
    pair = _pair(view)
    if pair is None:
        return
    sep, mm2 = view.separator, mm2_principals(view, context)
    for alias in pair:
        other = view.other(alias)
        assert other is not None
        acls = view.acls_on(alias)
        twins = mirrored_topics(view, context, other, alias)
        for acl in acls:
            if (acl.principal in mm2 or acl.resource_type != "TOPIC" or acl.pattern != "LITERAL"
                    or not acl.grants("READ") or acl.resource_name not in twins
                    or naming.remote_prefix_alias(acl.resource_name, pair, sep)):  # named like a remote topic
                continue
            remote = naming.remote_topic(other, acl.resource_name, sep)
            if not any(b.principal == acl.principal and b.grants("READ") and b.covers_topic(remote) for b in acls):
                report(f"{acl.principal} may read {acl.resource_name!r} on {alias} but not its remote twin "
                       f"{remote!r} there: after a failover to {alias} it could not read what {other}'s producers "
                       f"wrote; grant READ on {remote!r} on {alias}", acl.urn)
        for acl in acls:
            if acl.principal in mm2 or acl.resource_type != "TOPIC" or not acl.grants("WRITE"):
                continue
            source = remote_alias_of_grant(acl, (other,), sep)
            if source:
                report(f"{acl.principal} may WRITE {acl.resource_name!r} ({acl.pattern.lower()}) on {alias}, "
                       f"which covers remote topics of {source}: producers write only local topics (records "
                       "written to a remote topic mix with mirrored ones and never reach the other cluster)",
                       acl.urn)


# --- durability -----------------------------------------------------------------------------------------------
def durability(args: CheckArgs, report: Report) -> None:
    """Replication factor >= 3, 2 <= min.insync.replicas < replication factor, no unclean leader election, and
    MM2's producers with acks=all and idempotence (enforced in prod)."""
    for topic in args.view.topics:
        _topic_durability(topic, report)
    for c in args.view.connectors:
        if c.config_known:
            _connector_durability(c, report)


def _topic_durability(topic: TopicRes, report: Report) -> None:
    where = f"topic {topic.name!r} on {topic.alias}"
    rf = num(topic.replication_factor)
    if topic.replication_factor is None:
        report(f"{where} does not set its replication factor (the broker default applies); set it to at least "
               f"{MIN_REPLICATION_FACTOR}", topic.urn)
    elif known(rf) and isinstance(rf, int) and rf < MIN_REPLICATION_FACTOR:
        report(f"{where} has replication factor {rf}: losing a broker loses data or availability; use at least "
               f"{MIN_REPLICATION_FACTOR}", topic.urn)
    isr = topic.config.get("min.insync.replicas")
    if isr is None:
        report(f"{where} does not set min.insync.replicas (broker default 1): an acks=all write is then "
               f"acknowledged by a single replica; set it to {MIN_INSYNC_REPLICAS} (below the replication factor)",
               topic.urn)
    elif known(isr):
        value = num(isr)
        if isinstance(value, int) and value < MIN_INSYNC_REPLICAS:
            report(f"{where} has min.insync.replicas {value}: an acks=all write is acknowledged by a single "
                   f"replica; set it to at least {MIN_INSYNC_REPLICAS}", topic.urn)
        elif isinstance(value, int) and isinstance(rf, int) and value >= rf:
            report(f"{where} has min.insync.replicas {value} >= replication factor {rf}: one broker down stops "
                   "every acks=all producer; keep it below the replication factor", topic.urn)
    unclean = topic.config.get("unclean.leader.election.enable")
    if known(unclean) and str(unclean).lower() == "true":
        report(f"{where} enables unclean leader election: an out-of-sync replica can become leader and drop "
               "acknowledged writes; set unclean.leader.election.enable=false", topic.urn)


def _connector_durability(c: ConnectorRes, report: Report) -> None:
    acks = c.config.get("producer.override.acks")
    if acks is None or (known(acks) and str(acks).lower() not in ("all", "-1")):
        shown = "does not set producer.override.acks" if acks is None else f"has producer.override.acks={acks}"
        report(f"connector {c.name} {shown}: MM2 must write to the target with acks=all, or a broker failure "
               "loses mirrored records", c.urn)
    idempotence = c.config.get("producer.override.enable.idempotence")
    if idempotence is None or (known(idempotence) and str(idempotence).lower() != "true"):
        report(f"connector {c.name} does not enable producer.override.enable.idempotence: retries would write "
               "duplicates to the target", c.urn)
    for key, default in MM2_REPLICATION_KEYS.get(c.kind or "", {}).items():
        value = num(c.config.get(key, default))
        if isinstance(value, int) and 0 < value < MIN_REPLICATION_FACTOR:
            shown = f"{key}={value}" if key in c.config else f"no {key} (MM2 default {default})"
            report(f"connector {c.name} has {shown}: the topics MM2 creates need a replication factor of at least "
                   f"{MIN_REPLICATION_FACTOR}", c.urn)


# --- security -------------------------------------------------------------------------------------------------
def wildcard_principal(principal: str) -> bool:
    return principal.strip() in ("*", "User:*") or principal.endswith(":*")


def security(args: CheckArgs, report: Report) -> None:
    """No wildcard principal and no `*` host that widens a wildcard grant; no plaintext listener or REST API;
    producers never auto-register schemas: the toolkit is the only registry writer (enforced in prod)."""
    view, context = args.view, args.context
    for acl in view.acls:
        _acl_security(acl, report)
    for provider in view.providers:
        _provider_security(provider, report)
    for c in view.connectors:
        if not c.config_known:
            continue
        clear = {key: value for key in ("source.cluster.security.protocol", "target.cluster.security.protocol",
                                        "producer.override.security.protocol")
                 if (value := c.config.get(key, None if key.startswith("producer") else "PLAINTEXT"))
                 in PLAINTEXT_PROTOCOLS}
        if clear:
            shown = ", ".join(f"{k}={v}" for k, v in clear.items())
            report(f"connector {c.name} connects in clear text ({shown}): MM2's credentials and records cross the "
                   "network unencrypted; use SASL_SSL", c.urn)
    seen: set[str] = set()
    for label, url, urn, what in [*((s.label, s.url, s.urn, "schema registry") for s in view.subjects),
                                  *((c.label, c.url, c.urn, "Kafka Connect") for c in view.connectors)]:
        if known(url) and str(url).startswith("http://") and str(url) not in seen:
            seen.add(str(url))
            report(f"{label}'s {what} is reached over plain http ({url}): credentials and schemas cross the "
                   "network unencrypted; use https", urn)
    _schema_writers(view, context, report)


def _acl_security(acl: AclRes, report: Report) -> None:
    if acl.permission != "ALLOW":
        return
    if wildcard_principal(acl.principal):
        report(f"ACL '{acl.describe()}' on {acl.alias} grants to a wildcard principal: every authenticated user "
               "gets it; name the principal", acl.urn)
    elif acl.host == "*" and ((acl.resource_name == "*" and acl.pattern in ("LITERAL", "MATCH"))
                              or acl.operation == "ALL"):
        what = "ALL operations" if acl.operation == "ALL" else "every resource of its type"
        report(f"ACL '{acl.describe()}' on {acl.alias} grants {what} from any host (`*`): a leaked credential "
               "opens the whole cluster; grant named operations on named resources", acl.urn)


def _provider_security(provider: ProviderRes, report: Report) -> None:
    tls = decode(provider.props.get("tlsEnabled"))
    if not known(tls) or tls is True:
        return
    protocol = "SASL_PLAINTEXT" if provider.props.get("saslMechanism") else "PLAINTEXT"
    report(f"the kafka provider of {provider.alias} connects with {protocol} (tls_enabled is not true): the "
           "admin credentials and every request cross the network unencrypted; use SASL_SSL", provider.urn)


def _schema_writers(view: StackView, context: PolicyContext, report: Report) -> None:
    """Producers whose topic has no value schema declared would register one themselves (auto.register.schemas):
    each registry then hands out its own ID and mirrored records fail to decode on the other side."""
    mm2 = mm2_principals(view, context)
    registries = sorted({s.label for s in view.subjects} | set(view.aliases))
    subjects = {(s.label, s.subject) for s in view.subjects}
    for alias in view.aliases:
        topics = view.topics_on(alias)
        writers: dict[str, set[str]] = {}
        for acl in view.acls_on(alias):
            if (acl.principal not in mm2 and acl.resource_type == "TOPIC" and acl.pattern == "LITERAL"
                    and acl.grants("WRITE") and acl.resource_name in topics):
                writers.setdefault(acl.resource_name, set()).add(acl.principal)
        for name, principals in sorted(writers.items()):
            missing = [r for r in registries if (r, f"{name}-value") not in subjects]
            if missing:
                report(f"producers of {name!r} on {alias} ({', '.join(sorted(principals))}) have no value schema "
                       f"the toolkit registers (subject {name}-value missing in {', '.join(missing)}'s registry): "
                       "their serializers would auto-register one, with a different ID in each registry; declare "
                       f"topics.{name}.schema.value in the stack file and run producers with "
                       "auto.register.schemas=false", topics[name].urn)


# --- secrets --------------------------------------------------------------------------------------------------
def secret_credentials(args: CheckArgs, report: Report) -> None:
    """Passwords reach Pulumi only as secrets (encrypted in the state, masked in output)."""
    view = args.view
    for provider in view.providers:
        password = provider.props.get("saslPassword")
        if password not in (None, "") and "saslPassword" not in provider.secret_paths:
            report(f"the kafka provider of {provider.alias} gets its SASL password as plain text: it would be "
                   "stored unencrypted in the state; pass it from a secret (pulumi config set --secret)",
                   provider.urn)
    for res in view.resources:
        if res.type == SCRAM and res.props.get("password") not in (None, "") and "password" not in res.secret_paths:
            report(f"the SCRAM credential {res.name} gets its password as plain text; pass it from a secret",
                   res.urn)
        if res.type != PROVIDER and res.props.get("auth") not in (None, "") and "auth" not in res.secret_paths:
            report(f"{res.name} gets its HTTP credentials (auth) as plain text; pass them from a secret", res.urn)
        connection = res.props.get("connection")
        if (res.is_dynamic(ACL_SET) and isinstance(connection, Mapping) and "connection" not in res.secret_paths
                and any(connection.get(k) for k in ("sasl.password", "ssl.key.password"))):
            report(f"the ACL set {res.name} gets the cluster's admin password as plain text (connection); make it "
                   "a secret output so the state encrypts it", res.urn)
        config = res.props.get("config")
        if (res.type.endswith(":MirrorConnector") and isinstance(config, Mapping) and "config" not in res.secret_paths
                and any("password" in str(v) for k, v in config.items() if k.endswith("jaas.config"))):
            report(f"connector {res.name}'s config holds MM2's password and is not a secret; make it a secret "
                   "output so the state encrypts it", res.urn)
        kafka = res.props.get("kafka")
        if (res.type.endswith(MM2_TOPIC_TYPES) and isinstance(kafka, Mapping) and kafka.get("sasl.password")
                and "kafka" not in res.secret_paths):
            report(f"{res.name} gets the admin password of {res.props.get('label')} as plain text; pass it from a "
                   "secret", res.urn)
