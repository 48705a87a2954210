"""A schema-registry subject as a Pulumi resource: its ordered versions and its compatibility level.

Registries give a new schema the next free ID and cannot take an explicit one (Karapace has no IMPORT mode),
so the toolkit is the only writer and registers the same versions in the same order on both sides. The second
registry's resource receives the IDs the first one got (`expected_ids`) and fails loudly when its own differ.
"""
from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from kaa.clients.registry_client import RegistryClient
from kaa.schemas.schema_sync import check_parity, live_subject, preflight, sync_subject


def _client(props: dict[str, Any], url: str | None = None) -> RegistryClient:
    auth = props.get("auth")
    return RegistryClient(url or props["url"], (auth["username"], auth["password"]) if auth else None)


def _apply(props: dict[str, Any], prune: bool) -> dict[str, Any]:
    client = _client(props)
    subject, schemas = props["subject"], props["schemas"]
    preflight([_client(props, u) for u in props.get("check_urls") or [props["url"]]], subject, schemas,
              props.get("compatibility"))
    ids = sync_subject(client, subject, schemas, props.get("compatibility"), prune=prune)
    if props.get("expected_ids") is not None:
        check_parity(subject, props["expected_ids"], ids, f"{props.get('peer_label')}'s registry",
                     f"{props['label']}'s registry")
    return {**{k: v for k, v in props.items() if k != "auth"}, **live_subject(client, subject, schemas), "ids": ids}


class SchemaSubjectProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['label']}/{props['subject']}", _apply(props, prune=False))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        live = live_subject(_client(props), props["subject"], props.get("schemas") or [])
        if not live["versions"]:
            return ReadResult("", {})
        live["ids"] = [i for i, s in zip(live["ids"], live["schemas"], strict=True) if s in props["schemas"]]
        return ReadResult(id_, {**props, **live})

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [k for k in ("url", "subject") if olds.get(k) != news.get(k)]
        changes = list(replaces)
        if olds.get("schemas") != news.get("schemas"):
            changes.append("schemas")
        if news.get("compatibility") and olds.get("compatibility") != news.get("compatibility"):
            changes.append("compatibility")
        # Create the replacement before deleting the original: if the new place fails, the old one keeps working.
        return DiffResult(changes=bool(changes), replaces=replaces, delete_before_replace=False)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_apply(news, prune=True))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = _client(props)
        client.delete_subject(props["subject"])
        client.clear_compatibility(props["subject"])
