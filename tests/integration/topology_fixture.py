"""The integration topology applied to the real pair through the toolkit's own clients, and removed again."""
from __future__ import annotations

from kaa.clients.connect_client import ConnectClient
from kaa.clients.kafka_admin import KafkaAdmin
from kaa.clients.pair_access import PairAccess
from kaa.clients.registry_client import RegistryClient
from kaa.direct_apply import ApplyResult, apply_topology
from kaa.leftover_removal import live_connectors, remove_leftovers, stop_connectors
from kaa.mirror.mm2_leftovers import mm2_topics
from kaa.topology import naming
from kaa.topology.derive import derive
from kaa.topology.model import Topology

MM2_PASSWORD = "it-mm2-secret"
APP_USERS = {"it-producer": "it-producer-secret", "it-consumer": "it-consumer-secret"}


def remove(topology: Topology, access: PairAccess) -> None:
    """Delete what `apply` made (connectors first, waiting until Connect has forgotten them), plus the remote
    topics MM2 made for it and MM2's own topics when no other connector on the pair uses them."""
    state = derive(topology)
    connects = [ConnectClient(access[alias].connect) for alias in topology.aliases]
    for alias, client in zip(topology.aliases, connects, strict=True):
        stop_connectors(client, [c.name for c in state[alias].connectors])
    others = live_connectors(connects)
    principals = {topology.mirror.principal} | {p for t in topology.topics for p in t.producers} | {
        c.principal for t in topology.topics for c in t.consumers}
    for alias in topology.aliases:
        admin = KafkaAdmin(access[alias].kafka, alias)
        ours = {t.name for t in topology.topics} | {r.name for r in state[alias].remote_topics
                                                      if r.source_topic != "heartbeats"}
        cycles = {n for n in admin.topics() if any(n.endswith(f".{t.name}") for t in topology.topics)}
        admin.delete_topics(sorted((ours | cycles) & set(admin.topics())))
        if topology.mirror.runtime == "connect":
            remove_leftovers(admin, mm2_topics(topology, alias), others)
        admin.delete_acls([a for a in admin.acls() if a.principal in principals])
        registry = RegistryClient(access[alias].schema_registry)
        for subject in state[alias].subjects:
            registry.delete_subject(subject.subject, permanent=True)


def apply(topology: Topology, access: PairAccess) -> ApplyResult:
    for alias in topology.aliases:
        admin = KafkaAdmin(access[alias].kafka, alias)
        for user, password in APP_USERS.items():
            admin.upsert_scram_user(user, password)
    return apply_topology(topology, access)


def mm2_user(topology: Topology) -> str:
    return naming.principal_name(topology.mirror.principal)
