"""ACL sets derived per cluster: applications (least privilege) and the MM2 principal (the minimum set for a
cluster that is the source of one flow and the target of the other)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from kaa.topology import naming
from kaa.topology.acls import Acl, application_acls, cluster_acls, mm2_acls
from kaa.topology.derive import derive
from kaa.topology.model import Topology

Grant = tuple[str, str, str, str]  # resource type, pattern type, resource name, operation
LOCAL_TOPICS = ("customers", "orders", "payments", "shipments")


def grants(acls: list[Acl] | tuple[Acl, ...], principal: str) -> set[Grant]:
    return {(a.resource_type, a.pattern_type, a.resource_name, a.operation) for a in acls if a.principal == principal}


def topic(name: str, *ops: str, pattern: str = "LITERAL") -> set[Grant]:
    return {("TOPIC", pattern, name, op) for op in ops}


def group(name: str, *ops: str) -> set[Grant]:
    return {("GROUP", "LITERAL", name, op) for op in ops}


def expected_mm2(alias: str, other: str) -> set[Grant]:
    """The MM2 principal's grants on `alias` (source of alias->other, target of other->alias), written out by
    hand so a change in the derivation shows."""
    out: set[Grant] = set()
    for name in LOCAL_TOPICS:  # consumed, listed and config-synced by alias->other
        out |= topic(name, "READ", "DESCRIBE", "DESCRIBE_CONFIGS")
    # Replicated by alias->other, written by other->alias's heartbeat connector. MirrorMaker 2 needs READ, DESCRIBE,
    # WRITE, CREATE; config sync describes every replicated topic's configs, heartbeats included.
    out |= topic("heartbeats", "READ", "DESCRIBE", "WRITE", "CREATE", "DESCRIBE_CONFIGS")
    out |= topic(f"mm2-offset-syncs.{other}.internal", "CREATE", "READ", "WRITE", "DESCRIBE", "DESCRIBE_CONFIGS")
    out |= topic(f"{other}.", "CREATE", "WRITE", "READ", "DESCRIBE", "DESCRIBE_CONFIGS", "ALTER", "ALTER_CONFIGS",
                 pattern="PREFIXED")
    for name in ("analytics-customers", "analytics-orders", "analytics-shipments", "billing"):
        out |= group(name, "DESCRIBE", "READ")
    out.add(("CLUSTER", "LITERAL", "kafka-cluster", "DESCRIBE"))  # no ALTER: ACL sync is off
    return out


@pytest.mark.parametrize(("alias", "other"), [("K1", "K2"), ("K2", "K1")])
def test_mm2_principal_gets_exactly_the_reference_set(local: Topology, alias: str, other: str) -> None:
    assert grants(mm2_acls(local, alias), "User:mm2") == expected_mm2(alias, other)


@pytest.mark.parametrize("runtime", ["dedicated", "strimzi"])
@pytest.mark.parametrize(("alias", "other"), [("K1", "K2"), ("K2", "K1")])
def test_mm2_running_its_own_workers_also_gets_their_group_and_topics(local: Topology, runtime: str, alias: str,
                                                                      other: str) -> None:
    """The worker of other->alias runs on alias (its target) as the MM2 principal: dedicated MirrorMaker's
    group and config/offset/status topics, which the Strimzi render names too."""
    topology = replace(local, mirror=replace(local.mirror, runtime=runtime))
    worker = group(f"{other}-mm2", "READ")
    for kind in ("configs", "offsets", "status"):
        worker |= topic(f"mm2-{kind}.{other}.internal", "READ", "WRITE", "CREATE", "DESCRIBE", "DESCRIBE_CONFIGS")
    assert grants(mm2_acls(topology, alias), "User:mm2") == expected_mm2(alias, other) | worker


def test_mm2_never_writes_or_alters_a_local_topic(local: Topology) -> None:
    for alias in local.aliases:
        for resource_type, _, name, op in grants(mm2_acls(local, alias), "User:mm2"):
            if resource_type == "TOPIC" and name in LOCAL_TOPICS:
                assert op in ("READ", "DESCRIBE", "DESCRIBE_CONFIGS"), (alias, name, op)


PRODUCERS = {"User:orders-svc": "orders", "User:payments-svc": "payments", "User:crm-svc": "customers",
             "User:logistics-svc": "shipments"}


@pytest.mark.parametrize("alias", ["K1", "K2"])
@pytest.mark.parametrize(("principal", "topic_name"), sorted(PRODUCERS.items()))
def test_producers_write_only_their_local_topic(local: Topology, alias: str, principal: str, topic_name: str) -> None:
    assert grants(application_acls(local, alias), principal) == topic(topic_name, "WRITE", "DESCRIBE")


def test_no_application_may_write_a_remote_topic(local: Topology) -> None:
    for alias, state in derive(local).items():
        remote = {r.name for r in state.remote_topics}
        for acl in state.acls:
            if acl.principal == local.mirror.principal or acl.operation != "WRITE":
                continue
            assert acl.resource_name not in remote, acl.describe()
            assert naming.topic_source(acl.resource_name) not in local.aliases, acl.describe()
            assert acl.resource_name in LOCAL_TOPICS, (alias, acl.describe())


@pytest.mark.parametrize(("alias", "other"), [("K1", "K2"), ("K2", "K1")])
def test_consumers_read_local_and_remote_twin_with_their_group(local: Topology, alias: str, other: str) -> None:
    acls = application_acls(local, alias)
    billing: set[Grant] = group("billing", "READ", "DESCRIBE")
    for name in ("orders", "payments", "customers"):
        billing |= topic(name, "READ", "DESCRIBE") | topic(f"{other}.{name}", "READ", "DESCRIBE")
    assert grants(acls, "User:billing") == billing
    analytics: set[Grant] = set()
    for name in ("orders", "customers", "shipments"):
        analytics |= topic(name, "READ", "DESCRIBE") | topic(f"{other}.{name}", "READ", "DESCRIBE")
        analytics |= group(f"analytics-{name}", "READ", "DESCRIBE")
    assert grants(acls, "User:analytics") == analytics


def test_cluster_acls_are_sorted_unique_and_symmetric(local: Topology) -> None:
    k1, k2 = cluster_acls(local, "K1"), cluster_acls(local, "K2")
    assert list(k1) == sorted(set(k1))
    assert len(k1) == len(k2) == 78  # 38 for MM2, 40 for the applications
    assert len({a.key for a in k1}) == len(k1)

    def swap(name: str) -> str:
        for a, b in (("K1", "K2"), ("K2", "K1")):
            if name.startswith(f"{a}.") or name == f"mm2-offset-syncs.{a}.internal":
                return name.replace(a, b, 1)
        return name

    assert {(a.principal, a.resource_type, a.pattern_type, swap(a.resource_name), a.operation) for a in k1} == {
        (a.principal, a.resource_type, a.pattern_type, a.resource_name, a.operation) for a in k2
    }


def test_acls_are_allow_bindings_for_any_host(local: Topology) -> None:
    for acl in cluster_acls(local, "K1"):
        assert (acl.permission, acl.host) == ("ALLOW", "*")


def test_an_acl_describes_itself_with_its_pattern_when_not_literal() -> None:
    assert Acl("User:mm2", "TOPIC", "PREFIXED", "K1.", "WRITE").describe() == (
        "ALLOW User:mm2 WRITE on topic K1. (prefixed)")
    assert Acl("User:billing", "GROUP", "LITERAL", "billing", "READ").describe() == (
        "ALLOW User:billing READ on group billing")
