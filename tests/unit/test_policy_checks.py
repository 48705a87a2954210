"""The policy pack's checks as plain functions: for each, a compliant stack, violations and missing properties,
with a fake reporter; then the pack inside the SDK's own servicer (secrets, environment-dependent levels).

Resources are what the components register for the shipped topologies under Pulumi's mocks (types, names, props
as the engine passes them; tests/component_capture.py), so the compliant case is the real `prod` stack as declared.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from components.kafka_cluster import slug
from kaa.topology.acls import Acl
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology
from policy import checks
from policy.checks import CheckArgs
from policy.context import PolicyContext, StackInfo, context_for, environment_of_stack_name
from policy.destructive import DestructiveArgs, ProbeError, Probes, destructive_changes
from policy.live import client_settings, resources_of_deployment
from policy.resources import PROVIDER, SCRAM, TOPIC, UNKNOWN, ProviderRes, Res, build_view
from policy.resources import _upper as upper
from tests.component_capture import as_policy_resources, registered

ROOT = Path(__file__).resolve().parents[2]
CONNECTOR = "pulumi-python:dynamic/kafka-aa:MirrorConnector"
ACL_SET_TYPE = "pulumi-python:dynamic/kafka-aa:AclSet"


class FakeReporter:
    """Collects report_violation(message, urn) calls."""

    def __init__(self) -> None:
        self.violations: list[tuple[str, str | None]] = []

    def __call__(self, message: str, urn: str | None = None) -> None:
        self.violations.append((message, urn))

    @property
    def messages(self) -> list[str]:
        return [m for m, _ in self.violations]

    def by_name(self) -> dict[str | None, list[str]]:
        out: dict[str | None, list[str]] = {}
        for message, urn in self.violations:
            out.setdefault(urn.rsplit("::", 1)[-1] if urn else None, []).append(message)
        return out

    def names(self) -> list[str]:
        """The resource names the violations point at (None for the stack)."""
        return [u.rsplit("::", 1)[-1] if u else None for _, u in self.violations]  # type: ignore[misc]


# --- resources as the components register them -----------------------------------------------------------
def pair_resources(topology: Topology) -> list[Res]:
    """What `ActiveActivePair("pair", ...)` really registers for `topology` (captured under Pulumi's mocks), with
    props as the engine passes them and secrets marked: the checks run on the components' own output."""
    return as_policy_resources(registered(topology))


SUBJECT_NAME = re.compile(r"^(pair-K\d-schemas)-(?!pass$)(.+)$")


def subject_of(name: str) -> tuple[str, str] | None:
    """`pair-K1-schemas-orders-value` -> (its registry's pass, the subject): a subject is an entry of the pass."""
    found = SUBJECT_NAME.match(name)
    return (f"{found[1]}-pass", found[2]) if found else None


def named(resources: list[Res], name: str) -> Res:
    """The resource `name`, or for a subject its registry's pass (which holds it)."""
    where = subject_of(name)
    return next(r for r in resources if r.name == (where[0] if where else name))


def edit(resources: list[Res], name: str, change: Callable[[dict[str, Any]], None]) -> list[Res]:
    """A copy of the resources with `name`'s props (for a subject: its entry in the pass) changed by `change`
    (a name that is not there fails)."""
    where = subject_of(name)
    target = where[0] if where else name
    assert any(r.name == target for r in resources), f"no resource {target}"
    out = []
    for r in resources:
        if r.name == target:
            props = json.loads(json.dumps(r.props))
            if where:
                entries = [e for e in props["subjects"] if e["subject"] == where[1]]
                assert entries, f"no subject {where[1]} in {target}"
                change(entries[0])
            else:
                change(props)
            r = replace(r, props=props)
        out.append(r)
    return out


def edit_config(resources: list[Res], name: str, **config: Any) -> list[Res]:
    """Set (or with None remove) config keys of a topic or connector."""
    def change(props: dict[str, Any]) -> None:
        for key, value in config.items():
            if value is None:
                props["config"].pop(key, None)
            else:
                props["config"][key] = value
    return edit(resources, name, change)


def without(resources: list[Res], *names: str) -> list[Res]:
    """The resources without `names`; a subject's name drops that subject from its registry's pass."""
    out = [r for r in resources if r.name not in names]
    for name in names:
        where = subject_of(name)
        if where:
            out = edit(out, where[0], lambda p, s=where[1]: p.update(
                subjects=[e for e in p["subjects"] if e["subject"] != s]))
    return out


def add_topic(resources: list[Res], alias: str, topic: str, like: str = "orders") -> list[Res]:
    model = named(resources, f"pair-{alias}-topic-{like}")
    extra = replace(model, urn=model.urn.rsplit("::", 1)[0] + f"::pair-{alias}-topic-{topic}",
                    props={**model.props, "name": topic})
    return [*resources, extra]


def set_name(alias: str, principal: str) -> str:
    """The Pulumi name of `principal`'s ACL set on `alias` (as components/kafka_cluster.py names it)."""
    return f"pair-{alias}-acls-{slug(principal.split(':', 1)[-1])}"


def _set_of(resources: list[Res], alias: str, principal: str) -> tuple[list[Res], str]:
    """The resources, with an (empty) ACL set for `principal` on `alias` added when there is none."""
    name = set_name(alias, principal)
    if any(r.name == name for r in resources):
        return resources, name
    model = next(r for r in resources if r.type == ACL_SET_TYPE and r.props["label"] == alias)
    extra = replace(model, urn=model.urn.rsplit("::", 1)[0] + f"::{name}",
                    props={**model.props, "principal": principal, "bindings": {}})
    return [*resources, extra], name


def add_acl(resources: list[Res], alias: str, principal: str, operation: str, name: str,
            pattern: str = "Literal", host: str = "*", rtype: str = "Topic", permission: str = "Allow") -> list[Res]:
    """A binding added to `principal`'s ACL set on `alias` (a new set when the principal has none)."""
    acl = Acl(principal, upper(rtype), upper(pattern), name, upper(operation), host, upper(permission))
    resources, target = _set_of(resources, alias, principal)
    return edit(resources, target, lambda p: p["bindings"].update({acl.binding: acl.code()}))


def without_acl(resources: list[Res], alias: str, principal: str, operation: str, name: str,
                rtype: str = "TOPIC", pattern: str = "LITERAL") -> list[Res]:
    """`principal`'s ACL set on `alias` without one binding (a binding that is not there fails)."""
    key = Acl(principal, rtype, pattern, name, operation).binding

    def drop(props: dict[str, Any]) -> None:
        assert key in props["bindings"], f"no binding {key!r} in {set_name(alias, principal)}"
        del props["bindings"][key]

    return edit(resources, set_name(alias, principal), drop)


def edit_bindings(resources: list[Res], change: Callable[[Acl], Acl]) -> list[Res]:
    """Every binding of every ACL set changed by `change`."""
    out = []
    for r in resources:
        if r.type == ACL_SET_TYPE:
            changed = [change(Acl.from_code(r.props["principal"], code)) for code in r.props["bindings"].values()]
            r = replace(r, props={**r.props, "bindings": {a.binding: a.code() for a in changed}})
        out.append(r)
    return out


def plain_acl(resources: list[Res], alias: str, name: str, **props: Any) -> list[Res]:
    """A `pulumi_kafka.Acl` resource (one binding, the provider's property names) beside the stack's ACL sets."""
    topic = named(resources, f"pair-{alias}-topic-orders")
    urn = topic.urn.replace(f"kafka:index/topic:Topic::pair-{alias}-topic-orders", f"kafka:index/acl:Acl::{name}")
    return [*resources, replace(topic, urn=urn, type="kafka:index/acl:Acl", props=props)]


def run(check: Callable[[CheckArgs, Any], None], resources: list[Res], context: PolicyContext) -> FakeReporter:
    report = FakeReporter()
    check(CheckArgs(build_view(resources, context.aliases), context), report)
    return report


@pytest.fixture(scope="module")
def prod_ctx() -> PolicyContext:
    return context_for(StackInfo(stack="prod", project="kafka-active-active"))


@pytest.fixture(scope="module")
def local_ctx() -> PolicyContext:
    return context_for(StackInfo(stack="local", project="kafka-active-active"))


# Captured once, when pytest imports this module: a capture runs the components under Pulumi's mocks (~1.5 s),
# and a mutation run (make mutation) forks its mutants after collecting the tests, so they all share it.
CAPTURED = {name: pair_resources(load_topology(ROOT / "stacks" / f"{name}.yaml", name=name))
            for name in ("prod", "local")}


@pytest.fixture(scope="module")
def prod_res() -> list[Res]:
    return CAPTURED["prod"]


@pytest.fixture(scope="module")
def local_res() -> list[Res]:
    return CAPTURED["local"]


ALL_CHECKS = [checks.prefixes, checks.parity, checks.mirroring, checks.consumers, checks.durability,
              checks.security, checks.secret_credentials]


# --- the shipped stacks -------------------------------------------------------------------------------------
@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_the_prod_stack_complies_with_every_check(check, prod_res, prod_ctx):
    assert run(check, prod_res, prod_ctx).violations == []


@pytest.mark.parametrize("check", [c for c in ALL_CHECKS if c not in (checks.durability, checks.security)],
                         ids=lambda c: c.__name__)
def test_the_local_stack_complies_with_every_environment_independent_check(check, local_res, local_ctx):
    assert run(check, local_res, local_ctx).violations == []


def test_the_local_stack_breaks_durability_and_security_which_are_advisory_there(local_res, local_ctx):
    assert local_ctx.environment == "local" and not local_ctx.prod
    durability = run(checks.durability, local_res, local_ctx).messages
    assert any("replication factor 1" in m for m in durability)
    assert any("min.insync.replicas 1" in m for m in durability)
    security = run(checks.security, local_res, local_ctx).messages
    assert any("SASL_PLAINTEXT" in m for m in security) and any("plain http" in m for m in security)


def test_the_view_groups_resources_by_cluster(prod_res, prod):
    view = build_view(prod_res)
    assert view.aliases == ("K1", "K2")
    assert sorted(view.topics_on("K2")) == sorted(t.name for t in prod.topics)
    assert {p.alias for p in view.providers} == {"K1", "K2"}
    assert view.mm2_principals == {"User:mm2"}
    assert {a.operation for a in view.acls} >= {"READ", "WRITE", "DESCRIBE_CONFIGS", "ALTER_CONFIGS"}


# --- prefixes -----------------------------------------------------------------------------------------------
def test_prefixes_rejects_a_declared_remote_topic_and_names_the_resource(prod_res, prod_ctx):
    report = run(checks.prefixes, add_topic(prod_res, "K2", "K1.orders"), prod_ctx)
    assert report.names() == ["pair-K2-topic-K1.orders"]
    assert "MM2's remote copy of K1's 'orders'" in report.messages[0] and "remove the resource" in report.messages[0]


def test_prefixes_calls_a_topic_prefixed_with_its_own_alias_a_misnamed_local_topic(prod_res, prod_ctx):
    report = run(checks.prefixes, add_topic(prod_res, "K1", "K1.orders"), prod_ctx)
    assert report.names() == ["pair-K1-topic-K1.orders"]
    assert "starts with the cluster alias 'K1'" in report.messages[0]


def test_prefixes_rejects_a_local_topic_named_like_a_remote_one(prod_res, prod_ctx):
    resources = add_topic(add_topic(prod_res, "K1", "K2.audit"), "K2", "K2.audit")
    report = run(checks.prefixes, resources, prod_ctx)
    assert report.names() == ["pair-K1-topic-K2.audit", "pair-K2-topic-K2.audit"]
    assert "starts with the cluster alias 'K2' and the separator '.'" in report.messages[0]


@pytest.mark.parametrize("topic", ["heartbeats", "_schemas", "connect-offsets", "mm2-offset-syncs.K1.internal",
                                   "__consumer_offsets", "orders.replica"])
def test_prefixes_rejects_internal_topic_names(topic, prod_res, prod_ctx):
    report = run(checks.prefixes, add_topic(prod_res, "K1", topic), prod_ctx)
    assert report.names() == [f"pair-K1-topic-{topic}"]


def test_prefixes_missing_properties(prod_res, prod_ctx):
    unknown_name = edit(add_topic(prod_res, "K1", "K2.x"), "pair-K1-topic-K2.x",
                        lambda p: p.update(name="placeholder"))
    unknown_name = [replace(r, props={**r.props, "name": UNKNOWN}) if r.name == "pair-K1-topic-K2.x" else r
                    for r in unknown_name]
    assert run(checks.prefixes, unknown_name, prod_ctx).violations == []  # unknown in preview: not judged
    no_separator = add_topic(prod_res, "K1", "K2.x")
    for c in [r.name for r in no_separator if r.type == CONNECTOR]:
        no_separator = edit_config(no_separator, c, **{"replication.policy.separator": None})
    assert run(checks.prefixes, no_separator, prod_ctx).names() == ["pair-K1-topic-K2.x"]  # MM2's default '.'


# --- parity ---------------------------------------------------------------------------------------------------
def test_parity_rejects_a_topic_on_one_cluster_only(prod_res, prod_ctx):
    report = run(checks.parity, without(prod_res, "pair-K2-topic-payments"), prod_ctx)
    assert report.names() == ["pair-K1-topic-payments"]
    assert report.messages[0].startswith("topic 'payments' exists on K1 only")


def test_parity_rejects_different_partitions_replication_and_config(prod_res, prod_ctx):
    changed = edit(prod_res, "pair-K2-topic-orders", lambda p: p.update(partitions=3.0, replicationFactor=2.0))
    changed = edit_config(changed, "pair-K2-topic-orders", **{"retention.ms": "1000"})
    report = run(checks.parity, changed, prod_ctx)
    assert report.names() == ["pair-K2-topic-orders"]
    assert "partitions 6 on K1 vs 3 on K2" in report.messages[0]
    assert "replication factor 3 on K1 vs 2 on K2" in report.messages[0]
    assert "config retention.ms '604800000' on K1 vs '1000' on K2" in report.messages[0]


def test_parity_compares_acls_modulo_the_alias_of_remote_topics(prod_res, prod_ctx):
    report = run(checks.parity, without_acl(prod_res, "K2", "User:billing", "READ", "K1.orders"), prod_ctx)
    assert report.names() == ["pair-K1-acls-billing"]
    assert "ACL 'ALLOW User:billing READ on topic K2.orders' on K1 has no counterpart on K2 (expected it on " \
           "'K1.orders')" in report.messages[0]


def test_parity_accepts_the_same_binding_word_for_word(prod_res, prod_ctx):
    # A grant on a name that starts with an alias is the same on both sides, not each other's twin.
    same = add_acl(add_acl(prod_res, "K1", "User:ops", "Read", "K1.audit"), "K2", "User:ops", "Read", "K1.audit")
    assert run(checks.parity, same, prod_ctx).violations == []


def test_parity_compares_registries(prod_res, prod_ctx):
    changed = edit(prod_res, "pair-K2-schemas-payments-value", lambda p: p.update(compatibility="NONE"))
    changed = edit(changed, "pair-K2-schemas-orders-value", lambda p: p["schemas"].append(
        {"schema": '"string"', "schemaType": "AVRO"}))
    changed = without(changed, "pair-K2-schemas-customers-value")
    report = run(checks.parity, changed, prod_ctx)
    assert sorted(report.names()) == ["pair-K1-schemas-pass", "pair-K2-schemas-pass", "pair-K2-schemas-pass"]
    joined = "\n".join(report.messages)
    for subject in ("customers-value", "orders-value", "payments-value"):
        assert f"subject {subject!r}" in joined
    assert "registered in K1's registry only" in joined
    assert "(1 in K1's, 2 in K2's, first difference at version 2)" in joined
    assert "compatibility FULL in K1's registry and NONE in K2's" in joined


def test_parity_missing_properties(prod_res, prod_ctx):
    no_config = edit(prod_res, "pair-K2-topic-shipments", lambda p: p.pop("config"))
    report = run(checks.parity, no_config, prod_ctx)
    assert report.names() == ["pair-K2-topic-shipments"] and "on K1 vs unset on K2" in report.messages[0]
    unknown = [replace(r, props={**r.props, "partitions": UNKNOWN}) if r.name == "pair-K2-topic-orders" else r
               for r in prod_res]
    assert run(checks.parity, unknown, prod_ctx).violations == []
    only_k1 = [r for r in prod_res if "-K2-" not in r.name and r.type in (TOPIC, PROVIDER)]
    assert "exactly two clusters" in run(checks.parity, only_k1, PolicyContext()).messages[0]


# --- mirroring ------------------------------------------------------------------------------------------------
def connectors_of(resources: list[Res], flow: str = "") -> list[str]:
    return [r.name for r in resources if r.type == CONNECTOR and flow in r.name]


def test_mirroring_rejects_a_missing_flow(prod_res, prod_ctx):
    report = run(checks.mirroring, without(prod_res, *connectors_of(prod_res, "k2-k1")), prod_ctx)
    assert report.messages == ["MM2 flow K2->K1 has no source, checkpoint, heartbeat connector: active-active "
                               "needs both flows complete (records, consumer offsets and heartbeats from K2 to K1)"]
    assert report.names() == [None]


def test_mirroring_rejects_identity_policy_and_different_separators(prod_res, prod_ctx):
    source = "pair-mirror-mm2-k1-k2-source"
    changed = edit_config(prod_res, source, **{
        "replication.policy.class": "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"})
    changed = edit_config(changed, "pair-mirror-mm2-k2-k1-heartbeat", **{"replication.policy.separator": "_"})
    report = run(checks.mirroring, changed, prod_ctx)
    assert report.names() == [source, None]
    assert "IdentityReplicationPolicy, which keeps topic names" in report.messages[0]
    assert "different separators ['.', '_']" in report.messages[1]


def test_mirroring_rejects_a_flow_on_its_sources_connect(prod_res, prod_ctx, prod):
    k1_connect = prod.cluster("K1").connect
    moved = edit(prod_res, "pair-mirror-mm2-k1-k2-source", lambda p: p.update(label="K1", url=k1_connect))
    report = run(checks.mirroring, moved, prod_ctx)
    assert report.names() == ["pair-mirror-mm2-k1-k2-source"] * 2
    assert "runs on K1's Connect" in report.messages[0] and f"is sent to {k1_connect}" in report.messages[1]
    # Without the spec's URLs, one Connect serving both flows' targets is the tell.
    no_spec = replace(prod_ctx, connect_urls={})
    only_url = edit(prod_res, "pair-mirror-mm2-k1-k2-source", lambda p: p.update(url=k1_connect))
    assert "run on the same Connect" in run(checks.mirroring, only_url, no_spec).messages[0]


def test_mirroring_rejects_an_uncovered_topic_unless_it_opted_out(prod_res, prod_ctx):
    narrowed = edit_config(prod_res, "pair-mirror-mm2-k1-k2-source", topics=r"orders, customers, shipments")
    report = run(checks.mirroring, narrowed, prod_ctx)
    assert report.names() == ["pair-K1-topic-payments"]
    assert "'payments' on K1 is not mirrored to K2" in report.messages[0]
    opted_out = replace(prod_ctx, not_mirrored=frozenset({"payments"}))
    assert run(checks.mirroring, narrowed, opted_out).violations == []


def test_mirroring_rejects_internal_topics_in_the_flow(prod_res, prod_ctx):
    report = run(checks.mirroring, edit_config(prod_res, "pair-mirror-mm2-k2-k1-source", topics=".*",
                                               **{"topics.exclude": "__.*"}), prod_ctx)
    assert report.names() == ["pair-mirror-mm2-k2-k1-source"]
    assert "would mirror internal topics ['_schemas', 'connect-configs'" in report.messages[0]


def test_mirroring_missing_properties(prod_res, prod_ctx):
    no_exclude = edit_config(prod_res, "pair-mirror-mm2-k1-k2-source", **{"topics.exclude": None})
    report = run(checks.mirroring, no_exclude, prod_ctx)
    assert report.names() == ["pair-mirror-mm2-k1-k2-source"]
    assert "does not exclude ['_schemas', 'connect-configs', 'connect-offsets', 'connect-status']" in report.messages[0]
    no_policy = edit_config(prod_res, "pair-mirror-mm2-k1-k2-source", **{"replication.policy.class": None})
    assert run(checks.mirroring, no_policy, prod_ctx).violations == []  # MM2's default is DefaultReplicationPolicy
    unknown = [replace(r, props={**r.props, "config": UNKNOWN}) if r.type == CONNECTOR else r for r in prod_res]
    assert run(checks.mirroring, unknown, prod_ctx).violations == []  # flows known from `flow`, config not judged


def test_mirroring_needs_mm2s_grants_as_declared_prefixed_on_the_remote_topics(prod_res, prod_ctx):
    literal = edit_bindings(prod_res, lambda a: replace(a, pattern_type="LITERAL"))
    report = run(checks.mirroring, literal, prod_ctx)
    assert set(report.messages) == {
        f"MM2's principal User:mm2 may not CREATE/WRITE/DESCRIBE topic '{source}.{topic}' on {target}: the flow "
        f"{source}->{target} could not replicate '{topic}'; grant them (the derived MM2 ACLs do)"
        for source, target in (("K1", "K2"), ("K2", "K1")) for topic in ("customers", "orders", "payments", "shipments")
    }


def test_mirroring_needs_mm2_to_read_its_source_topics(prod_res, prod_ctx):
    report = run(checks.mirroring, without_acl(prod_res, "K1", "User:mm2", "READ", "orders"), prod_ctx)
    assert report.messages == ["MM2's principal User:mm2 may not READ topic 'orders' on K1: the flow K1->K2 could "
                               "not replicate 'orders'; grant them (the derived MM2 ACLs do)"]


@pytest.mark.parametrize("principal", ["User:mm2", "User:*"])
def test_a_deny_takes_mm2s_grant_back(prod_res, prod_ctx, principal):
    denied = add_acl(prod_res, "K2", principal, "Write", "K1.orders", permission="Deny")
    report = run(checks.mirroring, denied, prod_ctx)
    assert [m.split(":")[0] for m in report.messages] == ["MM2's principal User"]
    assert "may not WRITE topic 'K1.orders' on K2" in report.messages[0]
    other = add_acl(prod_res, "K2", "User:billing", "Write", "K1.orders", permission="Deny")
    assert run(checks.mirroring, other, prod_ctx).violations == []  # someone else's DENY


# --- consumers ------------------------------------------------------------------------------------------------
def test_consumers_need_the_remote_twin_on_each_cluster(prod_res, prod_ctx):
    report = run(checks.consumers, without_acl(prod_res, "K2", "User:billing", "READ", "K1.orders"), prod_ctx)
    assert report.names() == ["pair-K2-acls-billing"]
    assert report.messages[0].startswith("User:billing may read 'orders' on K2 but not its remote twin 'K1.orders'")


def test_producers_never_write_remote_topics(prod_res, prod_ctx):
    changed = add_acl(prod_res, "K2", "User:orders-svc", "Write", "K1.orders")
    changed = add_acl(changed, "K1", "User:rogue", "All", "K", pattern="Prefixed")
    report = run(checks.consumers, changed, prod_ctx)
    assert report.names() == ["pair-K1-acls-rogue", "pair-K2-acls-orders-svc"]
    assert "may WRITE 'K' (prefixed) on K1, which covers remote topics of K2" in report.messages[0]
    assert "User:orders-svc may WRITE 'K1.orders' (literal) on K2" in report.messages[1]


def test_consumers_missing_properties(prod_res, prod_ctx):
    # No pattern type: Kafka's default LITERAL; the MM2 principal's prefixed grants are exempt.
    # A plain Acl without a pattern type: WRITE on 'K' is the literal topic `K`, not a prefix of remote topics.
    write_k = {"aclPrincipal": "User:orders-svc", "aclHost": "*", "aclOperation": "Write", "aclPermissionType": "Allow",
               "aclResourceName": "K", "aclResourceType": "Topic"}
    assert run(checks.consumers, plain_acl(prod_res, "K1", "write-k", **write_k), prod_ctx).violations == []
    prefixed = plain_acl(prod_res, "K1", "write-k", **write_k, resourcePatternTypeFilter="Prefixed")
    assert run(checks.consumers, prefixed, prod_ctx).names() == ["write-k"]
    no_mm2_in_spec = replace(prod_ctx, mm2_principal=None)  # still known from the SCRAM user and the JAAS
    assert run(checks.consumers, prod_res, no_mm2_in_spec).violations == []


# --- durability -----------------------------------------------------------------------------------------------
def test_durability_rejects_weak_topics(prod_res, prod_ctx):
    weak = edit(prod_res, "pair-K1-topic-orders", lambda p: p.update(replicationFactor=2.0))
    weak = edit_config(weak, "pair-K1-topic-payments", **{"min.insync.replicas": "3"})
    weak = edit_config(weak, "pair-K1-topic-customers", **{"min.insync.replicas": "1",
                                                            "unclean.leader.election.enable": "true"})
    found = run(checks.durability, weak, prod_ctx).by_name()
    assert sorted(found) == ["pair-K1-topic-customers", "pair-K1-topic-orders", "pair-K1-topic-payments"]
    assert "replication factor 2" in found["pair-K1-topic-orders"][0]
    assert "min.insync.replicas 2 >= replication factor 2" in found["pair-K1-topic-orders"][1]
    assert "min.insync.replicas 3 >= replication factor 3" in found["pair-K1-topic-payments"][0]
    assert "min.insync.replicas 1:" in found["pair-K1-topic-customers"][0]
    assert "unclean leader election" in found["pair-K1-topic-customers"][1]


def test_durability_rejects_weak_mm2_producers(prod_res, prod_ctx):
    weak = edit_config(prod_res, "pair-mirror-mm2-k1-k2-source", **{
        "producer.override.acks": "1", "producer.override.enable.idempotence": "false", "replication.factor": "2"})
    report = run(checks.durability, weak, prod_ctx)
    assert report.names() == ["pair-mirror-mm2-k1-k2-source"] * 3
    assert "producer.override.acks=1" in report.messages[0] and "idempotence" in report.messages[1]
    assert "replication.factor=2" in report.messages[2]


def test_durability_missing_properties(prod_res, prod_ctx):
    missing = edit_config(prod_res, "pair-K1-topic-orders", **{"min.insync.replicas": None})
    missing = edit(missing, "pair-K2-topic-orders", lambda p: p.pop("replicationFactor"))
    missing = edit_config(missing, "pair-mirror-mm2-k2-k1-source", **{
        "producer.override.acks": None, "replication.factor": None})
    report = run(checks.durability, missing, prod_ctx)
    assert report.names() == ["pair-K1-topic-orders", "pair-K2-topic-orders", "pair-mirror-mm2-k2-k1-source",
                              "pair-mirror-mm2-k2-k1-source"]
    assert "does not set min.insync.replicas (broker default 1)" in report.messages[0]
    assert "does not set its replication factor" in report.messages[1]
    assert "does not set producer.override.acks" in report.messages[2]
    assert "no replication.factor (MM2 default 2)" in report.messages[3]
    # unclean.leader.election.enable unset: Kafka's default (false) is safe.
    assert run(checks.durability, edit_config(prod_res, "pair-K1-topic-orders",
                                              **{"unclean.leader.election.enable": None}), prod_ctx).violations == []


# --- security -------------------------------------------------------------------------------------------------
def test_security_rejects_wildcard_principals_and_wildcard_grants_from_any_host(prod_res, prod_ctx):
    changed = add_acl(prod_res, "K1", "User:*", "Read", "orders")
    changed = add_acl(changed, "K2", "User:ops", "Describe", "*")
    changed = add_acl(changed, "K2", "User:ops", "All", "orders")
    changed = add_acl(changed, "K2", "User:ops", "Read", "orders", host="10.0.0.7")  # a pinned host is fine
    report = run(checks.security, changed, prod_ctx)
    assert report.names() == ["pair-K1-acls-", "pair-K2-acls-ops", "pair-K2-acls-ops"]
    assert "wildcard principal" in report.messages[0]
    assert "every resource of its type from any host" in report.messages[1]
    assert "ALL operations from any host" in report.messages[2]


def test_security_rejects_plaintext_listeners_and_http(prod_res, prod_ctx):
    changed = edit(prod_res, "pair-K1-provider", lambda p: p.update(tlsEnabled="false"))
    changed = [replace(r, provider_props={**(r.provider_props or {}), "tlsEnabled": "false"})
               if r.provider_urn and r.provider_urn.endswith("pair-K1-provider") else r for r in changed]
    changed = edit_config(changed, "pair-mirror-mm2-k2-k1-source", **{"source.cluster.security.protocol":
                                                                      "SASL_PLAINTEXT"})
    changed = edit(changed, "pair-K2-schemas-pass", lambda p: p.update(url="http://registry:8081"))
    report = run(checks.security, changed, prod_ctx)
    assert report.names() == ["pair-K1-provider", "pair-mirror-mm2-k2-k1-source", "pair-K2-schemas-pass"]
    assert "connects with SASL_PLAINTEXT" in report.messages[0]
    assert "source.cluster.security.protocol=SASL_PLAINTEXT" in report.messages[1]
    assert "plain http (http://registry:8081)" in report.messages[2]


def test_security_rejects_producers_that_would_auto_register_schemas(prod_res, prod_ctx):
    report = run(checks.security, without(prod_res, "pair-K1-schemas-shipments-value",
                                          "pair-K2-schemas-shipments-value"), prod_ctx)
    assert report.names() == ["pair-K1-topic-shipments", "pair-K2-topic-shipments"]
    assert "producers of 'shipments' on K1 (User:logistics-svc)" in report.messages[0]
    assert "auto.register.schemas=false" in report.messages[0]


def test_security_missing_properties(prod_res, prod_ctx):
    no_tls = edit(prod_res, "pair-K2-provider", lambda p: p.pop("tlsEnabled"))
    no_tls = [replace(r, provider_props={k: v for k, v in (r.provider_props or {}).items() if k != "tlsEnabled"})
              if r.provider_urn and r.provider_urn.endswith("pair-K2-provider") else r for r in no_tls]
    assert run(checks.security, no_tls, prod_ctx).names() == ["pair-K2-provider"]  # provider default: no TLS
    no_protocol = edit_config(prod_res, "pair-mirror-mm2-k1-k2-heartbeat",
                              **{"target.cluster.security.protocol": None})
    report = run(checks.security, no_protocol, prod_ctx)
    assert "target.cluster.security.protocol=PLAINTEXT" in report.messages[0]  # Kafka clients' default


# --- secrets --------------------------------------------------------------------------------------------------
def test_secret_credentials_rejects_plain_passwords(prod_res, prod_ctx):
    plain = [replace(r, secret_paths=frozenset(), provider_secret_paths=frozenset())
             if r.type in (PROVIDER, SCRAM, CONNECTOR) or r.provider_urn or r.name == "pair-K1-schemas-pass"
             else r for r in prod_res]
    plain = edit(plain, "pair-K1-schemas-pass", lambda p: p.update(auth={"username": "u", "password": "p"}))
    report = run(checks.secret_credentials, plain, prod_ctx)
    connectors = [f"mm2-{f}-{k}" for f in ("k1-k2", "k2-k1") for k in ("checkpoint", "heartbeat", "source")]
    assert [(m, u.rsplit("::", 1)[-1]) for m, u in report.violations] == [
        *((f"the kafka provider of {a} gets its SASL password as plain text: it would be stored unencrypted in the "
           "state; pass it from a secret (pulumi config set --secret)", f"pair-{a}-provider") for a in ("K1", "K2")),
        ("pair-K1-schemas-pass gets its HTTP credentials (auth) as plain text; pass them from a secret",
         "pair-K1-schemas-pass"),
        *((f"the SCRAM credential pair-{a}-scram-mm2 gets its password as plain text; pass it from a secret",
           f"pair-{a}-scram-mm2") for a in ("K1", "K2")),
        *((f"connector pair-mirror-{c}'s config holds MM2's password and is not a secret; make it a secret output "
           "so the state encrypts it", f"pair-mirror-{c}") for c in connectors),
    ]


def test_the_admin_password_of_the_mm2_leftovers_must_be_a_secret(prod_res, prod_ctx):
    leftovers = [r for r in prod_res if r.type.endswith(checks.MM2_TOPIC_TYPES)]
    assert sorted(r.type.rsplit(":", 1)[-1] for r in leftovers) == ["MirrorTwinGuard"] * 2 + ["MirrorTwinReaper"] * 2
    assert all("kafka" in r.secret_paths and r.props["kafka"]["sasl.password"] for r in leftovers)
    assert run(checks.secret_credentials, prod_res, prod_ctx).violations == []
    # A stack still holding the previous layout (one `MirrorLeftovers` per twin) is checked the same way.
    old = replace(leftovers[0], type=leftovers[0].type.replace("MirrorTwinGuard", "MirrorLeftovers").replace(
        "MirrorTwinReaper", "MirrorLeftovers"),
        urn=leftovers[0].urn.rsplit("::", 1)[0] + "::pair-mirror-twin-K2-k1.orders")
    assert old.type.endswith(":MirrorLeftovers")
    leftovers.append(old)
    plain = [replace(r, secret_paths=frozenset()) if r.type.endswith(checks.MM2_TOPIC_TYPES) else r
             for r in [*prod_res, old]]
    report = run(checks.secret_credentials, plain, prod_ctx)
    assert sorted(u.rsplit("::", 1)[-1] for _, u in report.violations) == sorted(r.name for r in leftovers)
    assert all("gets the admin password of K" in m for m, _ in report.violations)


def test_secret_credentials_trusts_the_provider_inputs_when_outputs_lose_the_mark(prod_res, prod_ctx):
    outputs_only = [replace(r, secret_paths=frozenset()) if r.type == PROVIDER else r for r in prod_res]
    assert run(checks.secret_credentials, outputs_only, prod_ctx).violations == []


def test_secret_credentials_missing_properties(prod_res, prod_ctx):
    no_password = edit(prod_res, "pair-K1-provider", lambda p: p.pop("saslPassword"))
    no_password = [replace(r, provider_props={k: v for k, v in (r.provider_props or {}).items()
                                              if k != "saslPassword"}, provider_secret_paths=frozenset())
                   if r.provider_urn and r.provider_urn.endswith("pair-K1-provider") else r for r in no_password]
    assert run(checks.secret_credentials, no_password, prod_ctx).violations == []


# --- destructive changes --------------------------------------------------------------------------------------
def destructive(old: list[Res], new: list[Res], context: PolicyContext, records: int | Exception = 0,
                compatible: bool | Exception = True) -> FakeReporter:
    def count(provider: ProviderRes | None, topic: str) -> int:
        if isinstance(records, Exception):
            raise records
        return records

    def accepts(*_: Any) -> bool:
        if isinstance(compatible, Exception):
            raise compatible
        return compatible

    report = FakeReporter()
    destructive_changes(DestructiveArgs(build_view(new, context.aliases), build_view(old, context.aliases), context,
                                        Probes(count, accepts)), report)
    return report


def test_destructive_accepts_no_change_and_growth(prod_res, prod_ctx):
    assert destructive(prod_res, prod_res, prod_ctx).violations == []
    grown = edit(prod_res, "pair-K1-topic-orders", lambda p: p.update(partitions=12.0))
    assert destructive(prod_res, grown, prod_ctx).violations == []
    appended = edit(prod_res, "pair-K1-schemas-orders-value", lambda p: p["schemas"].append(
        {"schema": '{"type": "record", "name": "O", "fields": []}', "schemaType": "AVRO"}))
    assert destructive(prod_res, appended, prod_ctx, compatible=True).violations == []


def test_destructive_rejects_partition_decrease_and_replication_change(prod_res, prod_ctx):
    new = edit(prod_res, "pair-K1-topic-orders", lambda p: p.update(partitions=3.0))
    new = edit(new, "pair-K2-topic-payments", lambda p: p.update(replicationFactor=1.0))
    report = destructive(prod_res, new, prod_ctx)
    assert report.names() == ["pair-K1-topic-orders", "pair-K2-topic-payments"]
    assert "partitions decrease from 6 to 3" in report.messages[0]
    assert "replication factor changes from 3 to 1" in report.messages[1]


def test_destructive_rejects_deleting_a_topic_that_holds_data(prod_res, prod_ctx):
    gone = without(prod_res, "pair-K1-topic-customers")
    report = destructive(prod_res, gone, prod_ctx, records=42)
    assert report.names() == ["pair-K1-topic-customers"]
    assert ("topic 'customers' on K1 (resource pair-K1-topic-customers) would be deleted: it is no longer declared; "
            "it holds 42 record(s)") in report.messages[0]
    unreachable = destructive(prod_res, gone, prod_ctx, records=ProbeError("K1 did not answer"))
    assert "could not tell whether it holds data (K1 did not answer)" in unreachable.messages[0]
    assert destructive(prod_res, gone, prod_ctx, records=0).violations == []  # an empty topic may go
    allowed = replace(prod_ctx, allow=frozenset({"customers"}))
    assert destructive(prod_res, gone, allowed, records=42).violations == []


def test_destructive_rejects_a_rename_without_alias(prod_res, prod_ctx):
    renamed = [replace(r, urn=r.urn.replace("pair-K1-topic-orders", "pair-K1-topic-orders-v2"))
               if r.name == "pair-K1-topic-orders" else r for r in prod_res]
    report = destructive(prod_res, renamed, prod_ctx, records=1)
    assert "(renamed to pair-K1-topic-orders-v2 without an alias?)" in report.messages[0]


def test_destructive_rejects_schema_changes_that_break_readers(prod_res, prod_ctx):
    rewritten = edit(prod_res, "pair-K1-schemas-orders-value", lambda p: p["schemas"].__setitem__(
        0, {"schema": '"string"', "schemaType": "AVRO"}))
    gone = without(prod_res, "pair-K2-schemas-customers-value")
    added = edit(prod_res, "pair-K2-schemas-payments-value", lambda p: p["schemas"].append(
        {"schema": '"string"', "schemaType": "AVRO"}))
    assert "registered version 1 is removed or rewritten" in destructive(prod_res, rewritten, prod_ctx).messages[0]
    assert "would be deleted with all its versions" in destructive(prod_res, gone, prod_ctx).messages[0]
    refused = destructive(prod_res, added, prod_ctx, compatible=False)
    assert refused.names() == ["pair-K2-schemas-pass"]
    assert "new version 2 is not FULL-compatible" in refused.messages[0]
    unreachable = destructive(prod_res, added, prod_ctx, compatible=ProbeError("K2's registry did not answer"))
    assert "could not check new version 2 against the registry" in unreachable.messages[0]


def test_destructive_sees_a_re_serialised_schema_as_unchanged_and_a_removed_version_as_destructive(prod_res,
                                                                                                   prod_ctx):
    """A registry hands schemas back in its own text form (Karapace: sorted keys, compact): that is no change."""
    import json

    def karapace_form(p):
        p["schemas"] = [{**s, "schema": json.dumps(json.loads(s["schema"]), sort_keys=True, separators=(",", ":"))}
                        for s in p["schemas"]]
    resorted = edit(prod_res, "pair-K1-schemas-orders-value", karapace_form)
    assert destructive(prod_res, resorted, prod_ctx).violations == []
    shorter = edit(prod_res, "pair-K1-schemas-orders-value", lambda p: p["schemas"].pop())
    assert "registered version 1 is removed or rewritten" in destructive(prod_res, shorter, prod_ctx).messages[0]


def test_destructive_missing_properties_and_updates(prod_res, prod_ctx):
    old = edit(prod_res, "pair-K1-topic-orders", lambda p: p.pop("partitions"))
    assert destructive(old, prod_res, prod_ctx).violations == []  # nothing to compare with
    decreased = edit(prod_res, "pair-K1-topic-orders", lambda p: p.update(partitions=1.0))
    assert destructive(prod_res, decreased, replace(prod_ctx, dry_run=False)).violations == []  # after the fact


# --- context, state and settings ----------------------------------------------------------------------------
def test_environment_comes_from_config_then_topology_then_stack_name(prod_ctx, local_ctx):
    assert (prod_ctx.environment, local_ctx.environment) == ("prod", "local")
    assert prod_ctx.environment_source == "prod.yaml (environment)"
    assert local_ctx.with_config({"environment": "prod"}).prod
    nameless = context_for(StackInfo(stack="eu-prod", project="kafka-active-active"))
    assert (nameless.environment, nameless.environment_source) == ("prod", "stack name")
    assert environment_of_stack_name("feature-x") is None
    explicit = context_for(StackInfo(stack="x", project="p", config={"p:stackFile": "stacks/prod.yaml"}))
    assert explicit.environment == "prod" and explicit.aliases == ("K1", "K2")
    assert prod_ctx.mm2_principal == "User:mm2" and prod_ctx.connect_urls["K2"].startswith("https://")


def test_checkpoint_secrets_are_unknown_and_providers_are_referenced():
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "x"}
    doc = {"deployment": {"resources": [
        {"urn": "urn:a::pulumi:providers:kafka::pair-K1-provider", "type": PROVIDER,
         "outputs": {"saslPassword": secret, "bootstrapServers": '["b:9092"]'}},
        {"urn": "urn:a::kafka:index/topic:Topic::pair-K1-topic-x", "type": TOPIC,
         "provider": "urn:a::pulumi:providers:kafka::pair-K1-provider::abc", "outputs": {"name": "x"}},
        {"urn": "urn:a::kafka:index/topic:Topic::old", "type": TOPIC, "delete": True, "outputs": {}},
    ]}}
    provider, topic = resources_of_deployment(doc)
    assert provider.props["saslPassword"] is UNKNOWN
    assert topic.provider_urn == "urn:a::pulumi:providers:kafka::pair-K1-provider"


