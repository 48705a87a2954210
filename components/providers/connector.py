"""A Kafka Connect connector as a Pulumi resource (PUT /connectors/<name>/config, status, delete).

The config holds the MM2 principal's JAAS line, so the component marks `config` a secret output; it is never
printed. Create and update wait until the connector runs and fail with Connect's own trace when it does not.
Over HTTPS the worker is verified against the stack's CA (`ca`, a PEM file) and basic `auth` is sent; both stay
in the outputs (`auth` as a secret) so that refresh and delete reach an authenticated worker too.
"""
from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from kaa.clients.connect_client import ConnectClient
from kaa.clients.http_tls import HttpTls

SERVER_SET_KEYS = ("name",)


def _client(props: dict[str, Any]) -> ConnectClient:
    auth = props.get("auth")
    return ConnectClient(props["url"], (auth["username"], auth["password"]) if auth else None,
                         tls=HttpTls(ca_file=props.get("ca") or ""))


def _desired(config: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in config.items() if k not in SERVER_SET_KEYS}


def _deploy(props: dict[str, Any]) -> dict[str, Any]:
    client = _client(props)
    client.put_config(props["name"], _desired(props["config"]))
    status = client.wait_running(props["name"], timeout=float(props.get("timeout", 120)),
                                 require_tasks=bool(props.get("require_tasks", True)))
    return {**props, "state": status["connector"]["state"],
            "worker": status["connector"].get("worker_id", "")}


class ConnectorProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['label']}/{props['name']}", _deploy(props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = _client(props)
        live = client.config(props["name"])
        if live is None:
            return ReadResult("", {})
        status = client.status(props["name"]) or {"connector": {"state": "UNKNOWN"}}
        outs = {**props, "config": _desired(live), "state": status["connector"]["state"]}
        return ReadResult(id_, outs)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [k for k in ("url", "name") if olds.get(k) != news.get(k)]
        changes = list(replaces)
        if _desired(olds.get("config") or {}) != _desired(news.get("config") or {}):
            changes.append("config")
        # Create the replacement before deleting the original: if the new place fails, the old one keeps working.
        return DiffResult(changes=bool(changes), replaces=replaces, delete_before_replace=False)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_deploy(news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        _client(props).delete(props["name"])
