"""ACL bindings each cluster needs, derived from the topology (never hand-written).

Applications: producers write only local topics; consumers read the local topic, its remote twin and their
group. MirrorMaker 2's principal gets the minimum set for a cluster that is the source of one flow and the
target of the other (`mm2_acls` says which connector needs each grant), plus its own Connect workers' group and
topics when it runs outside the pair's Connect (`mirror.runtime` dedicated or strimzi).
"""
from __future__ import annotations

from dataclasses import dataclass

from kaa.topology import naming
from kaa.topology.model import Topology

CLUSTER_RESOURCE = "kafka-cluster"


@dataclass(frozen=True, order=True)
class Acl:
    principal: str
    resource_type: str  # TOPIC | GROUP | CLUSTER
    pattern_type: str  # LITERAL | PREFIXED
    resource_name: str
    operation: str  # READ, WRITE, CREATE, DESCRIBE, DESCRIBE_CONFIGS, ALTER, ALTER_CONFIGS
    host: str = "*"
    permission: str = "ALLOW"

    def order(self) -> tuple[str, ...]:
        """The fields in order, as a sort key: the same order as `<`, which builds two tuples per comparison
        (most of a 3000-topic derive)."""
        return (self.principal, self.resource_type, self.pattern_type, self.resource_name, self.operation, self.host,
                self.permission)

    @property
    def key(self) -> str:
        """Stable identity, used for Pulumi resource names and for diffs."""
        return "|".join((self.principal, self.resource_type, self.pattern_type, self.resource_name, self.operation))

    @property
    def binding(self) -> str:
        """The binding without its principal, as a preview lists it: `ALLOW READ topic orders` (unique per
        binding of one principal)."""
        pattern = "" if self.pattern_type == "LITERAL" else f" ({self.pattern_type.lower()})"
        host = "" if self.host == "*" else f" from {self.host}"
        return f"{self.permission} {self.operation} {self.resource_type.lower()} {self.resource_name}{pattern}{host}"

    def code(self) -> str:
        """The binding without its principal on one line, the name last (it may hold spaces):
        `TOPIC LITERAL READ * ALLOW orders`; `from_code` reads it back."""
        return " ".join((self.resource_type, self.pattern_type, self.operation, self.host, self.permission,
                         self.resource_name))

    @classmethod
    def from_code(cls, principal: str, code: str) -> Acl:
        parts = code.split(" ", 5)
        if len(parts) != 6:
            raise ValueError(f"not an ACL binding code: {code!r} (expected 'TYPE PATTERN OPERATION HOST PERMISSION "
                             "NAME')")
        rtype, pattern, operation, host, permission, name = parts
        return cls(principal, rtype, pattern, name, operation, host, permission)

    def describe(self) -> str:
        pattern = "" if self.pattern_type == "LITERAL" else f" ({self.pattern_type.lower()})"
        return (f"{self.permission} {self.principal} {self.operation} on {self.resource_type.lower()} "
                f"{self.resource_name}{pattern}")


def _grant(principal: str, rtype: str, name: str, ops: tuple[str, ...], pattern: str = "LITERAL") -> list[Acl]:
    return [Acl(principal, rtype, pattern, name, op) for op in ops]


def application_acls(topology: Topology, alias: str) -> list[Acl]:
    other = topology.other(alias).alias
    sep = topology.mirror.separator
    out: list[Acl] = []
    for topic in topology.topics:
        for producer in topic.producers:
            out += _grant(producer, "TOPIC", topic.name, ("WRITE", "DESCRIBE"))
        for consumer in topic.consumers:
            out += _grant(consumer.principal, "TOPIC", topic.name, ("READ", "DESCRIBE"))
            if topic.mirror:
                remote = naming.remote_topic(other, topic.name, sep)
                out += _grant(consumer.principal, "TOPIC", remote, ("READ", "DESCRIBE"))
            out += _grant(consumer.principal, "GROUP", consumer.group, ("READ", "DESCRIBE"))
    return out


def mirror_groups(topology: Topology) -> list[str]:
    """Consumer groups of mirrored topics: the groups MM2 checkpoints and syncs."""
    return sorted({c.group for t in topology.mirrored_topics for c in t.consumers})


def mm2_acls(topology: Topology, alias: str) -> list[Acl]:
    principal = topology.mirror.principal
    other = topology.other(alias).alias
    sep = topology.mirror.separator
    out: list[Acl] = []
    # Source side of alias->other: consume, list and read configs of the local topics.
    for topic in topology.mirrored_topics:
        out += _grant(principal, "TOPIC", topic.name, ("READ", "DESCRIBE", "DESCRIBE_CONFIGS"))
    # heartbeats: replicated by alias->other, written here by the heartbeat connector of other->alias.
    out += _grant(principal, "TOPIC", "heartbeats", ("READ", "WRITE", "CREATE", "DESCRIBE", "DESCRIBE_CONFIGS"))
    # Offset syncs of alias->other live on the source (offset-syncs.topic.location=source).
    out += _grant(principal, "TOPIC", naming.offset_syncs_topic(other),
                  ("READ", "WRITE", "CREATE", "DESCRIBE", "DESCRIBE_CONFIGS"))
    # Target side of other->alias: remote topics, their configs and partitions, checkpoints, remote heartbeats.
    out += _grant(principal, "TOPIC", f"{other}{sep}",
                  ("READ", "WRITE", "CREATE", "DESCRIBE", "DESCRIBE_CONFIGS", "ALTER", "ALTER_CONFIGS"), "PREFIXED")
    # Read source offsets (alias->other checkpoints) and write synced offsets (other->alias).
    for group in mirror_groups(topology):
        out += _grant(principal, "GROUP", group, ("READ", "DESCRIBE"))
    out += _grant(principal, "CLUSTER", CLUSTER_RESOURCE, ("DESCRIBE",))
    # Dedicated MirrorMaker or Strimzi: the Connect worker of other->alias runs as the MM2 principal, joins its
    # group and keeps its config/offset/status topics here, on its target (Connect checks their cleanup policy).
    if topology.mirror.runs_own_workers:
        for worker_topic in naming.mm2_worker_topics(other):
            out += _grant(principal, "TOPIC", worker_topic, ("READ", "WRITE", "CREATE", "DESCRIBE", "DESCRIBE_CONFIGS"))
        out += _grant(principal, "GROUP", naming.mm2_worker_group(other), ("READ",))
    return out


def cluster_acls(topology: Topology, alias: str) -> tuple[Acl, ...]:
    """Every ACL binding `alias` must hold, sorted and without duplicates."""
    return tuple(sorted(set(application_acls(topology, alias) + mm2_acls(topology, alias)), key=Acl.order))
