"""The resources the Pulumi components really register, captured under Pulumi's mocks.

Tests of the components and of the policy pack both start from here, so they check what `components/` declares,
never a hand-kept copy of it. Each registration keeps its URN (with the parent chain), its inputs in wire form,
its provider reference, its parent and the resources it depends on.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor

from kaa.topology.model import Topology
from policy.resources import Res

PROJECT = "kafka-active-active"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # how a secret input looks in its wire form {sig, value}


def credentials(aliases: tuple[str, ...]) -> dict[str, dict[str, str]]:
    return {a: {"adminUsername": "admin", "adminPassword": f"{a}-admin-pw", "mm2Password": f"{a}-mm2-pw"}
            for a in aliases}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(pulumi.runtime.rpc._special_sig_key) == SECRET_SIG


def unwrap_secret(value: Any) -> Any:
    return value["value"] if is_secret(value) else value


@dataclass
class Registration:
    urn: str
    typ: str
    name: str
    inputs: dict[str, Any]
    provider: str | None  # "<provider urn>::<id>"
    parent: str
    dependencies: list[str]


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers like an engine that creates everything: outputs are the inputs, plus the IDs a registry would
    hand out (one counter per registry) and RUNNING connectors."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []
        self.outputs: dict[str, dict[str, Any]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        outputs = dict(args.inputs)
        if args.typ.endswith("SchemaRegistrationPass"):
            outputs["ids"] = {s["subject"]: [900 + i for i in range(len(s["schemas"]))]
                              for s in args.inputs["subjects"]}
        if args.typ.endswith("MirrorConnector"):
            outputs["state"] = "RUNNING"
        self.outputs[args.name] = outputs
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None

    def of_type(self, suffix: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [r for r in self.resources if r.typ.endswith(suffix)]


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, keeping each registration's URN, parent and dependencies."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method's name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            inputs = pulumi.runtime.rpc.deserialize_properties(request.object)
            self.registrations.append(Registration(
                response.urn, request.type, request.name, dict(inputs), request.provider or None, request.parent,
                list(request.dependencies)))
        return response


def start(stack: str, aliases: tuple[str, ...]) -> tuple[RecordingMocks, RecordingMonitor]:
    """Point the Pulumi runtime at fresh mocks, with the credentials as Pulumi config secrets."""
    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config({f"{PROJECT}:credentials": json.dumps(credentials(aliases))},
                                  [f"{PROJECT}:credentials"])
    return mocks, monitor


def declare_pair(topology: Topology) -> Any:
    """`ActiveActivePair("pair", ...)` as __main__.py declares it, credentials from config."""
    from components.active_pair import ActiveActivePair, ActiveActivePairArgs
    from components.pulumi_credentials import from_config

    return ActiveActivePair("pair", ActiveActivePairArgs(topology, from_config(pulumi.Config(), topology.aliases)))


def registered(topology: Topology) -> list[Registration]:
    """Everything the pair registers for `topology`, once every output has resolved."""
    _, monitor = start(topology.name, topology.aliases)

    @pulumi.runtime.test
    def build() -> Any:
        return declare_pair(topology).urn

    build()
    return monitor.registrations


def as_policy_resources(registrations: list[Registration]) -> list[Res]:
    """The registrations as the policy pack sees resources: props with secrets unwrapped (and their names kept
    in `secret_paths`), the provider's inputs beside each child; sorted by name (the engine registers them
    concurrently, so their order is not stable)."""
    by_urn = {r.urn: r for r in registrations}
    out: list[Res] = []
    for r in sorted(registrations, key=lambda r: r.name):
        if r.typ.startswith("kafka-aa:index:"):
            continue  # components hold no properties of their own
        props, secrets = _plain(r.inputs)
        provider_urn = r.provider.rsplit("::", 1)[0] if r.provider else None
        provider = by_urn.get(provider_urn) if provider_urn else None
        provider_props, provider_secrets = _plain(provider.inputs) if provider else (None, frozenset())
        out.append(Res(r.urn, r.typ, props, provider_urn if provider else None, provider_props, secrets,
                       provider_secrets if provider else frozenset()))
    return out


def _plain(inputs: dict[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    props = {k: unwrap_secret(v) for k, v in inputs.items() if not k.startswith("__")}
    return props, frozenset(k for k, v in inputs.items() if is_secret(v) and not k.startswith("__"))
