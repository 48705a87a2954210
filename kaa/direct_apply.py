"""Apply a topology straight through the toolkit's clients, without Pulumi: the same derived state the Pulumi
components declare. Used to prove the derivation against the real pair and to seed test fixtures."""
from __future__ import annotations

from dataclasses import dataclass, field

from kaa.clients.kafka_admin import KafkaAdmin
from kaa.clients.pair_access import PairAccess, keystore_part
from kaa.mirror.mm2_settings import jaas_config, resolve_jaas, resolve_tls
from kaa.schemas.schema_sync import check_parity, import_subject, preflight, refuse_import, sync_subject
from kaa.topology import naming
from kaa.topology.derive import derive
from kaa.topology.model import Topology


@dataclass
class ApplyResult:
    schema_ids: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # alias -> subject -> ids
    connectors: dict[str, str] = field(default_factory=dict)  # name -> state


def apply_kafka(topology: Topology, access: PairAccess) -> None:
    """Topics (create, configs, partitions), ACLs and the MM2 SCRAM credential on both clusters."""
    for alias, state in derive(topology).items():
        admin = KafkaAdmin(access[alias].kafka, alias)
        live = admin.topics()
        admin.create_topics([t for t in state.topics if t.name not in live])
        admin.add_partitions({t.name: t.partitions for t in state.topics
                              if t.name in live and live[t.name].partitions < t.partitions})
        # Topics created just now already carry the spec's configs (and may not be describable yet).
        current = admin.topic_configs([t.name for t in state.topics if t.name in live])
        changes: dict[str, dict[str, str | None]] = {}
        for topic in (t for t in state.topics if t.name in live):
            have = current.get(topic.name, {})
            delta: dict[str, str | None] = {k: v for k, v in topic.config.items() if have.get(k) != v}
            delta.update({k: None for k in have if k not in topic.config})
            if delta:
                changes[topic.name] = delta
        admin.set_topic_configs(changes)
        admin.create_acls(set(state.acls) - admin.acls())
        cluster = topology.cluster(alias)
        if topology.mirror.manage_credentials and (cluster.security.sasl_mechanism or "").startswith("SCRAM"):
            admin.upsert_scram_user(naming.principal_name(topology.mirror.principal), access[alias].mm2_password,
                                    cluster.security.sasl_mechanism or "SCRAM-SHA-512")


def apply_schemas(topology: Topology, access: PairAccess) -> dict[str, dict[str, list[int]]]:
    """Register every subject in the same order in both registries; fail on an ID mismatch."""
    first, second = topology.aliases
    clients = {a: access[a].registry_client(alias=a) for a in topology.aliases}
    ids: dict[str, dict[str, list[int]]] = {first: {}, second: {}}
    importing = topology.schema_ids == "import"
    if importing:
        refuse_import([clients[first], clients[second]])
    for subject in derive(topology)[first].subjects:
        schemas = [{"schema": v.text, "schemaType": v.schema_type} for v in subject.versions]
        preflight(list(clients.values()), subject.subject, schemas, subject.compatibility)
        ids[first][subject.subject] = sync_subject(clients[first], subject.subject, schemas, subject.compatibility)
        ids[second][subject.subject] = (
            import_subject(clients[second], subject.subject, schemas, ids[first][subject.subject],
                           subject.compatibility) if importing
            else sync_subject(clients[second], subject.subject, schemas, subject.compatibility))
        check_parity(subject.subject, ids[first][subject.subject], ids[second][subject.subject],
                     f"{first}'s registry", f"{second}'s registry")
    return ids


def apply_connectors(topology: Topology, access: PairAccess, wait: bool = True) -> dict[str, str]:
    """PUT the six MM2 connectors, each flow on its target's Connect, and wait until they run."""
    out = {}
    for alias, state in derive(topology).items():
        client = access[alias].connect_client()
        for connector in state.connectors:
            config = resolve_tls(
                resolve_jaas(connector.config, lambda a: jaas_config(topology, a, access[a].mm2_password)),
                lambda a, part: keystore_part(topology.cluster(a), part, access[a].kafka.get("ssl.key.password")))
            client.put_config(connector.name, config)
        for connector in state.connectors:
            status = client.wait_running(connector.name, require_tasks=connector.kind != "checkpoint") if wait \
                else client.status(connector.name) or {"connector": {"state": "UNKNOWN"}}
            out[connector.name] = status["connector"]["state"]
    return out


def apply_topology(topology: Topology, access: PairAccess, connectors: bool = True) -> ApplyResult:
    apply_kafka(topology, access)
    result = ApplyResult(schema_ids=apply_schemas(topology, access))
    if connectors:
        result.connectors = apply_connectors(topology, access)
    return result