def test_client_settings_follow_the_provider():
    sasl_ssl = ProviderRes("K1", "u", {"bootstrapServers": '["a:1","b:2"]', "tlsEnabled": "true",
                                       "saslMechanism": "scram-sha512", "saslUsername": "admin",
                                       "saslPassword": "pw"}, frozenset())
    assert client_settings(sasl_ssl) == {"bootstrap.servers": "a:1,b:2", "security.protocol": "SASL_SSL",
                                         "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "admin",
                                         "sasl.password": "pw"}
    plain = ProviderRes("K1", "u", {"bootstrapServers": ["a:1"]}, frozenset())
    assert client_settings(plain)["security.protocol"] == "PLAINTEXT"
    with pytest.raises(ProbeError):
        client_settings(ProviderRes("K1", "u", {}, frozenset()))


# --- the pack inside the SDK's servicer ---------------------------------------------------------------------
SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


@pytest.fixture()
def servicer():
    from policy.pack import analyzer

    return analyzer()


def configure(servicer: Any, stack: str, dry_run: bool = False, **policy_config: dict[str, Any]) -> None:
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import analyzer_pb2 as proto

    servicer.ConfigureStack(proto.AnalyzerStackConfigureRequest(
        stack=stack, project="kafka-active-active", organization="organization", dry_run=dry_run), None)
    configs = {}
    for name, values in policy_config.items():
        props = struct_pb2.Struct()
        props.update(values)
        configs[name] = proto.PolicyConfig(enforcementLevel=proto.ADVISORY, properties=props)
    servicer.Configure(proto.ConfigureAnalyzerRequest(policyConfig=configs), None)


