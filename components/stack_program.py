"""Glue between the Pulumi program and the pure model: which stack file a Pulumi stack uses."""
from __future__ import annotations

from pathlib import Path

import pulumi

from kaa.clients.pair_access import PairAccess
from kaa.clients.reachability import unreachable_parts
from kaa.errors import SpecError
from kaa.redaction import scrub
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology

ROOT = Path(__file__).resolve().parent.parent


def stack_topology(stack: str, config: pulumi.Config) -> Topology:
    """`stacks/<stack>.yaml`, or the file named by the `stackFile` config key (relative to the project).

    An invalid spec, or a cluster, registry or Connect worker that does not answer its authenticated call (a
    metadata request, GET /subjects, GET /connectors with the stack's credentials and CA), stops the program
    before any resource is declared (so nothing changes), with one line per problem. Config
    `skipReachabilityCheck: true` turns the reachability check off (e.g. a preview from a machine without access).
    """
    file = ROOT / (config.get("stackFile") or f"stacks/{stack}.yaml")
    try:
        topology = load_topology(file, name=stack)
    except SpecError as exc:
        raise pulumi.RunError("invalid topology:\n" + "\n".join(exc.problems)) from None
    if not config.get_bool("skipReachabilityCheck"):
        # the same credentials the resources use (config `credentials`, a secret object read in plain here,
        # never printed), each overridable by its KAA_<ALIAS>_* environment variable
        access = PairAccess.from_config(topology, config.get_object("credentials") or {})
        problems = [scrub(line, access.secrets()) for line in unreachable_parts(topology, access)]
        if problems:
            raise pulumi.RunError("parts of the pair cannot be reached:\n" + "\n".join(problems))
    return topology
