"""Credentials from Pulumi config secrets, never from the stack files.

    pulumi config set --path credentials.K1.adminUsername admin
    pulumi config set --secret --path credentials.K1.adminPassword '...'
    pulumi config set --secret --path credentials.K1.mm2Password '...'
    # optional: registryUsername/registryPassword, connectUsername/connectPassword (HTTP basic auth),
    # kafkaKeyPassword (an encrypted client key; KAA_<ALIAS>_KAFKA_KEY_PASSWORD wins)
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from kaa.clients import pair_access
from kaa.topology.model import Cluster


@dataclass(frozen=True)
class ClusterCredentials:
    admin_username: pulumi.Input[str] | None = None
    admin_password: pulumi.Input[str] | None = None
    mm2_password: pulumi.Input[str] | None = None
    registry_auth: pulumi.Input[Mapping[str, str]] | None = None
    connect_auth: pulumi.Input[Mapping[str, str]] | None = None
    kafka_key_password: pulumi.Input[str] | None = None


def _field(creds: pulumi.Output[Any], alias: str, key: str) -> pulumi.Output[Any]:
    return pulumi.Output.secret(creds.apply(lambda c: ((c or {}).get(alias) or {}).get(key)))


def _env_first(creds: pulumi.Output[Any], alias: str, setting: str) -> pulumi.Output[Any]:
    """The setting's environment variable (KAA_<ALIAS>_...) where set, else its Pulumi config key."""
    env = os.environ.get(pair_access.env_name(alias, setting))
    return pulumi.Output.secret(env) if env else _field(creds, alias, pair_access.SETTINGS[setting][1])


def _basic(creds: pulumi.Output[Any], alias: str, prefix: str) -> pulumi.Output[Any]:
    def pick(c: Any) -> Any:
        entry = (c or {}).get(alias) or {}
        user, password = entry.get(f"{prefix}Username"), entry.get(f"{prefix}Password")
        return {"username": user, "password": password} if user and password else None

    return pulumi.Output.secret(creds.apply(pick))


def from_config(config: pulumi.Config, aliases: tuple[str, ...]) -> dict[str, ClusterCredentials]:
    """Per alias, the admin and MM2 credentials (all secret outputs; absent keys resolve to None)."""
    creds = config.get_secret_object("credentials") or pulumi.Output.secret({})
    return {
        alias: ClusterCredentials(
            admin_username=_field(creds, alias, "adminUsername"),
            admin_password=_field(creds, alias, "adminPassword"),
            mm2_password=_field(creds, alias, "mm2Password"),
            registry_auth=_basic(creds, alias, "registry"),
            connect_auth=_basic(creds, alias, "connect"),
            kafka_key_password=_env_first(creds, alias, "kafka_key_password"),
        )
        for alias in aliases
    }


def admin_settings(cluster: Cluster, credentials: ClusterCredentials) -> pulumi.Output[dict[str, str]]:
    """librdkafka admin settings for `cluster` with its admin credentials, as one secret output (for the dynamic
    providers that talk to Kafka themselves)."""
    def settings(creds: list[Any]) -> dict[str, str]:
        out = pair_access.admin_settings(cluster, creds[0], creds[1])
        if creds[2] and cluster.security.ssl_client_key_encrypted:
            out["ssl.key.password"] = creds[2]
        return out

    return pulumi.Output.secret(pulumi.Output.all(credentials.admin_username, credentials.admin_password,
                                                  credentials.kafka_key_password).apply(settings))
