"""ActiveActivePair: the whole pair from one topology (both clusters, both registries, both MM2 flows)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components.kafka_cluster import KafkaCluster, KafkaClusterArgs
from components.mirror_flows import MirrorFlows, MirrorFlowsArgs
from components.pulumi_credentials import ClusterCredentials, admin_settings
from components.registry_schemas import RegistrySchemas, RegistrySchemasArgs
from kaa.topology.derive import derive
from kaa.topology.model import Topology


@dataclass
class ActiveActivePairArgs:
    topology: Topology
    credentials: Mapping[str, ClusterCredentials]


class ActiveActivePair(pulumi.ComponentResource):
    def __init__(self, name: str, args: ActiveActivePairArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kafka-aa:index:ActiveActivePair", name, None, opts)
        topology = args.topology
        state = derive(topology)
        own = pulumi.ResourceOptions(parent=self)
        self.clusters = {
            alias: KafkaCluster(
                f"{name}-{alias}",
                KafkaClusterArgs(topology.cluster(alias), state[alias], args.credentials[alias],
                                 topology.mirror.principal, topology.mirror.manage_credentials),
                own,
            )
            for alias in topology.aliases
        }
        first, second = topology.aliases
        registry_urls = [topology.cluster(a).schema_registry for a in topology.aliases]
        self.registries: dict[str, RegistrySchemas] = {}
        for alias, peer in ((first, None), (second, first)):
            self.registries[alias] = RegistrySchemas(
                f"{name}-{alias}-schemas",
                RegistrySchemasArgs(
                    label=alias,
                    url=topology.cluster(alias).schema_registry,
                    subjects=state[alias].subjects,
                    check_urls=registry_urls,
                    check_labels=list(topology.aliases),
                    auth=args.credentials[alias].registry_auth,
                    ca=topology.cluster(alias).security.http_verify,
                    check_auths=[args.credentials[a].registry_auth for a in topology.aliases],
                    check_cas=[topology.cluster(a).security.http_verify for a in topology.aliases],
                    peer=self.registries[peer] if peer else None,
                    peer_label=peer or "",
                    permanent_delete=topology.schema_delete == "permanent",
                    import_ids=topology.schema_ids == "import",
                ),
                own,
            )
        connectors = [c for alias in topology.aliases for c in state[alias].connectors]
        self.mirror = MirrorFlows(
            f"{name}-mirror",
            MirrorFlowsArgs(
                topology,
                connectors,
                {a: args.credentials[a].mm2_password for a in topology.aliases},
                {a: args.credentials[a].connect_auth for a in topology.aliases},
                {a: admin_settings(topology.cluster(a), args.credentials[a]) for a in topology.aliases},
                {a: args.credentials[a].kafka_key_password for a in topology.aliases},
            ),
            pulumi.ResourceOptions(parent=self, depends_on=list(self.clusters.values())),
        )
        self.summary = {
            "clusters": {
                alias: {
                    "topics": [t.name for t in state[alias].topics],
                    "remote_topics": [r.name for r in state[alias].remote_topics],
                    "connectors": [c.name for c in state[alias].connectors],
                    "acls": len(state[alias].acls),
                }
                for alias in topology.aliases
            },
        }
        self.schema_ids = {alias: reg.ids for alias, reg in self.registries.items()}
        self.connector_states = self.mirror.states
        self.register_outputs({"summary": self.summary, "schema_ids": self.schema_ids})
