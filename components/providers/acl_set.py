"""An ACL set: every binding one principal holds on one cluster, as one Pulumi resource.

One resource per binding made `pulumi up` pay a step (and a state checkpoint) per ACL, about 19 per topic and
cluster. A set is applied with batched CreateAcls/DeleteAcls (500 bindings a request), and its `bindings` input
is a map keyed by a readable binding (`ALLOW READ topic orders`), so `pulumi preview --diff` and the PR comment
still list each binding added or removed (`+`/`-` per key; the Python SDK's dynamic providers cannot return a
detailed diff, so the engine lists the unchanged bindings too, one line each). After a write the set waits,
bounded, until DescribeAcls lists every binding it holds: a binding the broker has not made visible yet is
waited for, never reported as a failure of a correct request. A set owns only its own bindings: `read` reports
which of them are live (so `pulumi refresh` sees one deleted out of band) and `delete` removes only them.
CreateAcls of a binding that exists is a no-op, so a set adopts bindings created before it (the upgrade from one
resource per binding relies on this).

`connection` holds librdkafka admin settings with the admin password; the component marks it a secret output.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from kaa.clients.kafka_admin import KafkaAdmin, KafkaAdminError
from kaa.polling import poll
from kaa.topology.acls import Acl

VISIBLE_TIMEOUT = 60.0  # seconds a written set may take to be listed in full by DescribeAcls
VISIBLE_INTERVAL = 0.5


def binding_key(acl: Acl) -> str:
    """The binding as the preview shows it (unique per binding of one principal)."""
    return acl.binding


def bindings_map(acls: Iterable[Acl]) -> dict[str, str]:
    """The `bindings` input of a set: readable key -> the binding on one line (`Acl.code`), so a preview lists an
    unchanged binding on one line and a changed one with its `+` or `-`."""
    return {a.binding: a.code() for a in sorted(acls, key=Acl.order)}


def acls_of(props: Mapping[str, Any]) -> set[Acl]:
    principal = str(props.get("principal") or "")
    return {Acl.from_code(principal, str(code)) for code in (props.get("bindings") or {}).values()}


def _admin(props: Mapping[str, Any]) -> KafkaAdmin:
    return KafkaAdmin(dict(props["connection"]), str(props.get("label") or "cluster"))


def wait_listed(admin: KafkaAdmin, principal: str, expected: set[Acl], timeout: float = VISIBLE_TIMEOUT) -> None:
    """Wait (bounded) until DescribeAcls lists every binding of `expected`; name the missing ones otherwise."""
    live = poll(lambda: admin.acls(principal), lambda answer: expected <= answer, timeout, VISIBLE_INTERVAL)
    missing = sorted(expected - live, key=Acl.order)
    if missing:
        shown = "; ".join(a.describe() for a in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise KafkaAdminError(f"{len(missing)} ACL binding(s) of {principal} on {admin.label} were created but are "
                              f"not listed by DescribeAcls after {timeout:.0f} s: {shown}{more}")


def _servers(props: Mapping[str, Any]) -> str:
    return str((props.get("connection") or {}).get("bootstrap.servers", ""))


def _apply(props: Mapping[str, Any], drop: set[Acl], old: Mapping[str, Any] | None = None) -> None:
    """Create the set's bindings the cluster lacks, delete `drop` (from the cluster `old` was on), and wait until
    every binding of the set is listed."""
    admin, wanted = _admin(props), acls_of(props)
    admin.create_acls(wanted - admin.acls(props["principal"]))
    if drop:
        moved = old is not None and _servers(old) != _servers(props)
        (_admin(old) if moved and old is not None else admin).delete_acls(drop)
    wait_listed(admin, props["principal"], wanted, float(props.get("timeout") or VISIBLE_TIMEOUT))


class AclSetProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        _apply(props, set())
        return CreateResult(f"{props['label']}/{props['principal']}", props)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if not props.get("connection"):
            return ReadResult(id_, props)  # nothing to read with (an import without inputs)
        live = _admin(props).acls(props["principal"])
        return ReadResult(id_, {**props, "bindings": bindings_map(acls_of(props) & live)})

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # No property forces a replacement: a replacement would be created first (adopting the live bindings) and
        # the original deleted after it, taking the shared bindings along. An update moves a set instead.
        changes = [k for k in ("label", "principal", "connection") if olds.get(k) != news.get(k)]
        if acls_of(olds) != acls_of(news):
            changes.append("bindings")
        return DiffResult(changes=bool(changes), replaces=[])

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _apply(news, acls_of(olds) - acls_of(news), olds)
        return UpdateResult(news)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        _admin(props).delete_acls(acls_of(props))
