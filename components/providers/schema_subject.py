"""A schema-registry subject as a Pulumi resource: its ordered versions and its compatibility level.

Registries give a new schema the next free ID and cannot take an explicit one (Karapace has no IMPORT mode),
so the toolkit is the only writer and registers the same versions in the same order on both sides. The K2
resource receives the IDs K1 got (`expected_ids`) and fails the update loudly when its own differ.
"""
from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from components.clients.registry import RegistryClient
from components.errors import RegistryError
from components.schema_files import normalise


def _client(props: dict[str, Any]) -> RegistryClient:
    auth = props.get("auth")
    return RegistryClient(props["url"], (auth["username"], auth["password"]) if auth else None)


def _same(a: str, b: str, schema_type: str) -> bool:
    try:
        return normalise(schema_type, a) == normalise(schema_type, b)
    except ValueError:
        return a.strip() == b.strip()


def _live(props: dict[str, Any]) -> dict[str, Any]:
    """What the registry holds for the subject, with each schema written as the spec writes it when equal."""
    client = _client(props)
    desired = props.get("schemas") or []
    live = client.all_versions(props["subject"])
    schemas, ids = [], []
    for version in live:
        text = version.schema
        for wanted in desired:
            if wanted["schemaType"] == version.schema_type and _same(wanted["schema"], version.schema,
                                                                     version.schema_type):
                text = wanted["schema"]
        schemas.append({"schema": text, "schemaType": version.schema_type})
        ids.append(version.id)
    return {
        "schemas": schemas,
        "ids": ids,
        "versions": [v.version for v in live],
        "compatibility": client.compatibility(props["subject"]),
    }


def _preflight(props: dict[str, Any]) -> None:
    """Before anything changes: every registry must accept every new version (exists or is compatible)."""
    for url in props.get("check_urls") or [props["url"]]:
        client = _client({**props, "url": url})
        for wanted in props["schemas"]:
            if client.lookup(props["subject"], wanted["schema"], wanted["schemaType"]):
                continue
            if client.versions(props["subject"]) and not client.is_compatible(
                props["subject"], wanted["schema"], wanted["schemaType"]
            ):
                raise RegistryError(
                    f"registry {url} refuses the new version of subject {props['subject']!r}: it is not "
                    f"{props.get('compatibility') or 'registry-default'}-compatible with the latest version; "
                    "make the change compatible or add a new subject (nothing was registered)"
                )


def _apply(props: dict[str, Any]) -> dict[str, Any]:
    client = _client(props)
    subject = props["subject"]
    _preflight(props)
    if props.get("compatibility") and client.compatibility(subject) != props["compatibility"]:
        client.set_compatibility(subject, props["compatibility"])
    ids = []
    for wanted in props["schemas"]:
        found = client.lookup(subject, wanted["schema"], wanted["schemaType"])
        ids.append(found.id if found else client.register(subject, wanted["schema"], wanted["schemaType"]))
    expected = props.get("expected_ids")
    if expected is not None and list(expected) != ids:
        pairs = ", ".join(
            f"v{i + 1}: {a} vs {b}" for i, (a, b) in enumerate(zip(expected, ids, strict=False)) if a != b
        )
        raise RegistryError(
            f"schema ID mismatch for subject {subject!r}: {props.get('peer_label', 'the first registry')} gave "
            f"{list(expected)}, {props.get('label', props['url'])} gave {ids} ({pairs}); consumers of mirrored "
            "topics would decode with the wrong schema. Someone registered schemas out of band: run "
            "`kaa drift` and align the registries before retrying"
        )
    return {**{k: v for k, v in props.items() if k != "auth"}, **_live(props), "ids": ids}


class SchemaSubjectProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = _apply(props)
        return CreateResult(f"{props['label']}/{props['subject']}", outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        live = _live(props)
        if not live["versions"]:
            return ReadResult("", {})
        return ReadResult(id_, {**props, **live})

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [k for k in ("url", "subject") if olds.get(k) != news.get(k)]
        changes = list(replaces)
        if olds.get("schemas") != news.get("schemas"):
            changes.append("schemas")
        if news.get("compatibility") and olds.get("compatibility") != news.get("compatibility"):
            changes.append("compatibility")
        return DiffResult(changes=bool(changes), replaces=replaces, delete_before_replace=True)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = _client(news)
        wanted = news["schemas"]
        _preflight(news)
        for version in client.all_versions(news["subject"]):
            if not any(w["schemaType"] == version.schema_type and _same(w["schema"], version.schema,
                                                                        version.schema_type) for w in wanted):
                client.delete_version(news["subject"], version.version)
        return UpdateResult(_apply(news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = _client(props)
        client.delete_subject(props["subject"])
        client.clear_compatibility(props["subject"])
