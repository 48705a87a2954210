"""The ACL-set provider's admin calls (components/providers/acl_set.py) against fake clusters: create writes only
the bindings a cluster lacks, update deletes exactly the dropped ones (from the cluster the set was on), read reports
the live part of the set, delete removes only the set's bindings, and every write waits until DescribeAcls lists
the set, bounded by the set's `timeout`. The real pair runs the same calls in
tests/integration/test_acl_set_provider.py."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from components.providers import acl_set
from components.providers.acl_set import AclSetProvider, acls_of, bindings_map, wait_listed
from kaa.clients.kafka_admin import KafkaAdminError
from kaa.topology.acls import Acl

P = "User:app"
READ, WRITE, GROUP = (Acl(P, "TOPIC", "LITERAL", "orders", "READ"), Acl(P, "TOPIC", "LITERAL", "orders", "WRITE"),
                      Acl(P, "GROUP", "LITERAL", "app", "READ"))
OTHER = Acl("User:other", "TOPIC", "LITERAL", "orders", "READ")
K1 = {"bootstrap.servers": "k1:9092", "sasl.password": "pw1"}
K9 = {"bootstrap.servers": "k9:9092", "sasl.password": "pw9"}


class FakeCluster:
    """One cluster's bindings; DescribeAcls lists a new binding only after `hidden_for` more DescribeAcls calls
    (as a loaded broker does), and never one in `never_listed`."""

    def __init__(self, live: Iterable[Acl] = (), hidden_for: int = 0) -> None:
        self.live, self.hidden_for = set(live), hidden_for
        self.new: dict[Acl, int] = {}
        self.never_listed: set[Acl] = set()
        self.calls: list[tuple[str, Any]] = []
        self.clients: list[tuple[dict[str, str], str]] = []

    def listed(self, principal: str | None) -> set[Acl]:
        self.new = {a: n - 1 for a, n in self.new.items()}
        return {a for a in self.live if a.principal == principal and self.new.get(a, 0) <= 0
                and a not in self.never_listed}


class FakeAdmin:
    def __init__(self, cluster: FakeCluster, settings: Mapping[str, str], label: str) -> None:
        self.cluster, self.label = cluster, label
        cluster.clients.append((dict(settings), label))

    def acls(self, principal: str | None = None) -> set[Acl]:
        self.cluster.calls.append(("describe", principal))
        return self.cluster.listed(principal)

    def create_acls(self, acls: Iterable[Acl]) -> None:
        acls = set(acls)
        self.cluster.calls.append(("create", acls))
        for acl in acls - self.cluster.live:
            self.cluster.new[acl] = self.cluster.hidden_for + 1
        self.cluster.live |= acls

    def delete_acls(self, acls: Iterable[Acl]) -> None:
        acls = set(acls)
        self.cluster.calls.append(("delete", acls))
        self.cluster.live -= acls


@pytest.fixture
def clusters(monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeCluster]:
    """bootstrap.servers -> the fake cluster every admin client for it talks to."""
    made: dict[str, FakeCluster] = {}

    def admin(settings: Mapping[str, str], label: str = "cluster") -> FakeAdmin:
        return FakeAdmin(made.setdefault(settings["bootstrap.servers"], FakeCluster()), settings, label)

    monkeypatch.setattr(acl_set, "KafkaAdmin", admin)
    return made


def props(acls: Iterable[Acl], connection: Mapping[str, str] = K1, **more: Any) -> dict[str, Any]:
    """A set's inputs; a wait that never ends fails in 5 s here, not after the 60 s default."""
    return {"label": "K1", "principal": P, "bindings": bindings_map(acls), "connection": dict(connection),
            "timeout": 5, **more}


def test_create_writes_only_the_missing_bindings_then_waits_until_they_are_listed(
        clusters: dict[str, FakeCluster]) -> None:
    clusters["k1:9092"] = FakeCluster([READ, OTHER], hidden_for=2)
    wanted = props([READ, WRITE, GROUP])
    created = AclSetProvider().create(wanted)
    assert (created.id, created.outs) == ("K1/User:app", wanted)
    k1 = clusters["k1:9092"]
    assert k1.calls == [("describe", P), ("create", {WRITE, GROUP}),
                        ("describe", P), ("describe", P), ("describe", P)]  # listed at the third DescribeAcls
    assert k1.live == {READ, WRITE, GROUP, OTHER}
    assert k1.clients == [(K1, "K1")]


def test_a_set_the_cluster_never_lists_fails_after_the_sets_own_timeout(clusters: dict[str, FakeCluster]) -> None:
    clusters["k1:9092"] = FakeCluster()
    clusters["k1:9092"].never_listed = {GROUP}
    with pytest.raises(KafkaAdminError, match=r"^1 ACL binding\(s\) of User:app on K1 were created but are not "
                                              r"listed by DescribeAcls after 1 s: ALLOW User:app READ on group app$"):
        AclSetProvider().create(props([READ, GROUP], timeout=1.2))


def test_an_update_adds_and_deletes_exactly_the_changed_bindings(clusters: dict[str, FakeCluster]) -> None:
    clusters["k1:9092"] = FakeCluster([READ, WRITE, OTHER])
    AclSetProvider().update("K1/User:app", props([READ, WRITE]), props([READ, GROUP]))
    k1 = clusters["k1:9092"]
    assert k1.calls == [("describe", P), ("create", {GROUP}), ("delete", {WRITE}), ("describe", P)]
    assert k1.live == {READ, GROUP, OTHER}


