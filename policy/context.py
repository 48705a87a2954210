"""What the checks know about the stack besides its resources: its environment and the spec's declared intents.

The environment decides how strict the durability and security policies are (mandatory in prod, advisory
elsewhere). It comes, first match wins, from: the policy config's `environment`; the `environment` of the stack's
topology file (`stackFile` config, else `stacks/<stack>.yaml`); the stack name (`prod`, `eu-prod`, ...); else dev.
The topology also tells which topics opted out of mirroring and each cluster's Connect URL.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kaa.topology import stack_schema

ENVIRONMENTS = stack_schema.enum("environment")  # what a stack file's `environment` may say
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class StackInfo:
    """What the engine tells a policy pack about the stack (ConfigureStack)."""

    stack: str = ""
    project: str = ""
    organization: str = ""
    dry_run: bool = True
    config: Mapping[str, str] = field(default_factory=dict)
    secret_keys: frozenset[str] = frozenset()

    @property
    def qualified(self) -> str:
        if self.organization and self.project:
            return f"{self.organization}/{self.project}/{self.stack}"
        return self.stack


@dataclass(frozen=True)
class PolicyContext:
    environment: str = "dev"
    environment_source: str = "default"
    aliases: tuple[str, ...] = ()
    not_mirrored: frozenset[str] = frozenset()
    connect_urls: Mapping[str, str] = field(default_factory=dict)
    mm2_principal: str | None = None
    dry_run: bool = True
    allow: frozenset[str] = frozenset()  # topics/subjects whose destructive change was accepted (policy config)

    @property
    def prod(self) -> bool:
        return self.environment == "prod"

    def with_config(self, config: Mapping[str, Any]) -> PolicyContext:
        """This context with a policy's own config applied (`environment`, `allow`)."""
        env = config.get("environment")
        allow = frozenset(str(a) for a in config.get("allow") or ())
        if env in ENVIRONMENTS:
            return replace(self, environment=str(env), environment_source="policy config", allow=allow)
        return replace(self, allow=allow)


def environment_of_stack_name(stack: str) -> str | None:
    tokens = re.split(r"[-_./]", stack.lower())
    if "prod" in tokens or "production" in tokens:
        return "prod"
    return stack if stack in ENVIRONMENTS else None


def stack_file(info: StackInfo) -> Path:
    configured = info.config.get(f"{info.project}:stackFile") if info.project else None
    if not configured:
        configured = next((v for k, v in info.config.items() if k.endswith(":stackFile")), None)
    return ROOT / (configured or f"stacks/{info.stack}.yaml")


def context_for(info: StackInfo) -> PolicyContext:
    """The context from the stack's topology, falling back to its name when the topology cannot be loaded."""
    from kaa.errors import KaaError
    from kaa.topology.spec import load_topology

    try:
        topology = load_topology(stack_file(info), name=info.stack)
    except (KaaError, OSError, ValueError):
        env = environment_of_stack_name(info.stack)
        return PolicyContext(environment=env or "dev", environment_source="stack name" if env else "default",
                             dry_run=info.dry_run)
    return PolicyContext(
        environment=topology.environment,
        environment_source=f"{stack_file(info).name} (environment)",
        aliases=topology.aliases,
        not_mirrored=frozenset(t.name for t in topology.topics if not t.mirror),
        connect_urls={c.alias: c.connect for c in topology.clusters},
        mm2_principal=topology.mirror.principal,
        dry_run=info.dry_run,
    )
