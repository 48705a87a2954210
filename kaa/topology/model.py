"""The topology model: typed, immutable, free of Pulumi and of any network client.

`Topology` is what a stack file says once `extends` and `defaults` are resolved. The derivation in `derive.py`
turns it into what each cluster must hold.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

SCHEMA_TYPES = ("AVRO", "JSON", "PROTOBUF")
# Where MM2 runs: as connectors on the pair's Kafka Connect clusters, as Kafka's dedicated MirrorMaker
# (`kaa render mm2 --format properties`), or under the Strimzi operator (`--format strimzi`).
MIRROR_RUNTIMES = ("connect", "dedicated", "strimzi")
# How MM2's clients are tuned: `default` keeps Kafka's client defaults; `throughput` batches, compresses and keeps
# five idempotent requests in flight (kaa/mirror/mm2_settings.PROFILES; measured in the README, Benchmarks).
MIRROR_PROFILES = ("default", "throughput")
COMPATIBILITY_LEVELS = (
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
)


@dataclass(frozen=True)
class Security:
    """How clients reach a cluster. Credentials are never here: they come from Pulumi config secrets."""

    protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    ssl_truststore: str | None = None  # the CA (PEM) the brokers' certificates are verified against
    ssl_client_cert: str | None = None  # mTLS: the client certificate (PEM) and its key (PEM, PKCS#8)
    ssl_client_key: str | None = None
    ssl_client_key_encrypted: bool = False  # the key is encrypted PKCS#8: its password comes from config/env
    http_ca: str | None = None  # the CA of the registry's and Connect's HTTPS certificates; default ssl_truststore

    @property
    def uses_sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def http_verify(self) -> str | None:
        """The CA file HTTPS clients of the registry and Connect verify against (None: the system's CAs)."""
        return self.http_ca or self.ssl_truststore


@dataclass(frozen=True)
class Cluster:
    alias: str
    bootstrap_servers: tuple[str, ...]
    schema_registry: str
    connect: str
    security: Security = Security()

    @property
    def bootstrap(self) -> str:
        return ",".join(self.bootstrap_servers)


@dataclass(frozen=True)
class SchemaVersion:
    """One schema file, in the order it must be registered."""

    path: str  # as written in the spec, relative to the stack folder
    schema_type: str
    text: str  # the file content, normalised (stable whitespace) so registries and diffs agree


@dataclass(frozen=True)
class SubjectSpec:
    """A registry subject (TopicNameStrategy: `<topic>-key` / `<topic>-value`) and its ordered versions."""

    subject: str
    versions: tuple[SchemaVersion, ...]
    compatibility: str | None = None


@dataclass(frozen=True)
class Consumer:
    principal: str
    group: str


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    replication_factor: int
    config: Mapping[str, str]
    producers: tuple[str, ...] = ()
    consumers: tuple[Consumer, ...] = ()
    subjects: tuple[SubjectSpec, ...] = ()
    mirror: bool = True


@dataclass(frozen=True)
class MirrorSettings:
    """MM2 settings shared by both flows (one function renders each direction from these)."""

    principal: str = "User:mm2"
    name_prefix: str = "mm2"  # connectors are <prefix>-<source>-<target>-<kind>
    separator: str = "."
    tasks_max: int = 1
    sync_group_offsets: bool = True
    internal_replication_factor: int = 3
    replication_factor: int | None = None  # of remote topics; None = the topics' own factor
    refresh_topics_interval_seconds: int = 60
    refresh_groups_interval_seconds: int = 60
    sync_topic_configs_interval_seconds: int = 300
    emit_checkpoints_interval_seconds: int = 15
    sync_group_offsets_interval_seconds: int = 15
    emit_heartbeats_interval_seconds: int = 5
    offset_lag_max: int = 100
    extra_topics_exclude: tuple[str, ...] = ()
    manage_credentials: bool = True  # create the MM2 principal's SCRAM credential on both clusters
    runtime: str = "connect"  # one of MIRROR_RUNTIMES
    profile: str = "default"  # one of MIRROR_PROFILES

    @property
    def runs_own_workers(self) -> bool:
        """Dedicated MirrorMaker and Strimzi run their own Connect workers as the MM2 principal, which then
        needs each worker's group and config/offset/status topics; on the pair's Connect it needs none."""
        return self.runtime != "connect"


@dataclass(frozen=True)
class Topology:
    """A whole stack: two clusters, the local topics both carry, and the mirror settings."""

    name: str
    source_file: str
    clusters: tuple[Cluster, Cluster]
    topics: tuple[Topic, ...]
    mirror: MirrorSettings = MirrorSettings()
    default_compatibility: str | None = None
    schema_delete: str = "soft"  # `schema_registry.delete`: soft keeps content and IDs; permanent does not
    schema_ids: str = "sequential"  # `schema_registry.ids`: import registers K2 with K1's IDs (IMPORT mode)
    environment: str = "dev"
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def aliases(self) -> tuple[str, str]:
        return (self.clusters[0].alias, self.clusters[1].alias)

    def cluster(self, alias: str) -> Cluster:
        for cluster in self.clusters:
            if cluster.alias == alias:
                return cluster
        raise KeyError(alias)

    def other(self, alias: str) -> Cluster:
        first, second = self.clusters
        return second if first.alias == alias else first

    @property
    def mirrored_topics(self) -> tuple[Topic, ...]:
        return tuple(t for t in self.topics if t.mirror)

    @property
    def flows(self) -> tuple[tuple[str, str], tuple[str, str]]:
        """(source, target) of each MM2 flow."""
        a, b = self.aliases
        return ((a, b), (b, a))
