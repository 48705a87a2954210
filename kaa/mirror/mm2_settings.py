"""MirrorMaker 2 configuration, one function per direction (the other direction swaps the aliases).

Secrets are never values here: a JAAS setting holds the placeholder `${kaa:jaas:<alias>}`, and a client
certificate's PEM keystore the placeholders `${kaa:tls:<alias>:<part>}` (`certificate`, `key`, `key_password`),
which each consumer replaces: the renderers with config-provider references, the Pulumi component and the direct
apply with the files' contents and the key's password, drift with masks.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kaa.topology import naming
from kaa.topology.acls import mirror_groups
from kaa.topology.model import Cluster, Topology

REPLICATION_POLICY = "org.apache.kafka.connect.mirror.DefaultReplicationPolicy"
BYTE_ARRAY = "org.apache.kafka.connect.converters.ByteArrayConverter"
CONNECTOR_CLASSES = {
    "source": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
    "checkpoint": "org.apache.kafka.connect.mirror.MirrorCheckpointConnector",
    "heartbeat": "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector",
}
KINDS = ("source", "checkpoint", "heartbeat")
TOPICS_EXCLUDE = (r".*[\-\.]internal", r".*\.replica", r"__.*", "_schemas", r"connect-.*", r"mm2-.*")
GROUPS_EXCLUDE = (r"console-consumer-.*", r"connect-.*", r"__.*")
JAAS_PLACEHOLDER = "${kaa:jaas:%s}"
PEM_SUFFIXES = (".pem", ".crt", ".cer")
JAAS_PATTERN = re.compile(r"\$\{kaa:jaas:([^}]+)\}")
TLS_PLACEHOLDER = "${kaa:tls:%s:%s}"
TLS_PATTERN = re.compile(r"\$\{kaa:tls:([^}:]+):([a-z_]+)\}")
TLS_PARTS = ("certificate", "key", "key_password")
LOGIN_MODULES = {
    "PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
    "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
}


# The MM2 source task's clients per `mirror.profile`. The task writes through its worker's producer, which Kafka
# Connect builds with one request in flight and no batching delay; `throughput` batches and compresses, keeps five
# idempotent requests in flight (the most idempotence allows while keeping order per partition), and has the
# consumer return bigger batches. acks=all and idempotence are set for every profile.
PROFILES: dict[str, dict[str, dict[str, str]]] = {
    "default": {"producer": {}, "consumer": {}},
    "throughput": {
        "producer": {"batch.size": "262144", "linger.ms": "20", "compression.type": "lz4",
                     "max.in.flight.requests.per.connection": "5"},
        "consumer": {"max.poll.records": "2000", "fetch.min.bytes": "65536", "fetch.max.wait.ms": "100"},
    },
}


def profile_clients(topology: Topology) -> dict[str, dict[str, str]]:
    """`producer` and `consumer` settings of the stack's `mirror.profile` (empty for default)."""
    return PROFILES[topology.mirror.profile]


@dataclass(frozen=True)
class Connector:
    """One of the six MM2 connectors. It runs on the Connect cluster of `runs_on` (always the flow's target)."""

    name: str
    kind: str
    source: str
    target: str
    config: Mapping[str, str]

    @property
    def runs_on(self) -> str:
        return self.target


def jaas_config(topology: Topology, alias: str, password: str) -> str:
    cluster = topology.cluster(alias)
    module = LOGIN_MODULES[cluster.security.sasl_mechanism or "SCRAM-SHA-512"]
    user = naming.principal_name(topology.mirror.principal)
    return f'{module} required username="{user}" password="{password}";'


def resolve_jaas(config: Mapping[str, str], jaas_for: Callable[[str], str]) -> dict[str, str]:
    """Replace every `${kaa:jaas:<alias>}` placeholder with `jaas_for(alias)`."""
    return {k: JAAS_PATTERN.sub(lambda m: jaas_for(m.group(1)), v) for k, v in config.items()}


def resolve_tls(config: Mapping[str, str], tls_for: Callable[[str, str], str]) -> dict[str, str]:
    """Replace every `${kaa:tls:<alias>:<part>}` placeholder with `tls_for(alias, part)`."""
    return {k: TLS_PATTERN.sub(lambda m: tls_for(m.group(1), m.group(2)), v) for k, v in config.items()}


def _topic_list(names: list[str]) -> str:
    return ", ".join(n.replace(".", r"\.") for n in names)


def _client_security(cluster: Cluster, prefix: str) -> dict[str, str]:
    sec = cluster.security
    out = {f"{prefix}security.protocol": sec.protocol}
    if sec.uses_sasl:
        out[f"{prefix}sasl.mechanism"] = sec.sasl_mechanism or "SCRAM-SHA-512"
        out[f"{prefix}sasl.jaas.config"] = JAAS_PLACEHOLDER % cluster.alias
    if sec.ssl_truststore:
        out[f"{prefix}ssl.truststore.location"] = sec.ssl_truststore
        if sec.ssl_truststore.lower().endswith(PEM_SUFFIXES):
            out[f"{prefix}ssl.truststore.type"] = "PEM"  # Kafka's default type is JKS
    if sec.ssl_client_cert and sec.ssl_client_key:
        # mutual TLS: a PEM keystore (the key PKCS#8, encrypted when the stack says so, with ssl.key.password)
        out[f"{prefix}ssl.keystore.type"] = "PEM"
        out[f"{prefix}ssl.keystore.certificate.chain"] = TLS_PLACEHOLDER % (cluster.alias, "certificate")
        out[f"{prefix}ssl.keystore.key"] = TLS_PLACEHOLDER % (cluster.alias, "key")
        if sec.ssl_client_key_encrypted:
            out[f"{prefix}ssl.key.password"] = TLS_PLACEHOLDER % (cluster.alias, "key_password")
    return out


