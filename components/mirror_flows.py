"""The bidirectional MM2 deployment: six connectors, each flow on the Connect cluster of its target, and the topics
MM2 creates for them (remote twins, its own topics) as two resources per cluster, so a dropped topic's twin and,
on destroy, everything MM2 made go with the stack: a guard the connectors depend on (deleted after them) and a
reaper that depends on them (updated after them) (components/providers/mirror_twin_sets.py)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from components.providers.connector import ConnectorProvider
from components.providers.mirror_leftovers import LeftoverTopicsProvider
from components.providers.mirror_twin_sets import TwinGuardProvider, TwinReaperProvider
from kaa.clients.pair_access import keystore_part
from kaa.mirror.mm2_settings import Connector, jaas_config, resolve_jaas, resolve_tls
from kaa.mirror.twin_sets import held_on
from kaa.topology.model import Topology


class MirrorConnector(Resource, module="kafka-aa", name="MirrorConnector"):
    state: pulumi.Output[str]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None):
        super().__init__(ConnectorProvider(), name, {"state": None, "worker": None, **props}, opts)


class MirrorLeftovers(Resource, module="kafka-aa", name="MirrorLeftovers"):
    """The previous layout (one per twin, one per cluster for MM2's own topics): no longer declared; kept so the
    frozen old layout of tests/e2e/mirror_layout_v1 declares what stacks made with it hold."""

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None):
        super().__init__(LeftoverTopicsProvider(), name, dict(props), opts)


class MirrorTwinGuard(Resource, module="kafka-aa", name="MirrorTwinGuard"):
    """The topics MM2 makes on one cluster, before the connectors: removed on destroy, once they are gone."""

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None):
        super().__init__(TwinGuardProvider(), name, dict(props), opts)


class MirrorTwinReaper(Resource, module="kafka-aa", name="MirrorTwinReaper"):
    """The same topics, after the connectors: a twin dropped from the spec is removed once they stop copying it."""

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None):
        super().__init__(TwinReaperProvider(), name, dict(props), opts)


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
        # What each flow's connectors depend on: Pulumi creates it first and, on destroy, deletes it after them.
        self.guards = self._guards(name, args) if args.connectors else {}
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
                    "config": _secret_config(args.topology, connector, args.mm2_passwords, args.key_passwords),
                    "require_tasks": connector.kind != "checkpoint",
                    "auth": args.connect_auth.get(connector.runs_on),
                    "ca": target.security.http_verify,
                },
                pulumi.ResourceOptions(parent=self, additional_secret_outputs=["config", "auth"],
                                       depends_on=self.guards.get((connector.source, connector.target), [])),
            )
        self.reapers = self._reapers(name, args) if args.connectors else {}
        self.states = {n: c.state for n, c in self.connectors.items()}
        self.register_outputs({"connectors": self.states})

    def _props(self, args: MirrorFlowsArgs, alias: str) -> dict[str, Any]:
        topology = args.topology
        connects = [{"url": topology.cluster(a).connect, "auth": args.connect_auth.get(a),
                     "ca": topology.cluster(a).security.http_verify} for a in topology.aliases]
        return {"label": alias, "stack": topology.name, "kafka": args.admin.get(alias), "connects": connects,
                "topics": [t.to_props() for t in held_on(topology, alias)]}

    def _guards(self, name: str, args: MirrorFlowsArgs) -> dict[tuple[str, str], list[pulumi.Resource]]:
        """Per flow, what its connectors depend on: both clusters' guards (MM2's own topics on a cluster serve
        both flows, so each guard goes only after every connector is gone)."""
        guards: list[pulumi.Resource] = [
            MirrorTwinGuard(f"{name}-twins-guard-{alias}", self._props(args, alias),
                            pulumi.ResourceOptions(parent=self, additional_secret_outputs=["kafka", "connects"]))
            for alias in args.topology.aliases]
        return {flow: guards for flow in args.topology.flows}

    def _reapers(self, name: str, args: MirrorFlowsArgs) -> dict[str, pulumi.Resource]:
        """Per cluster, the reaper: it depends on every connector, so its update comes after theirs."""
        after = list(self.connectors.values())
        return {alias: MirrorTwinReaper(
            f"{name}-twins-reaper-{alias}", self._props(args, alias),
            pulumi.ResourceOptions(parent=self, additional_secret_outputs=["kafka", "connects"], depends_on=after))
            for alias in args.topology.aliases}
