"""The bidirectional MM2 deployment: six connectors, each flow on the Connect cluster of its target, and the topics
MM2 creates for them (remote twins, its own topics) as `MirrorLeftovers` resources, so a dropped topic's twin and,
on destroy, everything MM2 made go with the stack (components/providers/mirror_leftovers.py)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from components.providers.connector import ConnectorProvider
from components.providers.mirror_leftovers import LeftoverTopicsProvider
from kaa.clients.pair_access import keystore_part
from kaa.mirror.mm2_leftovers import Leftover, mm2_topics, twins
from kaa.mirror.mm2_settings import Connector, jaas_config, resolve_jaas, resolve_tls
from kaa.topology import naming
from kaa.topology.model import Topology


class MirrorConnector(Resource, module="kafka-aa", name="MirrorConnector"):
    state: pulumi.Output[str]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None):
        super().__init__(ConnectorProvider(), name, {"state": None, "worker": None, **props}, opts)


class MirrorLeftovers(Resource, module="kafka-aa", name="MirrorLeftovers"):
    """Topics MM2 makes on one cluster for the stack's flows: deleted once no flow copies them any more."""

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None):
        super().__init__(LeftoverTopicsProvider(), name, dict(props), opts)


@dataclass
class MirrorFlowsArgs:
    topology: Topology
    connectors: Sequence[Connector]
    mm2_passwords: Mapping[str, pulumi.Input[str | None]]
    connect_auth: Mapping[str, pulumi.Input[Mapping[str, str]] | None] = field(default_factory=dict)
    admin: Mapping[str, pulumi.Input[Mapping[str, str]]] = field(default_factory=dict)  # per alias, secret
    key_passwords: Mapping[str, pulumi.Input[str | None]] = field(default_factory=dict)  # encrypted client keys


def _secret_config(topology: Topology, connector: Connector, passwords: Mapping[str, pulumi.Input[str | None]],
                   key_passwords: Mapping[str, pulumi.Input[str | None]]) -> pulumi.Output[dict[str, str]]:
    """The connector's config with its secrets in: the MM2 password in each JAAS line and, for mutual TLS, the
    client certificate, key (and key password) as the PEM keystore's values, read here from the files the stack
    names, so the Connect worker needs no file and no config provider. A secret output: encrypted in the state,
    never shown in a preview."""
    aliases = list(passwords)

    def build(values: list[str | None]) -> dict[str, str]:
        by_alias = dict(zip(aliases, values[:len(aliases)], strict=True))
        keys = dict(zip(aliases, values[len(aliases):], strict=True))
        config = resolve_jaas(connector.config, lambda alias: jaas_config(topology, alias, by_alias[alias] or ""))
        return resolve_tls(config, lambda alias, part: keystore_part(topology.cluster(alias), part, keys[alias]))

    inputs = [passwords[a] for a in aliases] + [key_passwords.get(a) for a in aliases]
    return pulumi.Output.secret(pulumi.Output.all(*inputs).apply(build))


class MirrorFlows(pulumi.ComponentResource):
    def __init__(self, name: str, args: MirrorFlowsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kafka-aa:index:MirrorFlows", name, None, opts)
        self.leftovers = self._leftovers(name, args) if args.connectors else {}
        self.connectors: dict[str, MirrorConnector] = {}
        for connector in args.connectors:
            # Connectors depend on the leftovers of their flow and on MM2's own topics of both clusters: Pulumi
            # then deletes a connector before the topics it writes, so MM2 is stopped before they go.
            flow = (connector.source, connector.target)
            after = [r for key, r in self.leftovers.items() if key[0] in (flow, None)]
            target = args.topology.cluster(connector.runs_on)
            self.connectors[connector.name] = MirrorConnector(
                f"{name}-{connector.name}",
                {
                    "label": connector.runs_on,
                    "url": target.connect,
                    "name": connector.name,
                    "flow": f"{connector.source}->{connector.target}",
                    "config": _secret_config(args.topology, connector, args.mm2_passwords, args.key_passwords),
                    "require_tasks": connector.kind != "checkpoint",
                    "auth": args.connect_auth.get(connector.runs_on),
                    "ca": target.security.http_verify,
                },
                pulumi.ResourceOptions(parent=self, additional_secret_outputs=["config", "auth"], depends_on=after),
            )
        self.states = {n: c.state for n, c in self.connectors.items()}
        self.register_outputs({"connectors": self.states})

    def _leftovers(self, name: str, args: MirrorFlowsArgs) -> dict[tuple[tuple[str, str] | None, str],
                                                                       MirrorLeftovers]:
        """One resource per twin (keyed by its flow), so dropping a topic deletes just its twin, and one per
        cluster for MM2's own topics (keyed None), deleted with the stack."""
        topology = args.topology
        connects = [{"url": topology.cluster(a).connect, "auth": args.connect_auth.get(a),
                     "ca": topology.cluster(a).security.http_verify} for a in topology.aliases]

        def declare(resource_name: str, cluster: str, topics: tuple[Leftover, ...]) -> MirrorLeftovers:
            return MirrorLeftovers(
                resource_name,
                {"label": cluster, "stack": topology.name, "kafka": args.admin.get(cluster), "connects": connects,
                 "topics": [t.to_props() for t in topics]},
                pulumi.ResourceOptions(parent=self, additional_secret_outputs=["kafka", "connects"]),
            )

        out: dict[tuple[tuple[str, str] | None, str], MirrorLeftovers] = {}
        for source, target in topology.flows:
            for twin in twins(topology, source, target):
                out[((source, target), twin.name)] = declare(
                    f"{name}-twin-{target}-{naming.resource_slug(twin.name)}", target, (twin,))
        for alias in topology.aliases:
            out[(None, alias)] = declare(f"{name}-mm2-topics-{alias}", alias, mm2_topics(topology, alias))
        return out
