"""Glue between the Pulumi policy SDK (pulumi-policy 1.21) and the plain checks.

`KaaAnalyzer` is the SDK's analyzer servicer extended through the gRPC methods the engine calls (nothing in the
SDK is patched, nothing is global: each pack instance owns its `PackState`):
- *the stack* (`ConfigureStack`): the request carries the stack name, project and config; the SDK keeps only the
  tags. The state keeps them, and the context (environment, spec intents) is derived once from them.
- *secrets* (`AnalyzeStack`): the engine marks secret values, but the SDK unwraps them before a policy sees them.
  The resources are converted here from the request itself, so `secret-credentials` can tell a secret password
  from a plain one (and values unknown in a preview become `UNKNOWN`).
- *enforcement by environment* (`Configure`, `AnalyzeStack`): the durability and security policies are mandatory
  when the stack's environment is prod (policy config `prodEnforcementLevel`, default mandatory) and keep their
  configured level (default advisory) elsewhere.
The SDK's servicer class is not public: PolicyPack builds its own and serves it forever, so `serve` does what
PolicyPack does with this subclass. Its constructor and gRPC methods are what the tests exercise.
"""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _PolicyAnalyzerServicer

from policy.context import ENVIRONMENTS, PolicyContext, StackInfo, context_for
from policy.resources import SECRET_SIG, SIG_KEY, UNKNOWN, UNKNOWN_WIRE, Res

LEVELS = {"advisory": proto.ADVISORY, "mandatory": proto.MANDATORY}


@dataclass
class PackState:
    """What one running pack knows about the stack and the resources of the current analysis."""

    info: StackInfo = field(default_factory=StackInfo)
    context: PolicyContext = field(default_factory=PolicyContext)
    policy_config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    resources: list[Res] = field(default_factory=list)
    prod_mandatory: set[str] = field(default_factory=set)  # policies mandatory when the environment is prod

    def configure(self, info: StackInfo) -> None:
        self.info = info
        self.context = context_for(info)


def wire_value(value: Any) -> Any:
    """A property as the engine sends it (JSON of the protobuf Struct) -> a plain value: secrets unwrapped,
    preview-unknown values as `UNKNOWN`."""
    if isinstance(value, Mapping):
        if value.get(SIG_KEY) == SECRET_SIG:
            return wire_value(value.get("value"))
        return {k: wire_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire_value(v) for v in value]
    return UNKNOWN if value == UNKNOWN_WIRE else value


def secret_paths(props: Mapping[str, Any]) -> frozenset[str]:
    """Top-level keys whose wire value is a secret."""
    return frozenset(k for k, v in props.items() if isinstance(v, Mapping) and v.get(SIG_KEY) == SECRET_SIG)


def to_res(resource: Any) -> Res:
    """One `AnalyzerResource` of an AnalyzeStack request -> `Res`."""
    props = json_format.MessageToDict(resource.properties)
    has_provider = resource.HasField("provider")
    provider_props = json_format.MessageToDict(resource.provider.properties) if has_provider else {}
    return Res(resource.urn, resource.type, wire_value(props), resource.provider.urn if has_provider else None,
               wire_value(provider_props) if has_provider else None, secret_paths(props),
               secret_paths(provider_props), resource.provider.type if has_provider else "")


class KaaAnalyzer(_PolicyAnalyzerServicer):
    def __init__(self, name: str, version: str, policies: Sequence[StackValidationPolicy], state: PackState,
                 level: EnforcementLevel = EnforcementLevel.MANDATORY):
        super().__init__(name, version, list(policies), level)
        self.state = state
        self.lock = threading.Lock()

    def ConfigureStack(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC method name)
        self.state.configure(StackInfo(
            stack=request.stack, project=request.project, organization=request.organization,
            dry_run=request.dry_run, config=dict(request.config), secret_keys=frozenset(request.config_secret_keys),
        ))
        return super().ConfigureStack(request, context)

    def Configure(self, request: Any, context: Any) -> Any:  # noqa: N802
        self.state.policy_config = {name: json_format.MessageToDict(c.properties)
                                    for name, c in request.policyConfig.items()}
        return super().Configure(request, context)  # type: ignore[no-untyped-call]

    def AnalyzeStack(self, request: Any, context: Any) -> Any:  # noqa: N802
        with self.lock:
            self.state.resources = [to_res(r) for r in request.resources]
            response = super().AnalyzeStack(request, context)  # type: ignore[no-untyped-call]
            for diagnostic in response.diagnostics:
                if diagnostic.policyName in self.state.prod_mandatory:
                    config = self.state.policy_config.get(diagnostic.policyName) or {}
                    if self.state.context.with_config(config).prod:
                        diagnostic.enforcementLevel = LEVELS[str(config.get("prodEnforcementLevel", "mandatory"))]
            return response


def serve(analyzer: KaaAnalyzer) -> None:
    """What PolicyPack does with its own servicer: serve on a loopback port, print it for the engine, wait."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4),
                         options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)])
    analyzer_pb2_grpc.add_AnalyzerServicer_to_server(analyzer, server)
    port = server.add_insecure_port(address="127.0.0.1:0")
    server.start()
    sys.stdout.buffer.write(f"{port}\n".encode())
    sys.stdout.flush()
    try:
        while True:
            time.sleep(24 * 60 * 60)
    except KeyboardInterrupt:
        server.stop(0)


Check = Callable[[list[Res], PolicyContext, ReportViolation], None]

ENVIRONMENT_SCHEMA = PolicyConfigSchema(properties={
    "environment": {"type": "string", "enum": list(ENVIRONMENTS),
                    "description": "override the stack's environment (else its topology file, else its name)"},
    "prodEnforcementLevel": {"type": "string", "enum": ["advisory", "mandatory"],
                             "description": "the level when the environment is prod (default mandatory)"},
})
ALLOW_SCHEMA = PolicyConfigSchema(properties={
    "allow": {"type": "array", "items": {"type": "string"},
              "description": "topics and subjects whose destructive change is accepted for this update"},
})


def stack_policy(state: PackState, name: str, description: str, check: Check,
                 level: EnforcementLevel = EnforcementLevel.MANDATORY, prod_mandatory: bool = False,
                 config_schema: PolicyConfigSchema | None = None) -> StackValidationPolicy:
    """A stack policy over the resources of the current analysis and the stack's context (with this policy's
    config); `prod_mandatory` makes it mandatory when the stack's environment is prod."""
    if prod_mandatory:
        state.prod_mandatory.add(name)

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        context = state.context.with_config(args.get_config() or {})
        check(list(state.resources), context, report_violation)

    return StackValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=level,
        config_schema=config_schema or (ENVIRONMENT_SCHEMA if prod_mandatory else None),
    )
