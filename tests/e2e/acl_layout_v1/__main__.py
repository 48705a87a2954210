"""The Pulumi program as it was before ACL sets (tests/e2e/test_acl_upgrade.py deploys it, then upgrades):
`__main__.py` with the `KafkaCluster` of that layout, one `pulumi_kafka.Acl` per binding, named and parented as
that version named them (commit 21ee453, components/kafka_cluster.py). Everything else is today's code, so the
upgrade test changes exactly the ACL layout."""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kafka as kafka

import components.active_pair
from components.active_pair import ActiveActivePair, ActiveActivePairArgs
from components.pulumi_credentials import ClusterCredentials, from_config
from components.stack_program import stack_topology
from kaa.topology import naming
from kaa.topology.derive import ClusterState
from kaa.topology.model import Cluster

PULUMI_MECHANISMS = {"PLAIN": "plain", "SCRAM-SHA-256": "scram-sha256", "SCRAM-SHA-512": "scram-sha512"}
PULUMI_OPERATIONS = {
    "READ": "Read", "WRITE": "Write", "CREATE": "Create", "DESCRIBE": "Describe", "DESCRIBE_CONFIGS":
    "DescribeConfigs", "ALTER": "Alter", "ALTER_CONFIGS": "AlterConfigs", "DELETE": "Delete", "ALL": "All",
}
slug = naming.resource_slug


@dataclass
class KafkaClusterArgs:
    cluster: Cluster
    state: ClusterState
    credentials: ClusterCredentials
    mm2_principal: str
    manage_mm2_credential: bool = True


class KafkaClusterV1(pulumi.ComponentResource):
    def __init__(self, name: str, args: KafkaClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kafka-aa:index:KafkaCluster", name, None, opts)
        cluster, sec = args.cluster, args.cluster.security
        self.provider = kafka.Provider(
            f"{name}-provider",
            bootstrap_servers=list(cluster.bootstrap_servers),
            tls_enabled=sec.protocol in ("SSL", "SASL_SSL"),
            ca_cert_file=sec.ssl_truststore,
            sasl_mechanism=PULUMI_MECHANISMS[sec.sasl_mechanism] if sec.uses_sasl and sec.sasl_mechanism else None,
            sasl_username=args.credentials.admin_username if sec.uses_sasl else None,
            sasl_password=args.credentials.admin_password if sec.uses_sasl else None,
            timeout=30,
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self, provider=self.provider)
        self.topics = {
            topic.name: kafka.Topic(
                f"{name}-topic-{topic.name}",
                name=topic.name,
                partitions=topic.partitions,
                replication_factor=topic.replication_factor,
                config=dict(topic.config),
                opts=child,
            )
            for topic in args.state.topics
        }
        self.acls = [
            kafka.Acl(
                f"{name}-acl-{slug(naming.principal_name(acl.principal))}-{acl.resource_type.lower()}-"
                f"{acl.pattern_type.lower()}-{slug(acl.resource_name)}-{acl.operation.lower()}",
                acl_principal=acl.principal,
                acl_host=acl.host,
                acl_operation=PULUMI_OPERATIONS[acl.operation],
                acl_permission_type=acl.permission.capitalize(),
                acl_resource_name=acl.resource_name,
                acl_resource_type=acl.resource_type.capitalize(),
                resource_pattern_type_filter=acl.pattern_type.capitalize(),
                opts=child,
            )
            for acl in args.state.acls
        ]
        self.mm2_credential: kafka.UserScramCredential | None = None
        if args.manage_mm2_credential and sec.uses_sasl and (sec.sasl_mechanism or "").startswith("SCRAM"):
            self.mm2_credential = kafka.UserScramCredential(
                f"{name}-scram-{slug(naming.principal_name(args.mm2_principal))}",
                username=naming.principal_name(args.mm2_principal),
                scram_mechanism=sec.sasl_mechanism or "SCRAM-SHA-512",
                password=args.credentials.mm2_password,
                opts=child,
            )
        self.topic_names = sorted(self.topics)
        self.register_outputs({"topics": self.topic_names, "acl_count": len(self.acls)})


components.active_pair.KafkaCluster = KafkaClusterV1  # type: ignore[misc,assignment]
topology = stack_topology(pulumi.get_stack(), pulumi.Config())
pair = ActiveActivePair(
    "pair", ActiveActivePairArgs(topology, from_config(pulumi.Config(), topology.aliases))
)
pulumi.export("pair", pair.summary)
pulumi.export("schema_ids", pair.schema_ids)
pulumi.export("connectors", pair.connector_states)
