"""Kafka admin operations the toolkit needs outside Pulumi (apply, drift, tests), batched: one metadata call,
one DescribeConfigs for many topics, one DescribeAcls per cluster; creations and deletions 500 to a request."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    NewPartitions,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from kaa.errors import KaaError, UnreachableError
from kaa.topology.acls import Acl
from kaa.topology.model import Topic

# librdkafka calls the cluster resource BROKER; Kafka and our model call it CLUSTER.
_RESOURCE_TO_CLIENT = {"CLUSTER": "BROKER"}
_RESOURCE_FROM_CLIENT = {"BROKER": "CLUSTER"}


def _rtype(name: str) -> ResourceType:
    return ResourceType[_RESOURCE_TO_CLIENT.get(name, name)]


class KafkaAdminError(KaaError):
    """The cluster refused an admin request."""


@dataclass(frozen=True)
class LiveTopic:
    name: str
    partitions: int
    replication_factor: int


BATCH = 500  # items per create/delete request: KRaft refuses one request that makes over 10000 metadata records


def _batches(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    return (items[i:i + BATCH] for i in range(0, len(items), BATCH))


def _wait(futures: Mapping[Any, Future[Any]], what: str, ignore: tuple[str, ...] = ()) -> dict[Any, Any]:
    out = {}
    for key, future in futures.items():
        try:
            out[key] = future.result()
        except KafkaException as exc:
            error = exc.args[0]
            if getattr(error, "name", lambda: "")() in ignore:
                continue
            raise KafkaAdminError(f"{what} {key}: {error}") from exc
    return out


class KafkaAdmin:
    def __init__(self, settings: Mapping[str, str], label: str = "cluster", timeout: float = 20.0):
        self.label = label
        self.timeout = timeout
        self.admin = AdminClient({**settings, "socket.timeout.ms": int(timeout * 1000)})

    # --- topics -------------------------------------------------------------------------------------------
    def topics(self) -> dict[str, LiveTopic]:
        try:
            metadata = self.admin.list_topics(timeout=self.timeout)
        except KafkaException as exc:
            raise UnreachableError(f"Kafka cluster {self.label} did not answer a metadata request: {exc.args[0]}; "
                                   "check bootstrap servers and credentials") from exc
        out = {}
        for name, meta in metadata.topics.items():
            if meta.error is not None:
                continue
            replicas = max((len(p.replicas) for p in meta.partitions.values()), default=0)
            out[name] = LiveTopic(name, len(meta.partitions), replicas)
        return out

    def topic_configs(self, names: Iterable[str], only_set: bool = True) -> dict[str, dict[str, str]]:
        """Configs of many topics in one DescribeConfigs; `only_set` keeps those set on the topic itself."""
        resources = [ConfigResource(ResourceType.TOPIC, n) for n in names]
        if not resources:
            return {}
        results = _wait(self.admin.describe_configs(resources, request_timeout=self.timeout), "describe configs of")
        out = {}
        for resource, entries in results.items():
            out[resource.name] = {
                k: e.value for k, e in entries.items()
                if not only_set or e.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
            }
        return out

    def create_topics(self, topics: Sequence[Topic]) -> None:
        new = [NewTopic(t.name, t.partitions, t.replication_factor, config=dict(t.config)) for t in topics]
        for batch in _batches(new):
            _wait(self.admin.create_topics(list(batch), request_timeout=self.timeout), "create topic",
                  ignore=("TOPIC_ALREADY_EXISTS",))

    def set_topic_configs(self, changes: Mapping[str, Mapping[str, str | None]]) -> None:
        """Incrementally SET (value) or DELETE (None) config keys of topics."""
        resources = []
        for name, entries in changes.items():
            ops = [
                ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) if v is not None
                else ConfigEntry(k, None, incremental_operation=AlterConfigOpType.DELETE)
                for k, v in entries.items()
            ]
            resources.append(ConfigResource(ResourceType.TOPIC, name, incremental_configs=ops))
        if resources:
            _wait(self.admin.incremental_alter_configs(resources, request_timeout=self.timeout), "alter configs of")

    def add_partitions(self, counts: Mapping[str, int]) -> None:
        if counts:
            _wait(self.admin.create_partitions([NewPartitions(n, c) for n, c in counts.items()],
                                              request_timeout=self.timeout), "add partitions to")

    def delete_topics(self, names: Sequence[str]) -> None:
        for batch in _batches(list(names)):
            _wait(self.admin.delete_topics(list(batch), request_timeout=self.timeout), "delete topic",
                  ignore=("UNKNOWN_TOPIC_OR_PART",))

    # --- ACLs ---------------------------------------------------------------------------------------------
    @staticmethod
    def _binding(acl: Acl) -> AclBinding:
        return AclBinding(_rtype(acl.resource_type), acl.resource_name, ResourcePatternType[acl.pattern_type],
                          acl.principal, acl.host, AclOperation[acl.operation], AclPermissionType[acl.permission])

    def acls(self, principal: str | None = None) -> set[Acl]:
        """Every binding on the cluster, or those of one principal (one DescribeAcls either way)."""
        filt = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, principal, None,  # type: ignore[arg-type]
                                AclOperation.ANY,
                                AclPermissionType.ANY)
        try:
            bindings = self.admin.describe_acls(filt, request_timeout=self.timeout).result()
        except KafkaException as exc:
            raise KafkaAdminError(f"describe ACLs on {self.label}: {exc.args[0]}") from exc
        return {
            Acl(b.principal, _RESOURCE_FROM_CLIENT.get(b.restype.name, b.restype.name), b.resource_pattern_type.name,
                b.name, b.operation.name, b.host, b.permission_type.name)
            for b in bindings
        }

    def create_acls(self, acls: Iterable[Acl]) -> None:
        """Creates the bindings, each once (the client refuses a request that names one twice)."""
        bindings = [self._binding(a) for a in dict.fromkeys(acls)]
        for batch in _batches(bindings):
            _wait(self.admin.create_acls(list(batch), request_timeout=self.timeout), "create ACL")

    def delete_acls(self, acls: Iterable[Acl]) -> None:
        """Deletes the bindings, each named once (the client refuses a request that names one twice)."""
        filters = [
            AclBindingFilter(_rtype(a.resource_type), a.resource_name, ResourcePatternType[a.pattern_type],
                             a.principal, a.host, AclOperation[a.operation], AclPermissionType[a.permission])
            for a in dict.fromkeys(acls)
        ]
        for batch in _batches(filters):
            _wait(self.admin.delete_acls(list(batch), request_timeout=self.timeout), "delete ACL")

    # --- users --------------------------------------------------------------------------------------------
    def upsert_scram_user(self, user: str, password: str, mechanism: str = "SCRAM-SHA-512",
                          iterations: int = 8192) -> None:
        info = ScramCredentialInfo(ScramMechanism[mechanism.replace("-", "_")], iterations)
        upsert = UserScramCredentialUpsertion(user, info, password.encode())
        _wait(self.admin.alter_user_scram_credentials([upsert], request_timeout=self.timeout),
              "set SCRAM credential of")