def analyze_stack(servicer: Any, resources: list[Res]) -> list[Any]:
    """Run the pack's stack policies on `resources`, sent the way the engine sends them (secrets marked)."""
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import analyzer_pb2 as proto

    def struct(props: Any, secrets: frozenset[str]) -> Any:
        out = struct_pb2.Struct()
        out.update({k: ({**SIG, "value": v} if k in secrets else v) for k, v in props.items()})
        return out

    request = proto.AnalyzeStackRequest(resources=[
        proto.AnalyzerResource(
            urn=r.urn, type=r.type, name=r.name, properties=struct(r.props, r.secret_paths),
            options=proto.AnalyzerResourceOptions(),
            provider=proto.AnalyzerProviderResource(
                urn=r.provider_urn, type=PROVIDER, name=r.provider_urn.rsplit("::", 1)[-1],
                properties=struct(r.provider_props or {}, r.provider_secret_paths)) if r.provider_urn else None,
        ) for r in resources])
    return list(servicer.AnalyzeStack(request, None).diagnostics)


def test_the_pack_sees_which_props_the_engine_marked_secret(servicer, prod_res):
    configure(servicer, "prod")
    plain_k2 = [replace(r, secret_paths=frozenset() if r.type == PROVIDER else r.secret_paths,
                        provider_secret_paths=frozenset())
                if "pair-K2-provider" in (r.provider_urn or r.urn) else r for r in prod_res]
    found = [(d.policyName, d.urn.rsplit("::", 1)[-1]) for d in analyze_stack(servicer, plain_k2)]
    assert found == [("secret-credentials", "pair-K2-provider")]


