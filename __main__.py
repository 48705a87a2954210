"""The Pulumi program: load this stack's topology and build the active-active pair."""
import pulumi

from components.active_pair import ActiveActivePair, ActiveActivePairArgs
from components.pulumi_credentials import from_config
from components.stack_program import refuse_old_acl_layout, stack_topology

refuse_old_acl_layout()
topology = stack_topology(pulumi.get_stack(), pulumi.Config())
pair = ActiveActivePair(
    "pair", ActiveActivePairArgs(topology, from_config(pulumi.Config(), topology.aliases))
)
pulumi.export("pair", pair.summary)
pulumi.export("schema_ids", pair.schema_ids)
pulumi.export("connectors", pair.connector_states)
