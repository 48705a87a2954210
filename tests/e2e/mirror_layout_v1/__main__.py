"""The Pulumi program as it was before the twin sets (tests/e2e/test_mirror_upgrade.py deploys it, then upgrades):
`__main__.py` with the MM2 leftovers of that layout, one `MirrorLeftovers` per remote twin and one per cluster for
MM2's own topics, named and wired as that version did (commit 3cee2f4, components/mirror_flows.py): each
connector depends on its flow's twins and on both clusters' MM2 topics. Everything else is today's code, so the
upgrade test changes exactly the leftovers' layout."""
from __future__ import annotations

import pulumi

import components.active_pair
from components.active_pair import ActiveActivePair, ActiveActivePairArgs
from components.mirror_flows import MirrorFlows, MirrorFlowsArgs, MirrorLeftovers
from components.pulumi_credentials import from_config
from components.stack_program import stack_topology
from kaa.mirror.mm2_leftovers import Leftover, mm2_topics, twins
from kaa.topology import naming


class MirrorFlowsV1(MirrorFlows):
    def _guards(self, name: str, args: MirrorFlowsArgs) -> dict[tuple[str, str], list[pulumi.Resource]]:
        topology = args.topology
        connects = [{"url": topology.cluster(a).connect, "auth": args.connect_auth.get(a)} for a in topology.aliases]

        def declare(resource_name: str, cluster: str, topics: tuple[Leftover, ...]) -> MirrorLeftovers:
            return MirrorLeftovers(
                resource_name,
                {"label": cluster, "stack": topology.name, "kafka": args.admin.get(cluster), "connects": connects,
                 "topics": [t.to_props() for t in topics]},
                pulumi.ResourceOptions(parent=self, additional_secret_outputs=["kafka", "connects"]),
            )

        mm2: list[pulumi.Resource] = [declare(f"{name}-mm2-topics-{alias}", alias, mm2_topics(topology, alias))
                                      for alias in topology.aliases]
        out: dict[tuple[str, str], list[pulumi.Resource]] = {}
        for source, target in topology.flows:
            out[(source, target)] = [declare(f"{name}-twin-{target}-{naming.resource_slug(twin.name)}", target,
                                             (twin,)) for twin in twins(topology, source, target)] + mm2
        return out

    def _reapers(self, name: str, args: MirrorFlowsArgs) -> dict[str, pulumi.Resource]:
        return {}


components.active_pair.MirrorFlows = MirrorFlowsV1  # type: ignore[misc]
topology = stack_topology(pulumi.get_stack(), pulumi.Config())
pair = ActiveActivePair(
    "pair", ActiveActivePairArgs(topology, from_config(pulumi.Config(), topology.aliases))
)
pulumi.export("pair", pair.summary)
pulumi.export("schema_ids", pair.schema_ids)
pulumi.export("connectors", pair.connector_states)
