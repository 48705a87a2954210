"""Glue between the Pulumi program and the pure model: which stack file a Pulumi stack uses."""
from __future__ import annotations

from pathlib import Path

import pulumi

from components.errors import SpecError
from components.model import Topology
from components.spec import load_topology

ROOT = Path(__file__).resolve().parent.parent


def stack_topology(stack: str, config: pulumi.Config) -> Topology:
    """`stacks/<stack>.yaml`, or the file named by the `stackFile` config key (relative to the project).

    An invalid spec stops the program before any resource is declared, with the same one-line errors as
    `kaa validate`.
    """
    file = ROOT / (config.get("stackFile") or f"stacks/{stack}.yaml")
    try:
        return load_topology(file, name=stack)
    except SpecError as exc:
        raise pulumi.RunError("invalid topology:\n" + "\n".join(exc.problems)) from None
