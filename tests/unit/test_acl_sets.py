"""ACL sets (components/providers/acl_set.py) as the components declare them under Pulumi's mocks: one set per
principal and cluster, a diff that names each binding added or removed, no replacement, the admin connection as a
secret with the cluster's TLS settings, and the bounded wait until DescribeAcls lists a written set."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from components.providers import acl_set
from components.providers.acl_set import AclSetProvider, acls_of, binding_key, wait_listed
from kaa.clients.kafka_admin import KafkaAdminError
from kaa.topology.acls import Acl
from kaa.topology.derive import derive
from kaa.topology.model import Consumer, Security, Topology
from kaa.topology.spec import load_topology
from tests.component_capture import is_secret, registered, unwrap_secret

ROOT = Path(__file__).resolve().parents[2]


def sets_of(topology: Topology) -> dict[str, dict[str, Any]]:
    """Set name -> its inputs (secrets unwrapped), as the components register them."""
    return {r.name: {k: unwrap_secret(v) for k, v in r.inputs.items() if not k.startswith("__")}
            for r in registered(topology) if r.typ.endswith(":AclSet")}


@pytest.fixture(scope="module")
def local() -> Topology:
    return load_topology(ROOT / "stacks" / "local.yaml")


def test_a_topology_change_is_a_diff_of_exactly_the_bindings_it_adds_and_removes(local):
    orders = next(t for t in local.topics if t.name == "orders")
    # billing stops consuming orders; a new consumer (its own set) starts.
    changed_orders = replace(orders, consumers=(*[c for c in orders.consumers if c.principal != "User:billing"],
                                                Consumer("User:fraud", "fraud")))
    changed = replace(local, topics=tuple(changed_orders if t.name == "orders" else t for t in local.topics))
    before, after = sets_of(local), sets_of(changed)
    assert "pair-K1-acls-fraud" not in before and "pair-K1-acls-fraud" in after  # a new set: a create
    provider = AclSetProvider()
    for alias, (old_state, new_state) in {a: (derive(local)[a], derive(changed)[a]) for a in local.aliases}.items():
        for principal in ("User:billing", "User:mm2", "User:orders-svc"):
            name = f"pair-{alias}-acls-{principal.split(':')[1]}"
            olds, news = before[name], after[name]
            diff = provider.diff(f"{alias}/{principal}", olds, news)
            removed = {binding_key(a) for a in set(old_state.acls) - set(new_state.acls) if a.principal == principal}
            added = {binding_key(a) for a in set(new_state.acls) - set(old_state.acls) if a.principal == principal}
            # The preview shows the `bindings` map's keys: one line per binding added or removed.
            assert set(olds["bindings"]) - set(news["bindings"]) == removed, (alias, principal)
            assert set(news["bindings"]) - set(olds["bindings"]) == added, (alias, principal)
            assert diff.changes is bool(removed or added), (alias, principal)
            assert diff.replaces == []
        billing = before[f"pair-{alias}-acls-billing"]["bindings"].keys() - after[f"pair-{alias}-acls-billing"][
            "bindings"].keys()
        assert "ALLOW READ topic orders" in billing and "ALLOW DESCRIBE topic orders" in billing


def test_a_set_with_the_same_bindings_is_no_change_and_nothing_forces_a_replacement(local):
    sets = sets_of(local)
    olds = sets["pair-K1-acls-mm2"]
    provider = AclSetProvider()
    reordered = {**olds, "bindings": dict(reversed(list(olds["bindings"].items())))}
    assert provider.diff("id", olds, reordered).changes is False
    for key, value in (("principal", "User:other"), ("label", "K9"),
                       ("connection", {**olds["connection"], "sasl.password": "rotated"})):
        diff = provider.diff("id", olds, {**olds, key: value})
        assert (diff.changes, diff.replaces) == (True, []), key
    prefixed = next(k for k, code in olds["bindings"].items() if " PREFIXED " in code)
    as_literal = {**olds, "bindings": {**olds["bindings"],
                                       prefixed: olds["bindings"][prefixed].replace(" PREFIXED ", " LITERAL ")}}
    assert provider.diff("id", olds, as_literal).changes is True


def test_binding_keys_are_unique_per_binding_and_codes_read_back():
    acls = [Acl("User:a", t, p, n, o, h, perm) for t in ("TOPIC", "GROUP") for p in ("LITERAL", "PREFIXED")
            for n in ("x", "x.y", "a group with spaces") for o in ("READ", "WRITE") for h in ("*", "10.0.0.1")
            for perm in ("ALLOW", "DENY")]
    assert len({binding_key(a) for a in acls}) == len(acls)
    assert acls_of({"principal": "User:a", "bindings": acl_set.bindings_map(acls)}) == set(acls)
    assert acl_set.bindings_map([Acl("User:a", "TOPIC", "PREFIXED", "K1.", "READ")]) == {
        "ALLOW READ topic K1. (prefixed)": "TOPIC PREFIXED READ * ALLOW K1."}
    with pytest.raises(ValueError, match="not an ACL binding code"):
        Acl.from_code("User:a", "TOPIC READ orders")


def test_the_connection_is_a_secret_with_the_clusters_security_settings(local):
    registrations = [r for r in registered(local) if r.typ.endswith(":AclSet")]
    assert registrations and all(is_secret(r.inputs["connection"]) for r in registrations)
    k1 = next(unwrap_secret(r.inputs["connection"]) for r in registrations if r.inputs["label"] == "K1")
    assert k1 == {"bootstrap.servers": "127.0.0.1:19092", "security.protocol": "SASL_PLAINTEXT",
                  "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "admin", "sasl.password": "K1-admin-pw"}
    tls = replace(local, clusters=tuple(
        replace(c, security=Security("SASL_SSL", "SCRAM-SHA-256", "/etc/kafka/ca.pem")) for c in local.clusters))
    k1_tls = next(v["connection"] for v in sets_of(tls).values() if v["label"] == "K1")
    assert (k1_tls["security.protocol"], k1_tls["sasl.mechanism"], k1_tls["ssl.ca.location"]) == (
        "SASL_SSL", "SCRAM-SHA-256", "/etc/kafka/ca.pem")
    mtls = replace(local, clusters=tuple(replace(c, security=Security("SSL", None, "/ca.pem")) for c in local.clusters))
    k1_mtls = next(v["connection"] for v in sets_of(mtls).values() if v["label"] == "K1")
    assert k1_mtls == {"bootstrap.servers": "127.0.0.1:19092", "security.protocol": "SSL",
                       "ssl.ca.location": "/ca.pem"}


class SlowCluster:
    """DescribeAcls that lists a principal's bindings only after `visible_after` answers."""

    def __init__(self, bindings: set[Acl], visible_after: int) -> None:
        self.label, self.bindings, self.visible_after, self.asked = "K1", bindings, visible_after, 0

    def acls(self, principal: str | None = None) -> set[Acl]:
        self.asked += 1
        return {a for a in self.bindings if a.principal == principal} if self.asked > self.visible_after else set()


def test_a_written_set_is_waited_for_until_describe_acls_lists_it():
    wanted = {Acl("User:a", "TOPIC", "LITERAL", "t", "READ"), Acl("User:a", "GROUP", "LITERAL", "g", "READ")}
    cluster = SlowCluster(wanted, visible_after=3)
    wait_listed(cluster, "User:a", wanted, timeout=10)  # type: ignore[arg-type]
    assert cluster.asked == 4


def test_a_set_never_listed_fails_after_the_bounded_wait_naming_the_missing_bindings():
    wanted = {Acl("User:a", "TOPIC", "LITERAL", "t", "READ"), Acl("User:a", "GROUP", "LITERAL", "g", "READ")}
    cluster = SlowCluster({next(iter(sorted(wanted)))}, visible_after=0)
    with pytest.raises(KafkaAdminError) as caught:
        wait_listed(cluster, "User:a", wanted, timeout=1.2)  # type: ignore[arg-type]
    missing = sorted(wanted)[1]
    assert str(caught.value) == (f"1 ACL binding(s) of User:a on K1 were created but are not listed by DescribeAcls "
                                 f"after 1 s: {missing.describe()}")
    assert cluster.asked >= 2
