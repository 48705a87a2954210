"""Registering a subject's versions in order and proving ID parity: shared by the Pulumi provider and the
direct apply path, so both behave the same."""
from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from kaa.clients.registry_client import RegisteredVersion, RegistryClient
from kaa.errors import RegistryError
from kaa.topology.schema_files import same_schema

Schema = dict[str, str]  # {"schema": text, "schemaType": AVRO|JSON|PROTOBUF}
UNREAD: Any = object()  # a subject's compatibility level not known yet: ask the registry
SNAPSHOT_WORKERS = 8  # concurrent per-subject reads where a registry has no bulk read


@dataclass(frozen=True)
class Snapshot:
    """What one registry holds for a set of subjects, read once before a pass: every live version of each
    (`live`) and the subjects it lists with soft-deleted ones included (`listed`)."""

    live: dict[str, list[RegisteredVersion]]
    listed: frozenset[str]


def take_snapshot(client: RegistryClient, subjects: Sequence[str]) -> Snapshot:
    """One bulk read where the registry has it (`GET /schemas`: Confluent, Karapace) plus `GET /subjects?deleted=
    true`; elsewhere (Apicurio lists bare schemas) each listed subject's versions, side by side."""
    listed = frozenset(client.subjects(deleted=True))
    wanted = list(dict.fromkeys(subjects))
    live: dict[str, list[RegisteredVersion]] = {s: [] for s in wanted}
    bulk = client.bulk_versions() if any(s in listed for s in wanted) else []
    if bulk is not None:
        for version in sorted(bulk, key=lambda v: v.version):
            if version.subject in live:
                live[version.subject].append(version)
        return Snapshot(live, listed)
    present = [s for s in wanted if s in listed]
    with ThreadPoolExecutor(max_workers=SNAPSHOT_WORKERS, thread_name_prefix="snapshot") as pool:
        for subject, versions in zip(present, pool.map(client.all_versions, present), strict=True):
            live[subject] = versions
    return Snapshot(live, listed)


def _matches(wanted: Schema, text: str, schema_type: str) -> bool:
    return wanted["schemaType"] == schema_type and same_schema(schema_type, wanted["schema"], text)


def live_subject(client: RegistryClient, subject: str, desired: Sequence[Schema]) -> dict[str, Any]:
    """What the registry holds for `subject`; a version that is the same schema as one of `desired` is written
    as the spec writes it, so the registry's re-serialised text (Karapace) never shows as a change next run."""
    live = client.all_versions(subject)
    return {
        "schemas": live_schemas(live, desired),
        "ids": [v.id for v in live],
        "versions": [v.version for v in live],
        "compatibility": client.compatibility(subject),
    }


def live_schemas(live: Sequence[RegisteredVersion], desired: Sequence[Schema]) -> list[Schema]:
    """Live versions as schemas, each written as `desired` writes it where it is the same schema."""
    return [{"schema": next((w["schema"] for w in desired if _matches(w, v.schema, v.schema_type)), v.schema),
             "schemaType": v.schema_type} for v in live]


def same_schemas(a: Sequence[Schema], b: Sequence[Schema]) -> bool:
    """Two ordered lists of versions hold the same schemas (in any text form)."""
    return len(a) == len(b) and all(_matches(x, y["schema"], y["schemaType"]) for x, y in zip(a, b, strict=True))


def preflight(clients: Sequence[RegistryClient], subject: str, schemas: Sequence[Schema],
              compatibility: str | None, snapshots: Sequence[Snapshot] | None = None) -> None:
    """Before anything changes: every registry is ready (not still loading), will give every version the same
    ID (`predict_ids`) and accepts every version (already there, or compatible). With `snapshots` (one per
    client, read just before) the subject's live versions come from them instead of one read per version."""
    if snapshots is None:
        for client in clients:
            client.wait_ready(remember=True)
        held = [client.all_versions(subject) for client in clients]
    else:
        held = [snap.live.get(subject, []) for snap in snapshots]
    for index, wanted in enumerate(schemas, start=1):
        known = predict_ids(clients, subject, wanted, index, held, snapshots)
        for client, found, versions in zip(clients, known, held, strict=True):
            if found is not None and not found[1]:
                continue  # live in this registry already
            if versions and not client.is_compatible(subject, wanted["schema"], wanted["schemaType"]):
                raise RegistryError(
                    f"registry {client.url} refuses the new version of subject {subject!r}: it is not "
                    f"{compatibility or 'registry-default'}-compatible with the latest version; make the change "
                    "compatible or add a new subject (nothing was registered)"
                )


