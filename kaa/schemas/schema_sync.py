"""Registering a subject's versions in order and proving ID parity: shared by the Pulumi provider and the
direct apply path, so both behave the same."""
from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from kaa.clients.registry_client import RegistryClient
from kaa.errors import RegistryError
from kaa.topology.schema_files import normalise

Schema = dict[str, str]  # {"schema": text, "schemaType": AVRO|JSON|PROTOBUF}


def same_schema(a: str, b: str, schema_type: str) -> bool:
    try:
        return normalise(schema_type, a) == normalise(schema_type, b)
    except ValueError:
        return a.strip() == b.strip()


def live_subject(client: RegistryClient, subject: str, desired: Sequence[Schema]) -> dict[str, Any]:
    """What the registry holds for `subject`; each schema written as the spec writes it when equal."""
    live = client.all_versions(subject)
    schemas = []
    for version in live:
        text = version.schema
        for wanted in desired:
            if wanted["schemaType"] == version.schema_type and same_schema(wanted["schema"], text, version.schema_type):
                text = wanted["schema"]
        schemas.append({"schema": text, "schemaType": version.schema_type})
    return {
        "schemas": schemas,
        "ids": [v.id for v in live],
        "versions": [v.version for v in live],
        "compatibility": client.compatibility(subject),
    }


def preflight(clients: Sequence[RegistryClient], subject: str, schemas: Sequence[Schema],
              compatibility: str | None) -> None:
    """Before anything changes: every registry must accept every version (already there, or compatible)."""
    for client in clients:
        for wanted in schemas:
            if client.lookup(subject, wanted["schema"], wanted["schemaType"]):
                continue
            if client.versions(subject) and not client.is_compatible(subject, wanted["schema"], wanted["schemaType"]):
                raise RegistryError(
                    f"registry {client.url} refuses the new version of subject {subject!r}: it is not "
                    f"{compatibility or 'registry-default'}-compatible with the latest version; make the change "
                    "compatible or add a new subject (nothing was registered)"
                )


def sync_subject(client: RegistryClient, subject: str, schemas: Sequence[Schema], compatibility: str | None,
                 prune: bool = False) -> list[int]:
    """Make `subject` hold `schemas` in order (registering what is missing); return their IDs.

    With `prune`, versions the spec does not list are deleted first (the toolkit is the only writer).
    """
    if compatibility and client.compatibility(subject) != compatibility:
        client.set_compatibility(subject, compatibility)
    if prune:
        for version in client.all_versions(subject):
            if not any(w["schemaType"] == version.schema_type and same_schema(w["schema"], version.schema,
                                                                              version.schema_type) for w in schemas):
                client.delete_version(subject, version.version)
    ids = []
    for wanted in schemas:
        found = client.lookup(subject, wanted["schema"], wanted["schemaType"])
        ids.append(found.id if found else client.register(subject, wanted["schema"], wanted["schemaType"]))
    return ids


def check_parity(subject: str, expected: Sequence[int], ids: Sequence[int], expected_from: str, got_from: str) -> None:
    if list(expected) == list(ids):
        return
    pairs = ", ".join(f"v{i + 1}: {a} vs {b}" for i, (a, b) in enumerate(zip(expected, ids, strict=False)) if a != b)
    raise RegistryError(
        f"schema ID mismatch for subject {subject!r}: {expected_from} gave {list(expected)}, {got_from} gave "
        f"{list(ids)} ({pairs}); consumers of mirrored topics would decode with the wrong schema. Someone "
        "registered schemas out of band: run `kaa drift` and align the registries before retrying"
    )


def align_id_counters(first: RegistryClient, second: RegistryClient, subject: str = "kaa-align-probe",
                      limit: int = 20000) -> int:
    """Bring the two registries' next schema ID to the same value; return how many probe schemas it took.

    A registry gives a new schema the next free ID, so once one registry took a write the other did not, every
    later schema gets different IDs on the two sides. Registering fresh probe schemas in the registry that is
    behind moves its counter up until both hand out the same next ID; the probe subject is then deleted.
    """
    count = 0

    def probe(client: RegistryClient) -> int:
        nonlocal count
        count += 1
        text = json.dumps({"type": "record", "name": f"Probe{uuid.uuid4().hex}", "namespace": "kaa.align",
                           "fields": []}, separators=(",", ":"))
        return client.register(subject, text, "AVRO")

    try:
        for client in (first, second):
            client.set_compatibility(subject, "NONE")
        ids = {id(first): probe(first), id(second): probe(second)}
        while ids[id(first)] != ids[id(second)] and count < limit:
            behind = first if ids[id(first)] < ids[id(second)] else second
            ids[id(behind)] = probe(behind)
        if ids[id(first)] != ids[id(second)]:
            raise RegistryError(f"could not align the registries' schema IDs within {limit} probes")
        return count
    finally:
        for client in (first, second):
            client.delete_subject(subject)
