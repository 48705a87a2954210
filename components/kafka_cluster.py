"""One cluster's share of the pair: its `pulumi_kafka` provider, the local topics, one ACL set per principal
and (optionally) the MM2 principal's SCRAM credential. Remote topics are MM2's and are never declared here."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kafka as kafka
from pulumi.dynamic import Resource

from components.providers.acl_set import AclSetProvider, bindings_map
from components.pulumi_credentials import ClusterCredentials
from kaa.clients.pair_access import admin_settings
from kaa.topology import naming
from kaa.topology.acls import Acl
from kaa.topology.derive import ClusterState
from kaa.topology.model import Cluster

PULUMI_MECHANISMS = {"PLAIN": "plain", "SCRAM-SHA-256": "scram-sha256", "SCRAM-SHA-512": "scram-sha512"}


class AclSet(Resource, module="kafka-aa", name="AclSet"):
    """Every binding of one principal on one cluster (components/providers/acl_set.py)."""

    bindings: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None):
        super().__init__(AclSetProvider(), name, props, opts)


@dataclass
class KafkaClusterArgs:
    cluster: Cluster
    state: ClusterState
    credentials: ClusterCredentials
    mm2_principal: str
    manage_mm2_credential: bool = True


slug = naming.resource_slug


class KafkaCluster(pulumi.ComponentResource):
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
        settings: pulumi.Output[dict[str, str]] = pulumi.Output.all(
            args.credentials.admin_username, args.credentials.admin_password,
        ).apply(lambda creds: admin_settings(cluster, creds[0], creds[1]))
        connection: pulumi.Output[dict[str, str]] = pulumi.Output.secret(settings)
        by_principal: dict[str, list[Acl]] = {}
        for acl in args.state.acls:
            by_principal.setdefault(acl.principal, []).append(acl)
        self.acl_sets = {
            principal: AclSet(
                f"{name}-acls-{slug(naming.principal_name(principal))}",
                {"label": cluster.alias, "principal": principal, "bindings": bindings_map(acls),
                 "connection": connection},
                pulumi.ResourceOptions(parent=self, additional_secret_outputs=["connection"]),
            )
            for principal, acls in sorted(by_principal.items())
        }
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
        self.register_outputs({"topics": self.topic_names, "acl_count": len(args.state.acls)})
