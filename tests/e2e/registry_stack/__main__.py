"""Both registries' subjects of the topology named by config `stackFile`, wired as `ActiveActivePair` wires them
(the second registry's subjects after the first's, expecting its IDs), and nothing else."""
from pathlib import Path

import pulumi

from components.registry_schemas import RegistrySchemas, RegistrySchemasArgs
from kaa.topology.derive import derive
from kaa.topology.spec import load_topology

topology = load_topology(Path(pulumi.Config().require("stackFile")), name=pulumi.get_stack())
state = derive(topology)
first, second = topology.aliases
urls = [topology.cluster(a).schema_registry for a in topology.aliases]
common = {"check_urls": urls, "check_labels": list(topology.aliases),
          "permanent_delete": topology.schema_delete == "permanent"}
k1 = RegistrySchemas(f"{first}-schemas", RegistrySchemasArgs(label=first, url=urls[0], subjects=state[first].subjects,
                                                             **common))
k2 = RegistrySchemas(f"{second}-schemas", RegistrySchemasArgs(label=second, url=urls[1],
                                                              subjects=state[second].subjects, peer=k1,
                                                              peer_label=first, **common))
pulumi.export("ids", {first: k1.ids, second: k2.ids})