def test_an_update_after_a_password_rotation_deletes_with_the_new_credentials(
        clusters: dict[str, FakeCluster]) -> None:
    """Same cluster, new admin password: the old one may be revoked already, so every call uses the new one."""
    rotated = {**K1, "sasl.password": "pw1-rotated"}
    clusters["k1:9092"] = FakeCluster([READ, WRITE])
    updated = AclSetProvider().update("K1/User:app", props([READ, WRITE]), props([READ], rotated))
    assert updated.outs == props([READ], rotated)
    assert clusters["k1:9092"].calls == [("describe", P), ("create", set()), ("delete", {WRITE}), ("describe", P)]
    assert clusters["k1:9092"].clients == [(rotated, "K1")]


def test_an_update_that_only_adds_deletes_nothing(clusters: dict[str, FakeCluster]) -> None:
    clusters["k1:9092"] = FakeCluster([READ])
    AclSetProvider().update("K1/User:app", props([READ]), props([READ, WRITE]))
    assert [c for c, _ in clusters["k1:9092"].calls] == ["describe", "create", "describe"]


def test_a_set_moved_to_another_cluster_deletes_the_dropped_bindings_where_they_were(
        clusters: dict[str, FakeCluster]) -> None:
    clusters["k1:9092"], clusters["k9:9092"] = FakeCluster([READ, WRITE]), FakeCluster()
    AclSetProvider().update("K1/User:app", props([READ, WRITE]), props([READ], K9, label="K9"))
    k1, k9 = clusters["k1:9092"], clusters["k9:9092"]
    assert k9.calls == [("describe", P), ("create", {READ}), ("describe", P)]
    assert k1.calls == [("delete", {WRITE})]
    assert (k1.clients, k9.clients) == ([(K1, "K1")], [(K9, "K9")])


def test_read_reports_the_live_part_of_the_set_only(clusters: dict[str, FakeCluster]) -> None:
    clusters["k1:9092"] = FakeCluster([READ, GROUP, OTHER])  # WRITE was deleted out of band; GROUP is not ours
    state = props([READ, WRITE])
    read = AclSetProvider().read("K1/User:app", state)
    assert (read.id, read.outs) == ("K1/User:app", {**state, "bindings": bindings_map([READ])})


def test_read_without_a_connection_returns_the_inputs_and_asks_no_cluster(clusters: dict[str, FakeCluster]) -> None:
    state = {"principal": P, "bindings": bindings_map([READ])}
    read = AclSetProvider().read("K1/User:app", state)
    assert (read.id, read.outs) == ("K1/User:app", state)
    assert clusters == {}


def test_delete_removes_only_the_sets_bindings(clusters: dict[str, FakeCluster]) -> None:
    clusters["k1:9092"] = FakeCluster([READ, WRITE, GROUP, OTHER])
    state = props([READ, WRITE])
    del state["label"]
    AclSetProvider().delete("K1/User:app", state)
    assert clusters["k1:9092"].calls == [("delete", {READ, WRITE})]
    assert clusters["k1:9092"].live == {GROUP, OTHER}
    assert clusters["k1:9092"].clients == [(K1, "cluster")]  # an admin client named for a state without a label


def test_a_set_without_principal_or_bindings_holds_nothing() -> None:
    assert acls_of({}) == set()
    assert acls_of({"principal": None, "bindings": None}) == set()
    assert acls_of({"bindings": bindings_map([READ])}) == {Acl("", "TOPIC", "LITERAL", "orders", "READ")}


def test_a_long_list_of_missing_bindings_names_five_and_counts_the_rest() -> None:
    many = {Acl(P, "TOPIC", "LITERAL", f"t{i}", "READ") for i in range(7)}
    cluster = FakeCluster()
    with pytest.raises(KafkaAdminError) as caught:
        wait_listed(FakeAdmin(cluster, K1, "K1"), P, many, timeout=0)  # type: ignore[arg-type]
    shown = "; ".join(f"ALLOW User:app READ on topic t{i}" for i in range(5))
    assert str(caught.value) == (f"7 ACL binding(s) of User:app on K1 were created but are not listed by "
                                 f"DescribeAcls after 0 s: {shown} and 2 more")
    five = sorted(many)[:5]
    with pytest.raises(KafkaAdminError) as caught:
        wait_listed(FakeAdmin(cluster, K1, "K1"), P, set(five), timeout=0)  # type: ignore[arg-type]
    assert str(caught.value).endswith("ALLOW User:app READ on topic t4")
    with pytest.raises(KafkaAdminError) as caught:
        wait_listed(FakeAdmin(cluster, K1, "K1"), P, set(sorted(many)[:6]), timeout=0)  # type: ignore[arg-type]
    assert str(caught.value).endswith("ALLOW User:app READ on topic t4 and 1 more")


def test_the_wait_asks_every_half_second_until_its_bound() -> None:
    cluster = FakeCluster()
    with pytest.raises(KafkaAdminError):
        wait_listed(FakeAdmin(cluster, K1, "K1"), P, {READ}, timeout=1.2)  # type: ignore[arg-type]
    assert 3 <= len(cluster.calls) <= 4  # at 0, 0.5, 1.0 (and 1.5 s): not once, not in a busy loop


def test_the_diff_is_a_change_for_any_input_and_never_a_replacement() -> None:
    olds = props([READ, WRITE])
    provider = AclSetProvider()
    same = provider.diff("K1/User:app", olds, {**olds, "bindings": dict(reversed(olds["bindings"].items()))})
    assert (same.changes, same.replaces) == (False, [])
    for key, value in (("label", "K9"), ("principal", "User:x"), ("connection", K9),
                       ("bindings", bindings_map([READ]))):
        diff = provider.diff("K1/User:app", olds, {**olds, key: value})
        assert (diff.changes, diff.replaces) == (True, []), key
    empty = props([])
    assert provider.diff("K1/User:app", empty, {**empty, "principal": "User:x"}).changes is True
