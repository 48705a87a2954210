"""The bidirectional MM2 deployment: six connectors, each flow on the Connect cluster of its target."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from components.providers.connector import ConnectorProvider
from kaa.mirror.mm2_settings import Connector, jaas_config, resolve_jaas
from kaa.topology.model import Topology


class MirrorConnector(Resource, module="kafka-aa", name="MirrorConnector"):
    state: pulumi.Output[str]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None):
        super().__init__(ConnectorProvider(), name, {"state": None, "worker": None, **props}, opts)


@dataclass
class MirrorFlowsArgs:
    topology: Topology
    connectors: Sequence[Connector]
    mm2_passwords: Mapping[str, pulumi.Input[str | None]]
    connect_auth: Mapping[str, pulumi.Input[Mapping[str, str]] | None] = field(default_factory=dict)


def _secret_config(topology: Topology, connector: Connector,
                   passwords: Mapping[str, pulumi.Input[str | None]]) -> pulumi.Output[dict[str, str]]:
    aliases = list(passwords)

    def build(values: list[str | None]) -> dict[str, str]:
        by_alias = dict(zip(aliases, values, strict=True))
        return resolve_jaas(connector.config, lambda alias: jaas_config(topology, alias, by_alias[alias] or ""))

    return pulumi.Output.secret(pulumi.Output.all(*[passwords[a] for a in aliases]).apply(build))


class MirrorFlows(pulumi.ComponentResource):
    def __init__(self, name: str, args: MirrorFlowsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kafka-aa:index:MirrorFlows", name, None, opts)
        self.connectors: dict[str, MirrorConnector] = {}
        for connector in args.connectors:
            target = args.topology.cluster(connector.runs_on)
            self.connectors[connector.name] = MirrorConnector(
                f"{name}-{connector.name}",
                {
                    "label": connector.runs_on,
                    "url": target.connect,
                    "name": connector.name,
                    "flow": f"{connector.source}->{connector.target}",
                    "config": _secret_config(args.topology, connector, args.mm2_passwords),
                    "require_tasks": connector.kind != "checkpoint",
                    "auth": args.connect_auth.get(connector.runs_on),
                    "ca": target.security.http_verify,
                },
                pulumi.ResourceOptions(parent=self, additional_secret_outputs=["config", "auth"]),
            )
        self.states = {n: c.state for n, c in self.connectors.items()}
        self.register_outputs({"connectors": self.states})