def test_durability_and_security_are_mandatory_in_prod_and_advisory_elsewhere(servicer, prod_res, local_res):
    from pulumi.runtime.proto import analyzer_pb2 as proto

    configure(servicer, "local")
    levels = {(d.policyName, d.enforcementLevel) for d in analyze_stack(servicer, local_res)}
    assert levels == {("durability", proto.ADVISORY), ("security", proto.ADVISORY)}
    configure(servicer, "prod")
    weak = edit(prod_res, "pair-K1-topic-orders", lambda p: p.update(replicationFactor=1.0))
    weak = edit(weak, "pair-K2-topic-orders", lambda p: p.update(replicationFactor=1.0))
    diagnostics = analyze_stack(servicer, weak)
    assert {(d.policyName, d.enforcementLevel) for d in diagnostics} == {("durability", proto.MANDATORY)}
    assert {d.urn.rsplit("::", 1)[-1] for d in diagnostics} == {"pair-K1-topic-orders", "pair-K2-topic-orders"}
    configure(servicer, "prod", durability={"prodEnforcementLevel": "advisory"})
    assert {d.enforcementLevel for d in analyze_stack(servicer, weak)} == {proto.ADVISORY}
    configure(servicer, "local", durability={"environment": "prod"})
    assert {d.enforcementLevel for d in analyze_stack(servicer, weak)} == {proto.MANDATORY}