def remote_replication_factor(topology: Topology) -> int:
    if topology.mirror.replication_factor is not None:
        return topology.mirror.replication_factor
    return max((t.replication_factor for t in topology.mirrored_topics), default=1)


def flow_settings(topology: Topology) -> dict[str, dict[str, str]]:
    """Per connector kind, the MM2 settings that are the same in both directions (and in every render)."""
    m = topology.mirror
    topics = _topic_list([t.name for t in topology.mirrored_topics])
    groups = mirror_groups(topology)
    # MM2 joins its own internal topics' names with the separator (naming.checkpoints_topic): exclude those too
    own_internal = () if m.separator in (".", "-") else (f".*{re.escape(m.separator)}internal",)
    exclude = ", ".join(TOPICS_EXCLUDE + own_internal + m.extra_topics_exclude)
    irf = str(m.internal_replication_factor)
    shared = {
        "replication.policy.class": REPLICATION_POLICY,
        "replication.policy.separator": m.separator,
    }
    return {
        "source": {
            **shared,
            "topics": topics,
            "topics.exclude": exclude,
            "replication.factor": str(remote_replication_factor(topology)),
            "offset-syncs.topic.location": "source",
            "offset-syncs.topic.replication.factor": irf,
            "offset.lag.max": str(m.offset_lag_max),
            "sync.topic.configs.enabled": "true",
            "sync.topic.configs.interval.seconds": str(m.sync_topic_configs_interval_seconds),
            "sync.topic.acls.enabled": "false",
            "refresh.topics.enabled": "true",
            "refresh.topics.interval.seconds": str(m.refresh_topics_interval_seconds),
        },
        "checkpoint": {
            **shared,
            "topics": topics,
            "topics.exclude": exclude,
            "groups": _topic_list(groups) if groups else "",
            "groups.exclude": ", ".join(GROUPS_EXCLUDE) if groups else ".*",
            "offset-syncs.topic.location": "source",
            "emit.checkpoints.enabled": "true",
            "emit.checkpoints.interval.seconds": str(m.emit_checkpoints_interval_seconds),
            "sync.group.offsets.enabled": "true" if m.sync_group_offsets else "false",
            "sync.group.offsets.interval.seconds": str(m.sync_group_offsets_interval_seconds),
            "refresh.groups.enabled": "true",
            "refresh.groups.interval.seconds": str(m.refresh_groups_interval_seconds),
            "checkpoints.topic.replication.factor": irf,
        },
        "heartbeat": {
            **shared,
            "emit.heartbeats.enabled": "true",
            "emit.heartbeats.interval.seconds": str(m.emit_heartbeats_interval_seconds),
            "heartbeats.topic.replication.factor": irf,
        },
    }


def flow_connectors(topology: Topology, source: str, target: str) -> tuple[Connector, ...]:
    """The three Kafka Connect connectors of the flow source->target, to run on the target's Connect."""
    src, tgt = topology.cluster(source), topology.cluster(target)
    settings = flow_settings(topology)
    out = []
    for kind in KINDS:
        config: dict[str, str] = {
            "connector.class": CONNECTOR_CLASSES[kind],
            "tasks.max": str(topology.mirror.tasks_max if kind == "source" else 1),
            "source.cluster.alias": source,
            "target.cluster.alias": target,
            "source.cluster.bootstrap.servers": src.bootstrap,
            "target.cluster.bootstrap.servers": tgt.bootstrap,
            **_client_security(src, "source.cluster."),
            **_client_security(tgt, "target.cluster."),
            # Records reach the target through the worker's producer (Kafka Connect builds it from the worker's
            # `producer.*` settings plus these overrides; the worker's override policy must allow them, which
            # Connect's default `All` does): make it write to the target's listener, as the MM2 principal with
            # the stack's TLS settings, durably and without duplicates on retry.
            "producer.override.bootstrap.servers": tgt.bootstrap,
            **_client_security(tgt, "producer.override."),
            "producer.override.acks": "all",
            "producer.override.enable.idempotence": "true",
            "key.converter": BYTE_ARRAY,
            "value.converter": BYTE_ARRAY,
            "header.converter": BYTE_ARRAY,
            **settings[kind],
        }
        if kind == "source":
            clients = profile_clients(topology)
            config.update({f"producer.override.{k}": v for k, v in clients["producer"].items()})
            config.update({f"source.consumer.{k}": v for k, v in clients["consumer"].items()})
        name = naming.connector_name(source, target, kind, topology.mirror.name_prefix)
        out.append(Connector(name, kind, source, target, config))
    return tuple(out)


def all_connectors(topology: Topology) -> tuple[Connector, ...]:
    """The connectors the toolkit puts on the pair's Connect clusters: none when MM2 runs elsewhere
    (`mirror.runtime` dedicated or strimzi), so a stack never runs both."""
    if topology.mirror.runtime != "connect":
        return ()
    return tuple(c for source, target in topology.flows for c in flow_connectors(topology, source, target))
