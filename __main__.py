"""The Pulumi program: load this stack's topology and build the active-active pair."""
import pulumi

from components.active_pair import ActiveActivePair, ActiveActivePairArgs
from components.pulumi_credentials import from_config
from components.stack_program import stack_topology, start_acl_layout_check

acl_layout = start_acl_layout_check()  # reads the state while the topology loads and its endpoints are checked
topology = stack_topology(pulumi.get_stack(), pulumi.Config())
acl_layout.result()  # a state of per-binding ACL resources stops the program here, before anything is declared
pair = ActiveActivePair(
    "pair", ActiveActivePairArgs(topology, from_config(pulumi.Config(), topology.aliases))
)
pulumi.export("pair", pair.summary)
pulumi.export("schema_ids", pair.schema_ids)
pulumi.export("connectors", pair.connector_states)