def test_the_destructive_policy_fails_closed_when_the_state_cannot_be_read(servicer, prod_res, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    configure(servicer, "prod", dry_run=True)
    found = [(d.policyName, d.message.split("\n")[-1]) for d in analyze_stack(servicer, prod_res)]
    assert found == [("destructive-changes", "could not read the stack's current state (the pulumi CLI is not on "
                      "the policy pack's PATH), so destructive changes were not checked; run the preview where "
                      "`pulumi stack export` works for this stack")]


def test_two_packs_share_no_state(prod_res):
    from pulumi.runtime.proto import analyzer_pb2 as proto

    from policy.pack import analyzer

    prod, local = analyzer(), analyzer()
    configure(prod, "prod")
    configure(local, "local")
    weak = edit(prod_res, "pair-K1-topic-orders", lambda p: p.update(replicationFactor=1.0))
    def durability(servicer: Any) -> set[int]:
        return {d.enforcementLevel for d in analyze_stack(servicer, weak) if d.policyName == "durability"}

    assert (durability(prod), durability(local)) == ({proto.MANDATORY}, {proto.ADVISORY})
    assert (prod.state.info.stack, local.state.info.stack) == ("prod", "local")


def test_the_sdk_is_not_patched():
    import pulumi_policy.deserialize
    import pulumi_policy.policy as sdk

    from policy.pack import analyzer

    before = dict(vars(sdk._PolicyAnalyzerServicer))
    analyzer()
    assert dict(vars(sdk._PolicyAnalyzerServicer)) == before
    assert sdk.deserialize_properties is pulumi_policy.deserialize.deserialize_properties


def test_values_unknown_in_a_preview_reach_the_checks_as_unknown():
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import analyzer_pb2 as proto

    from policy.engine import to_res
    from policy.resources import UNKNOWN_WIRE

    props = struct_pb2.Struct()
    props.update({"name": "orders", "partitions": UNKNOWN_WIRE, "config": {"a": UNKNOWN_WIRE},
                  "password": {**SIG, "value": "pw"}})
    res = to_res(proto.AnalyzerResource(urn="urn:x::t", type=TOPIC, name="t", properties=props))
    assert res.props == {"name": "orders", "partitions": UNKNOWN, "config": {"a": UNKNOWN}, "password": "pw"}
    assert res.secret_paths == frozenset({"password"}) and res.provider_urn is None


def test_write_on_a_literal_star_topic_and_a_bare_star_principal_are_refused(prod_res, prod_ctx):
    star_topic = add_acl(prod_res, "K1", "User:orders-svc", "Write", "*")
    consumers = run(checks.consumers, star_topic, prod_ctx)
    assert consumers.names() == ["pair-K1-acls-orders-svc"]
    assert "may WRITE '*' (literal) on K1, which covers remote topics of K2" in consumers.messages[0]
    assert "every resource of its type from any host" in run(checks.security, star_topic, prod_ctx).messages[0]
    bare = run(checks.security, add_acl(prod_res, "K2", "*", "Read", "orders"), prod_ctx)
    assert len(bare.messages) == 1 and "grants to a wildcard principal" in bare.messages[0]


@pytest.mark.parametrize(("name", "pattern", "covers_remote"), [
    ("K2.ord", "Prefixed", True),  # a prefix inside K2's remote topics
    ("K", "Prefixed", True),  # a prefix of the prefix `K2.`: it covers every remote topic too
    ("K2.orders", "Literal", True),
    ("K2x", "Prefixed", False),  # neither a prefix of `K2.` nor inside it
    ("K2", "Literal", False),  # the literal topic `K2`, not a prefix
    ("K1.", "Prefixed", False),  # K1's own alias on K1: not a remote topic there
])
def test_a_producer_grant_covers_remote_topics_only_by_full_prefix(prod_res, prod_ctx, name, pattern, covers_remote):
    report = run(checks.consumers, add_acl(prod_res, "K1", "User:orders-svc", "Write", name, pattern=pattern), prod_ctx)
    assert bool(report.violations) == covers_remote, report.messages


@pytest.mark.parametrize("topic", ["K10.audit", "K1x.audit", "K2_audit", "k1.audit"])
def test_only_the_alias_and_its_separator_make_a_topic_look_remote(prod_res, prod_ctx, topic):
    resources = add_topic(add_topic(prod_res, "K1", topic), "K2", topic)
    assert run(checks.prefixes, resources, prod_ctx).violations == []


def test_deny_bindings_are_not_grants(prod_res, prod_ctx):
    denied = add_acl(prod_res, "K1", "User:*", "Write", "*", permission="Deny")
    for check in (checks.security, checks.consumers):
        assert run(check, denied, prod_ctx).violations == [], check.__name__
    # ... but a DENY wins over MM2's own grants: it can no longer write the remote topics on K1
    assert sorted(m.split(": the flow")[0] for m in run(checks.mirroring, denied, prod_ctx).messages) == [
        f"MM2's principal User:mm2 may not WRITE topic 'K2.{t}' on K1"
        for t in ("customers", "orders", "payments", "shipments")]
    narrowed = add_acl(prod_res, "K2", "User:orders-svc", "Write", "K1.orders", permission="Deny")
    assert run(checks.consumers, narrowed, prod_ctx).violations == []


def test_a_password_in_the_producer_override_alone_needs_a_secret(prod_res, prod_ctx):
    name = "pair-mirror-mm2-k1-k2-source"
    jaas = named(prod_res, name).props["config"]["producer.override.sasl.jaas.config"]
    assert 'password="K2-mm2-pw"' in jaas

    def only_producer(p: dict[str, Any]) -> None:
        p["config"] = {k: v for k, v in p["config"].items()
                       if not k.endswith("sasl.jaas.config") or k.startswith("producer.override.")}

    plain = [replace(r, secret_paths=frozenset()) if r.name == name else r for r in edit(prod_res, name, only_producer)]
    report = run(checks.secret_credentials, plain, prod_ctx)
    assert report.names() == [name]
    assert "config holds MM2's password and is not a secret" in report.messages[0]


# --- exact messages (a reviewer reads them; the mutation run showed substring checks let them rot) ------------
def test_parity_messages_in_full(prod_res, prod_ctx):
    changed = without_acl(without(prod_res, "pair-K1-topic-customers"), "K1", "User:billing", "READ", "K2.orders")
    changed = without_acl(changed, "K2", "User:analytics", "READ", "shipments")
    changed = edit(changed, "pair-K2-topic-orders", lambda p: p.update(partitions=3.0))
    changed = edit_config(changed, "pair-K2-topic-orders", **{"retention.ms": "1000", "compression.type": None,
                                                                "max.message.bytes": 2097152.0})
    changed = edit_config(changed, "pair-K2-topic-shipments", **{"retention.ms": "1000"})
    changed = [replace(r, props={**r.props, "partitions": UNKNOWN}) if r.name == "pair-K1-topic-shipments" else r
               for r in without(changed, "pair-K2-topic-payments")]  # unknown in a preview: not compared
    report = run(checks.parity, changed, prod_ctx)
    same = "both clusters must hold the same topic so clients behave the same after a failover"
    access = "both clusters must grant the same access so clients and MM2 keep working after a failover"
    assert report.violations == [
        ("topic 'customers' exists on K2 only: every local topic must exist on both clusters with the same settings "
         "(clients failing over to K1 produce and consume it there); declare it on K1 too",
         named(prod_res, "pair-K2-topic-customers").urn),
        ("topic 'orders' differs between K1 and K2: partitions 6 on K1 vs 3 on K2; config compression.type 'zstd' "
         "on K1 vs unset on K2; config max.message.bytes unset on K1 vs '2097152' on K2; config retention.ms "
         f"'604800000' on K1 vs '1000' on K2; {same}", named(prod_res, "pair-K2-topic-orders").urn),
        ("topic 'payments' exists on K1 only: every local topic must exist on both clusters with the same settings "
         "(clients failing over to K2 produce and consume it there); declare it on K2 too",
         named(prod_res, "pair-K1-topic-payments").urn),
        (f"topic 'shipments' differs between K1 and K2: config retention.ms '259200000' on K1 vs '1000' on K2; {same}",
         named(prod_res, "pair-K2-topic-shipments").urn),
        ("ACL 'ALLOW User:analytics READ on topic shipments' on K1 has no counterpart on K2 (expected it on "
         f"'shipments'): {access}", named(prod_res, "pair-K1-acls-analytics").urn),
        ("ACL 'ALLOW User:billing READ on topic K1.orders' on K2 has no counterpart on K1 (expected it on "
         f"'K2.orders'): {access}", named(prod_res, "pair-K2-acls-billing").urn),
    ]


def test_parity_needs_exactly_two_clusters_even_with_acls_alone(prod_res, prod_ctx):
    only_k1_acls = [r for r in prod_res if r.type == ACL_SET_TYPE and r.name.startswith("pair-K1-")]
    assert run(checks.parity, only_k1_acls, replace(prod_ctx, aliases=())).messages == [
        "the stack's resources belong to 1 cluster(s) ['K1']: an active-active pair declares the same topics, ACLs "
        "and schemas on exactly two clusters"]
    assert run(checks.parity, [], prod_ctx).violations == []


def test_registry_parity_messages_in_full(prod_res, prod_ctx):
    changed = without(prod_res, "pair-K1-schemas-customers-value")
    changed = edit(changed, "pair-K2-schemas-orders-value", lambda p: p["schemas"][0].update(schemaType="JSON"))
    changed = edit(changed, "pair-K2-schemas-payments-key", lambda p: p["schemas"][0].pop("schemaType"))  # AVRO
    changed = edit(changed, "pair-K2-schemas-payments-value", lambda p: p["schemas"][0].update(schema='"string"'))
    changed = edit(changed, "pair-K1-schemas-shipments-value", lambda p: p.update(compatibility=None))
    versions = ("has different versions in the two registries (1 in K1's, 1 in K2's, first difference at version "
                "1): the same versions in the same order give the same IDs on both sides")
    assert run(checks.parity, changed, prod_ctx).violations == [
        ("subject 'customers-value' is registered in K2's registry only: MM2 copies the schema ID in each record, "
         "so K1's registry must hold the same subject with the same IDs; declare it for both registries",
         named(prod_res, "pair-K2-schemas-customers-value").urn),
        (f"subject 'orders-value' {versions}", named(prod_res, "pair-K2-schemas-orders-value").urn),
        (f"subject 'payments-value' {versions}", named(prod_res, "pair-K2-schemas-payments-value").urn),
        ("subject 'shipments-value' has compatibility registry default in K1's registry and BACKWARD in K2's: a "
         "version accepted on one side could be refused on the other",
         named(prod_res, "pair-K2-schemas-shipments-value").urn),
    ]
    unknown = [replace(r, props={**r.props, "compatibility": UNKNOWN, "schemas": UNKNOWN})
               if r.name == "pair-K1-schemas-orders-value" else r for r in prod_res]
    assert run(checks.parity, unknown, prod_ctx).violations == []  # not known in a preview: not compared
    assert run(checks.parity, without(prod_res, "pair-K2-schemas-payments-key"), prod_ctx).messages == [
        "subject 'payments-key' is registered in K1's registry only: MM2 copies the schema ID in each record, so "
        "K2's registry must hold the same subject with the same IDs; declare it for both registries"]


def test_durability_messages_in_full_and_the_spellings_kafka_accepts(prod_res, prod_ctx):
    c = edit_config(prod_res, "pair-mirror-mm2-k1-k2-source", **{
        "producer.override.acks": "-1", "producer.override.enable.idempotence": "TRUE"})  # both mean all / on
    c = edit_config(c, "pair-mirror-mm2-k2-k1-source", **{
        "producer.override.acks": "ALL", "producer.override.enable.idempotence": None,
        "offset-syncs.topic.replication.factor": "2"})
    c = edit_config(c, "pair-mirror-mm2-k1-k2-checkpoint", **{"checkpoints.topic.replication.factor": "1"})
    c = edit_config(c, "pair-mirror-mm2-k2-k1-checkpoint", **{"checkpoints.topic.replication.factor": None})  # 3
    c = edit_config(c, "pair-mirror-mm2-k1-k2-heartbeat", **{"heartbeats.topic.replication.factor": "2"})
    c = edit_config(c, "pair-mirror-mm2-k2-k1-heartbeat", **{"producer.override.acks": "0"})
    c = edit_config(c, "pair-K1-topic-orders", **{"min.insync.replicas": "1", "unclean.leader.election.enable": "TRUE"})
    c = edit(c, "pair-K2-topic-payments", lambda p: p.pop("replicationFactor"))
    factor = "the topics MM2 creates need a replication factor of at least 3"
    assert [(m, u.rsplit("::", 1)[-1]) for m, u in run(checks.durability, c, prod_ctx).violations] == [
        ("topic 'orders' on K1 has min.insync.replicas 1: an acks=all write is acknowledged by a single replica; set "
         "it to at least 2", "pair-K1-topic-orders"),
        ("topic 'orders' on K1 enables unclean leader election: an out-of-sync replica can become leader and drop "
         "acknowledged writes; set unclean.leader.election.enable=false", "pair-K1-topic-orders"),
        ("topic 'payments' on K2 does not set its replication factor (the broker default applies); set it to at "
         "least 3", "pair-K2-topic-payments"),
        (f"connector mm2-k1-k2-checkpoint has checkpoints.topic.replication.factor=1: {factor}",
         "pair-mirror-mm2-k1-k2-checkpoint"),
        (f"connector mm2-k1-k2-heartbeat has heartbeats.topic.replication.factor=2: {factor}",
         "pair-mirror-mm2-k1-k2-heartbeat"),
        ("connector mm2-k2-k1-heartbeat has producer.override.acks=0: MM2 must write to the target with acks=all, "
         "or a broker failure loses mirrored records", "pair-mirror-mm2-k2-k1-heartbeat"),
        ("connector mm2-k2-k1-source does not enable producer.override.enable.idempotence: retries would write "
         "duplicates to the target", "pair-mirror-mm2-k2-k1-source"),
        (f"connector mm2-k2-k1-source has offset-syncs.topic.replication.factor=2: {factor}",
         "pair-mirror-mm2-k2-k1-source"),
    ]


def messages(check: Callable[[CheckArgs, Any], None], resources: list[Res], context: PolicyContext) -> list[tuple]:
    return [(u.rsplit("::", 1)[-1] if u else None, m) for m, u in run(check, resources, context).violations]


def test_prefixes_mirroring_and_security_messages_in_full(prod_res, prod_ctx):
    named_like = add_topic(add_topic(add_topic(prod_res, "K1", "_schemas"), "K2", "K1.orders"), "K1", "K1.audit")
    assert messages(checks.prefixes, named_like, prod_ctx) == [
        ("pair-K1-topic-_schemas", "topic '_schemas' on K1 is an MM2/Connect/registry internal topic name: MM2, "
         "Connect or the registry own such names and MM2 skips or mixes them; rename the local topic"),
        ("pair-K2-topic-K1.orders", "topic 'K1.orders' on K2 is MM2's remote copy of K1's 'orders' and is declared "
         "as a Pulumi resource: MM2 creates remote topics and syncs their partitions and configs; remove the "
         "resource (the toolkit only expects remote topics)"),
        ("pair-K1-topic-K1.audit", "topic 'K1.audit' on K1 starts with the cluster alias 'K1' and the separator '.', "
         "so MM2 treats it as a remote topic of K1 (never replicated, mixed with mirrored data); rename it without "
         "the prefix"),
    ]
    flows = edit_config(prod_res, "pair-mirror-mm2-k1-k2-source", **{"replication.policy.separator": "_"})
    flows = edit_config(flows, "pair-mirror-mm2-k2-k1-checkpoint", **{"topics": ".*", "topics.exclude": "__.*"})
    internal = ("'_schemas', 'connect-configs', 'connect-offsets', 'connect-status', 'mm2-offset-syncs.K1.internal', "
                "'K1.checkpoints.internal', 'mm2-configs.K1.internal', 'mm2-offset-syncs.K2.internal', "
                "'K2.checkpoints.internal', 'mm2-configs.K2.internal'")
    assert messages(checks.mirroring, without(flows, "pair-mirror-mm2-k2-k1-heartbeat"), prod_ctx) == [
        (None, "MM2 flow K2->K1 has no heartbeat connector: active-active needs both flows complete (records, "
         "consumer offsets and heartbeats from K2 to K1)"),
        (None, "the MM2 connectors use different separators ['.', '_']: remote topic names, and which topics MM2 "
         "treats as remote, must be the same in both directions"),
        ("pair-mirror-mm2-k2-k1-checkpoint", f"connector mm2-k2-k1-checkpoint would mirror internal topics "
         f"[{internal}]: registry, Connect and MM2 topics must stay on their cluster; narrow `topics` and add them "
         "to topics.exclude"),
    ]
    one_url = [replace(r, props={**r.props, "url": "https://connect.example.com/"}) if r.type == CONNECTOR else r
               for r in prod_res]
    assert messages(checks.mirroring, one_url, replace(prod_ctx, connect_urls={})) == [
        (None, "connectors of both flows (K1 and K2 as targets) run on the same Connect https://connect.example.com: "
         "each flow runs on the Connect cluster of its target")]
    clear = edit_config(prod_res, "pair-mirror-mm2-k1-k2-source", **{
        "source.cluster.security.protocol": None, "producer.override.security.protocol": "PLAINTEXT"})
    assert messages(checks.security, clear, prod_ctx) == [
        ("pair-mirror-mm2-k1-k2-source", "connector mm2-k1-k2-source connects in clear text "
         "(source.cluster.security.protocol=PLAINTEXT, producer.override.security.protocol=PLAINTEXT): MM2's "
         "credentials and records cross the network unencrypted; use SASL_SSL")]


def test_every_check_passes_the_derived_pair_with_another_separator(prod):
    """Parity too: MM2 names its offset-syncs and checkpoints topics with the separator (mm2-offset-syncs_K1_internal),
    so the derived grants on them are the same on both clusters modulo the aliases."""
    underscored = replace(prod, mirror=replace(prod.mirror, separator="_"))
    resources = pair_resources(underscored)
    context = context_for(StackInfo(stack="prod", project="kafka-active-active"))
    for check in ALL_CHECKS:
        assert run(check, resources, context).violations == [], check.__name__
    acl_names = {Acl.from_code(r.props["principal"], code).resource_name
                 for r in resources if r.type == ACL_SET_TYPE for code in r.props["bindings"].values()}
    assert {n for n in acl_names if "offset-syncs" in n} == {"mm2-offset-syncs_K1_internal",
                                                             "mm2-offset-syncs_K2_internal"}


def test_parity_recognises_the_dedicated_workers_group_and_topics(prod):
    """Dedicated MirrorMaker's worker of K2->K1 has group K2-mm2 and topics mm2-*.K2.internal on K1, and K2's
    holds the K1 ones: named with '-' and '.' whatever the separator, and still the same grants on both sides."""
    dedicated = replace(prod, mirror=replace(prod.mirror, runtime="dedicated"))
    resources = pair_resources(dedicated)
    context = context_for(StackInfo(stack="prod", project="kafka-active-active"))
    assert run(checks.parity, resources, context).violations == []
    one_sided = without_acl(resources, "K2", "User:mm2", "READ", "K1-mm2", rtype="GROUP")
    assert messages(checks.parity, one_sided, context) == [
        ("pair-K1-acls-mm2", "ACL 'ALLOW User:mm2 READ on group K2-mm2' on K1 has no "
         "counterpart on K2 (expected it on 'K1-mm2'): both clusters must grant the same access so clients and MM2 "
         "keep working after a failover")]


def test_every_check_follows_the_topologys_separator(prod):
    underscored = replace(prod, mirror=replace(prod.mirror, separator="_"))
    resources = pair_resources(underscored)
    context = context_for(StackInfo(stack="prod", project="kafka-active-active"))
    assert messages(checks.prefixes, add_topic(resources, "K2", "K1_orders"), context) == [
        ("pair-K2-topic-K1_orders", "topic 'K1_orders' on K2 is MM2's remote copy of K1's 'orders' and is declared "
         "as a Pulumi resource: MM2 creates remote topics and syncs their partitions and configs; remove the "
         "resource (the toolkit only expects remote topics)")]
    no_twin = without_acl(resources, "K2", "User:billing", "READ", "K1_orders")
    assert messages(checks.consumers, no_twin, context)[0][0] == "pair-K2-acls-billing"
    assert messages(checks.consumers, no_twin, context)[0][1].startswith(
        "User:billing may read 'orders' on K2 but not its remote twin 'K1_orders'")
    literal = edit_bindings(resources, lambda a: replace(a, pattern_type="LITERAL"))
    assert "may not CREATE/WRITE/DESCRIBE topic 'K1_orders' on K2" in "\n".join(
        m for _, m in messages(checks.mirroring, literal, context))


def test_a_deny_of_all_operations_takes_mm2s_write_back(prod_res, prod_ctx):
    denied = add_acl(prod_res, "K2", "User:mm2", "All", "K1.", pattern="Prefixed", permission="Deny")
    assert sorted({m.split(": the flow")[0] for m in run(checks.mirroring, denied, prod_ctx).messages}) == [
        f"MM2's principal User:mm2 may not CREATE/WRITE/DESCRIBE topic 'K1.{t}' on K2"
        for t in ("customers", "orders", "payments", "shipments")]


def test_an_acl_sets_admin_password_must_be_a_secret(prod_res, prod_ctx):
    name = "pair-K1-acls-billing"
    assert "connection" in named(prod_res, name).secret_paths  # the component marks it so
    assert run(checks.secret_credentials, prod_res, prod_ctx).violations == []
    plain = [replace(r, secret_paths=frozenset()) if r.name == name else r for r in prod_res]
    report = run(checks.secret_credentials, plain, prod_ctx)
    assert report.violations == [(f"the ACL set {name} gets the cluster's admin password as plain text (connection); "
                                  "make it a secret output so the state encrypts it", named(prod_res, name).urn)]


def test_a_plain_pulumi_kafka_acl_is_checked_like_a_binding_in_a_set(prod_res, prod_ctx):
    """A program may still declare `pulumi_kafka.Acl`s of its own (one binding each): the checks see them too."""
    rogue = plain_acl(prod_res, "K2", "rogue", aclPrincipal="User:orders-svc", aclHost="*", aclOperation="Write",
                      aclPermissionType="Allow", aclResourceName="K1.orders", aclResourceType="Topic",
                      resourcePatternTypeFilter="Literal")
    report = run(checks.consumers, rogue, prod_ctx)
    assert report.names() == ["rogue"]
    assert report.messages[0].startswith("User:orders-svc may WRITE 'K1.orders' (literal) on K2")


def per_subject_layout(resources: list[Res]) -> list[Res]:
    """The same stack as the per-subject layout declared it: one `SchemaSubject` per subject beside each pass."""
    out = []
    for r in resources:
        out.append(r)
        if r.type.endswith(":SchemaRegistrationPass"):
            out += [replace(r, urn=r.urn.replace(":SchemaRegistrationPass::", ":SchemaSubject::").replace(
                "-pass", f"-{s['subject']}"), type=r.type.replace("SchemaRegistrationPass", "SchemaSubject"),
                props={**{k: v for k, v in r.props.items() if k != "subjects"}, **s}) for s in r.props["subjects"]]
    return out


def test_subjects_moving_from_their_own_resources_into_the_pass_are_no_deletion(prod_res, prod_ctx):
    """Upgrading drops the `SchemaSubject` resources: the subjects are matched by registry and name, so the
    policy sees them kept; a subject really dropped still is a deletion."""
    old = [r for r in per_subject_layout(prod_res) if not r.type.endswith(":SchemaRegistrationPass")]
    assert len(build_view(old).subjects) == len(build_view(prod_res).subjects) > 2
    assert destructive(old, prod_res, prod_ctx).violations == []
    dropped = destructive(old, without(prod_res, "pair-K2-schemas-customers-value"), prod_ctx)
    assert [m.split(" would")[0] for m in dropped.messages] == ["subject 'customers-value' in K2's registry"]
