"""The ACL-set provider (components/providers/acl_set.py) against the real K1: create (more bindings than one
request, adopting bindings that already exist), read (sees a binding deleted out of band), update (adds and
removes exactly the changed bindings), delete (removes only the set's bindings, never another principal's or a
binding of the same principal it does not hold)."""
from __future__ import annotations

from components.providers.acl_set import AclSetProvider, bindings_map
from kaa.clients.kafka_admin import BATCH, KafkaAdmin
from kaa.topology.acls import Acl

PRINCIPAL = "User:it-aclset"
NEIGHBOUR = "User:it-aclset-neighbour"


def _acls(principal: str, names: range, operation: str = "READ") -> set[Acl]:
    return {Acl(principal, "TOPIC", "LITERAL", f"it-aclset-{i:04d}", operation) for i in names}


def test_an_acl_set_is_created_read_updated_and_deleted_on_the_real_cluster(
        kafka_settings: dict[str, dict[str, str]]) -> None:
    admin = KafkaAdmin(kafka_settings["K1"], "K1", timeout=60)
    first = _acls(PRINCIPAL, range(BATCH + 20)) | {Acl(PRINCIPAL, "TOPIC", "PREFIXED", "K2.", "READ"),
                                                  Acl(PRINCIPAL, "GROUP", "LITERAL", "it-aclset", "READ")}
    outside = {Acl(PRINCIPAL, "TOPIC", "LITERAL", "it-aclset-not-in-the-set", "WRITE")}  # same principal, not ours
    neighbour = _acls(NEIGHBOUR, range(3))
    adopted = sorted(first)[:5]
    props = {"label": "K1", "principal": PRINCIPAL, "bindings": bindings_map(first),
             "connection": kafka_settings["K1"]}
    second = (first - _acls(PRINCIPAL, range(10))) | _acls(PRINCIPAL, range(3), "DESCRIBE")
    provider = AclSetProvider()
    try:
        admin.create_acls([*adopted, *outside, *neighbour])  # created before the set: adopted, not refused
        created = provider.create(props)
        assert created.id == "K1/User:it-aclset"
        assert admin.acls(PRINCIPAL) == first | outside  # listed in full as soon as create returns

        admin.delete_acls([adopted[0]])  # deleted out of band: `pulumi refresh` sees it gone
        read = provider.read(created.id, dict(created.outs))
        assert set(created.outs["bindings"]) - set(read.outs["bindings"]) == set(bindings_map([adopted[0]]))

        news = {**props, "bindings": bindings_map(second)}
        diff = provider.diff(created.id, dict(read.outs), news)
        assert (diff.changes, diff.replaces) == (True, [])
        provider.update(created.id, dict(read.outs), news)
        assert admin.acls(PRINCIPAL) == second | outside

        provider.delete(created.id, news)
        assert admin.acls(PRINCIPAL) == outside
        assert admin.acls(NEIGHBOUR) == neighbour
    finally:
        admin.delete_acls(first | second | outside | neighbour)
    assert not admin.acls(PRINCIPAL) and not admin.acls(NEIGHBOUR)