def predict_ids(clients: Sequence[RegistryClient], subject: str, wanted: Schema, index: int,
                held: Sequence[Sequence[RegisteredVersion]], snapshots: Sequence[Snapshot] | None = None,
                ) -> list[tuple[int, bool] | None]:
    """(ID, deleted) of this version in each registry that already knows it, None where none does; stops with
    one line when the registries would give it different IDs.

    Registries keep content to ID: a version registered once and deleted gets its old ID back (Karapace even after
    a permanent delete), so a registry that knew the content and one that did not hand out different IDs. Two
    certain cases are caught before anything is registered: both know it under different IDs, or one knows it
    as ID N while the other holds another schema under N. `held` is each registry's live versions of `subject`."""
    known: list[tuple[int, bool] | None] = []
    for n, (client, versions) in enumerate(zip(clients, held, strict=True)):
        snap = snapshots[n] if snapshots is not None else None
        live = next((v for v in versions if _matches(wanted, v.schema, v.schema_type)), None)
        if live is None and snap is None:
            live = client.lookup(subject, wanted["schema"], wanted["schemaType"])
        if live is not None:
            known.append((live.id, False))
            continue
        if snap is not None and subject not in snap.listed:
            known.append(None)  # the registry never held the subject (not even soft-deleted): nothing to find
            continue
        deleted = client.lookup(subject, wanted["schema"], wanted["schemaType"], deleted=True)
        known.append(None if deleted is None else (deleted.id, True))
    what = f"version {index} of subject {subject!r}"
    fix = ("nothing was registered. To recover, give the version new content on both sides (for example a changed "
           "`doc`) or register it under a new subject; for good parity use registries with IMPORT mode")
    ids = {c.url: k for c, k in zip(clients, known, strict=True) if k is not None}
    if len({i for i, _ in ids.values()}) > 1:
        where = ", ".join(f"{url} has it as ID {i}{' (deleted)' if gone else ''}" for url, (i, gone) in ids.items())
        raise RegistryError(f"schema ID mismatch ahead for {what}: {where}; registering it would leave consumers of "
                            f"mirrored topics decoding with the wrong schema; {fix}")
    if ids:
        url, (schema_id, gone) = next(iter(ids.items()))
        for client, found in zip(clients, known, strict=True):
            if found is not None:
                continue
            held_there = client.schema_type_by_id(schema_id)
            if held_there is not None and not (held_there[0] == wanted["schemaType"]
                                               and same_schema(held_there[0], held_there[1], wanted["schema"])):
                raise RegistryError(
                    f"schema ID mismatch ahead for {what}: {url} knows it as ID {schema_id}"
                    f"{' (deleted, and would give that ID back)' if gone else ''}, but {client.url} holds another "
                    f"schema under ID {schema_id}, so it would give this one a different ID; {fix}")
    return known


def sync_subject(client: RegistryClient, subject: str, schemas: Sequence[Schema], compatibility: str | None,
                 prune: bool = False, permanent: bool = False, held: Sequence[RegisteredVersion] | None = None,
                 level: str | None | object = UNREAD) -> list[int]:
    """Make `subject` hold `schemas` in order (registering what is missing); return their IDs.

    With `prune`, live versions that are no schema of the spec are deleted first: soft (the registry keeps the
    content and its ID, so registering it again gives the same ID on both sides), permanently only with
    `permanent`. The subject's compatibility level is set before registering (the registry checks new
    versions against it) and again at the end when a delete took it away (a subject's level goes with its last
    version on Karapace).

    With `held` (the subject's live versions, read just before in one snapshot) nothing is read again; with
    `level` (the subject's level as last known, None for the registry default) it is not asked either."""
    if compatibility and (client.compatibility(subject) if level is UNREAD else level) != compatibility:
        client.set_compatibility(subject, compatibility)
    live = client.all_versions(subject) if held is None else list(held)
    pruned = False
    if prune:
        for version in live:
            if not any(_matches(w, version.schema, version.schema_type) for w in schemas):
                client.delete_version(subject, version.version, permanent=permanent)
                pruned = True
    ids = []
    for wanted in schemas:
        # the registry's own text form (Karapace re-serialises) matches here even where its lookup would not
        found = next((v for v in live if _matches(wanted, v.schema, v.schema_type)), None)
        if found is None and held is None:
            found = client.lookup(subject, wanted["schema"], wanted["schemaType"])
        ids.append(found.id if found else client.register(subject, wanted["schema"], wanted["schemaType"]))
    if compatibility and prune and (pruned or held is None) and client.compatibility(subject) != compatibility:
        client.set_compatibility(subject, compatibility)
    return ids


def refuse_import(clients: Sequence[RegistryClient]) -> None:
    """Before anything is registered under `schema_registry.ids: import`: every registry that registers with the
    first registry's IDs (all but the first) must support IMPORT mode, else one line saying which does not."""
    for client in clients[1:]:
        why = client.import_unsupported()
        if why:
            raise RegistryError(f"stack setting schema_registry.ids: import cannot be used with {client.label}: "
                                f"{why}; remove the setting (the toolkit then registers in the same order on both "
                                "sides and checks the IDs); nothing was registered")


def import_subject(client: RegistryClient, subject: str, schemas: Sequence[Schema], ids: Sequence[int],
                   compatibility: str | None) -> list[int]:
    """Make `subject` hold `schemas` with the IDs `ids` the first registry gave them (IMPORT mode, Confluent):
    parity by construction instead of by registering in the same order."""
    if compatibility and client.compatibility(subject) != compatibility:
        client.set_compatibility(subject, compatibility)
    live = client.all_versions(subject)
    missing = [(n, w, i) for n, (w, i) in enumerate(zip(schemas, ids, strict=True), start=1)
               if not any(_matches(w, v.schema, v.schema_type) for v in live)]
    if missing:
        client.call("PUT", f"/mode/{quote(subject, safe='')}?force=true", {"mode": "IMPORT"})
        try:
            for number, wanted, schema_id in missing:
                got = client.import_version(subject, wanted["schema"], wanted["schemaType"], schema_id, number)
                if got != schema_id:
                    raise RegistryError(f"{client.label} gave version {number} of subject {subject!r} ID {got} "
                                        f"instead of the explicit ID {schema_id}: it ignores IMPORT mode; remove the "
                                        "stack setting schema_registry.ids: import")
        finally:
            client.set_mode(subject, "READWRITE")
    held = client.all_versions(subject)
    return [next(v.id for v in held if _matches(w, v.schema, v.schema_type)) for w in schemas]


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
            client.delete_subject(subject, permanent=True)  # probe content is never registered again
