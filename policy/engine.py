"""Glue between the Pulumi policy SDK (pulumi-policy 1.21) and the plain checks.

Three things the SDK does not offer, added here with small hooks on its analyzer servicer:
- *secrets*: the engine sends secret values marked as such, but the SDK unwraps them before a policy sees them.
  `keep_secret_paths` records which top-level props were secrets (key `__kaa_secret_paths`) so
  `secret-credentials` can tell a secret password from a plain one.
- *the stack*: ConfigureStack carries the stack name, project and config; the SDK keeps only the tags.
  `STACK` keeps them, and the context (environment, spec intents) is derived once from them.
- *enforcement by environment*: the durability and security policies are mandatory when the stack's environment
  is prod (config `prodEnforcementLevel`, default mandatory) and keep their configured level (default advisory)
  elsewhere.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi_policy.policy as sdk
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.proxy import _DictProxy, _is_unknown, _ListProxy

from policy.context import ENVIRONMENTS, PolicyContext, StackInfo, context_for
from policy.resources import UNKNOWN, Res

SECRET_PATHS = "__kaa_secret_paths"


class Stack:
    """What the engine said about the stack (ConfigureStack), and the context derived from it."""

    info = StackInfo()
    context = PolicyContext()

    @classmethod
    def configure(cls, info: StackInfo) -> None:
        cls.info = info
        cls.context = context_for(info)


def secret_paths(props: Mapping[str, Any]) -> list[str]:
    """Top-level keys whose wire value is a secret."""
    return [k for k, v in props.items() if isinstance(v, Mapping) and v.get(SPECIAL_SIG_KEY) == SPECIAL_SECRET_SIG]


def keep_secret_paths(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def deserialize(props: dict[str, Any], proxy_secrets: bool = False) -> dict[str, Any]:
        out = original(props, proxy_secrets)
        paths = secret_paths(props)
        if paths and not proxy_secrets:
            out[SECRET_PATHS] = paths
        return out

    return deserialize


def install_hooks() -> None:
    """Patch the SDK's servicer once (idempotent)."""
    servicer = sdk._PolicyAnalyzerServicer
    if getattr(servicer, "_kaa_hooked", False):
        return
    setattr(sdk, "deserialize_properties", keep_secret_paths(getattr(sdk, "deserialize_properties")))  # noqa: B009,B010
    configure_stack = servicer.ConfigureStack
    enforcement_level = servicer._get_enforcement_level

    def ConfigureStack(self: Any, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC method name)
        Stack.configure(StackInfo(
            stack=request.stack, project=request.project, organization=request.organization,
            dry_run=request.dry_run, config=dict(request.config), secret_keys=frozenset(request.config_secret_keys),
        ))
        return configure_stack(self, request, context)

    def _get_enforcement_level(self: Any, policy: Any) -> EnforcementLevel:
        level = enforcement_level(self, policy)
        if not getattr(policy, "prod_mandatory", False) or level == EnforcementLevel.DISABLED:
            return level
        config = self._get_policy_config(policy.name) or {}
        if Stack.context.with_config(config).prod:
            return EnforcementLevel(config.get("prodEnforcementLevel", EnforcementLevel.MANDATORY.value))
        return level

    for attribute, value in (("ConfigureStack", ConfigureStack), ("_get_enforcement_level", _get_enforcement_level),
                             ("_kaa_hooked", True)):
        setattr(servicer, attribute, value)


def plain(value: Any) -> Any:
    """The SDK's unknown-checking proxies -> plain dicts and lists, with `UNKNOWN` for preview-unknown values."""
    if isinstance(value, _DictProxy):
        return {k: plain(v) for k, v in value["__target"].items()}
    if isinstance(value, _ListProxy):
        return [plain(v) for v in value["__target"]]
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if _is_unknown(value):
        return UNKNOWN
    return value


def _split(props: Any) -> tuple[dict[str, Any], frozenset[str]]:
    data = plain(props) if props is not None else {}
    paths = data.pop(SECRET_PATHS, None) or []
    return data, frozenset(str(p) for p in paths)


def to_res(resource: PolicyResource) -> Res:
    props, secrets = _split(resource.props)
    provider = resource.provider
    provider_props, provider_secrets = _split(provider.props) if provider is not None else ({}, frozenset())
    return Res(resource.urn, resource.resource_type, props, provider.urn if provider else None,
               provider_props if provider else None, secrets, provider_secrets,
               provider.resource_type if provider else "")


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


def stack_policy(name: str, description: str, check: Check, level: EnforcementLevel = EnforcementLevel.MANDATORY,
                 prod_mandatory: bool = False, config_schema: PolicyConfigSchema | None = None,
                 remediation: str | None = None) -> StackValidationPolicy:
    """A stack policy over the converted resources and the stack's context (with this policy's config)."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        context = Stack.context.with_config(args.get_config() or {})
        check([to_res(r) for r in args.resources], context, report_violation)

    policy = StackValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=level,
        config_schema=config_schema or (ENVIRONMENT_SCHEMA if prod_mandatory else None),
        remediation_steps=remediation,
    )
    policy.prod_mandatory = prod_mandatory  # type: ignore[attr-defined]
    return policy
