"""A scenario stack for the policy pack: the real `ActiveActivePair` on the topology named by config `stackFile`,
changed by config `scenario` in ways the spec validator would reject (so only the policies stand in the way).

    compliant           the topology as written
    remote-named-topic  a local topic named `K1.pol-orders`, declared on both clusters        (topic-prefixes)
    one-sided-topic     an extra topic `pol-lonely` on K1 only                                  (cluster-parity)
    unmirrored-topic    `pol-customers` excluded from both MM2 flows without `mirror: false`    (mirroring)
    remote-writer       the orders producer may also WRITE `K1.pol-orders` on K2                (consumer-access)
    plain-credentials   the admin passwords reach the kafka providers as plain strings          (secret-credentials)
"""
import dataclasses
from pathlib import Path

import pulumi
import pulumi_kafka as kafka

from components.active_pair import ActiveActivePair, ActiveActivePairArgs
from components.pulumi_credentials import from_config  # the toolkit, through PYTHONPATH(the tests run a copy of this)
from kaa.topology.model import Topic, Topology
from kaa.topology.spec import load_topology


def remote_named_topic(topology: Topology) -> Topology:
    model = next((t for t in topology.topics if t.name == "pol-orders"), topology.topics[0])
    rogue = Topic(name=f"{topology.aliases[0]}{topology.mirror.separator}{model.name}", partitions=model.partitions,
                  replication_factor=model.replication_factor, config=model.config)
    return dataclasses.replace(topology, topics=(*topology.topics, rogue))


config = pulumi.Config()
scenario = config.get("scenario") or "compliant"
topology = load_topology(Path(config.require("stackFile")), name=pulumi.get_stack())
first, second = topology.aliases
if scenario == "remote-named-topic":
    topology = remote_named_topic(topology)
if scenario == "unmirrored-topic":
    topology = dataclasses.replace(topology, mirror=dataclasses.replace(topology.mirror,
                                                                        extra_topics_exclude=("pol-customers",)))
credentials = from_config(config, topology.aliases)
if scenario == "plain-credentials":
    credentials = {alias: dataclasses.replace(c, admin_password="admin-secret") for alias, c in credentials.items()}
pair = ActiveActivePair("pair", ActiveActivePairArgs(topology, credentials))
if scenario == "one-sided-topic":
    cluster = pair.clusters[first]
    kafka.Topic(f"pair-{first}-topic-pol-lonely", name="pol-lonely", partitions=1, replication_factor=1,
                config={"min.insync.replicas": "1"},
                opts=pulumi.ResourceOptions(parent=cluster, provider=cluster.provider))
if scenario == "remote-writer":
    cluster = pair.clusters[second]
    kafka.Acl(f"pair-{second}-acl-pol-orders-svc-topic-literal-{first.lower()}.pol-orders-write",
              acl_principal="User:pol-orders-svc", acl_host="*", acl_operation="Write", acl_permission_type="Allow",
              acl_resource_name=f"{first}.pol-orders", acl_resource_type="Topic",
              resource_pattern_type_filter="Literal",
              opts=pulumi.ResourceOptions(parent=cluster, provider=cluster.provider))
pulumi.export("scenario", scenario)
