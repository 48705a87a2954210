"""Per-cluster desired state: what K1 and K2 must each hold, derived from one topology."""
from __future__ import annotations

from dataclasses import dataclass

from kaa.mirror.mm2_settings import Connector, all_connectors
from kaa.topology import naming
from kaa.topology.acls import Acl, cluster_acls
from kaa.topology.model import SubjectSpec, Topic, Topology


@dataclass(frozen=True)
class RemoteTopic:
    """A topic MM2 creates and owns on the target: compared with its source, never managed by Pulumi."""

    name: str
    source_alias: str
    source_topic: str


@dataclass(frozen=True)
class ClusterState:
    alias: str
    topics: tuple[Topic, ...]
    acls: tuple[Acl, ...]
    subjects: tuple[SubjectSpec, ...]
    remote_topics: tuple[RemoteTopic, ...]
    mm2_internal_topics: tuple[str, ...]
    connectors: tuple[Connector, ...]  # those running on this cluster's Connect (flows that target it; none
    # when mirror.runtime is dedicated or strimzi)


def remote_topics_on(topology: Topology, alias: str) -> tuple[RemoteTopic, ...]:
    other = topology.other(alias).alias
    sep = topology.mirror.separator
    names = [t.name for t in topology.mirrored_topics] + ["heartbeats"]
    return tuple(RemoteTopic(naming.remote_topic(other, n, sep), other, n) for n in names)


def mm2_internal_topics_on(topology: Topology, alias: str) -> tuple[str, ...]:
    other = topology.other(alias).alias
    sep = topology.mirror.separator
    return ("heartbeats", naming.checkpoints_topic(other, sep), naming.offset_syncs_topic(other, sep))


def derive(topology: Topology) -> dict[str, ClusterState]:
    """Both clusters' desired state, keyed by alias, in the topology's cluster order."""
    subjects = tuple(s for t in topology.topics for s in t.subjects)
    return {
        alias: ClusterState(
            alias=alias,
            topics=topology.topics,
            acls=cluster_acls(topology, alias),
            subjects=subjects,
            remote_topics=remote_topics_on(topology, alias),
            mm2_internal_topics=mm2_internal_topics_on(topology, alias),
            connectors=tuple(c for c in all_connectors(topology) if c.target == alias),
        )
        for alias in topology.aliases
    }


def registration_order(topology: Topology) -> list[tuple[str, int, str]]:
    """(subject, version index, schema path) in the one order both registries register them.

    Registries give a new schema the next free ID, so the same sequence on both sides yields the same IDs.
    """
    out = []
    for topic in topology.topics:
        for subject in topic.subjects:
            for index, version in enumerate(subject.versions):
                out.append((subject.subject, index, version.path))
    return out
