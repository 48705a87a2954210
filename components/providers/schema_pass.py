"""One registry's subjects as one resource: every subject's new versions registered in the topology's order, the
subjects and versions the spec dropped deleted, all of them read back on refresh and deleted on destroy.

Registries hand out IDs as a global counter, so the two registries give the same IDs only when they register the
same new schemas in the same order; the pass does that in one loop per registry (the second registry's pass runs
after the first's and checks its IDs against them, or imports them with `schema_registry.ids: import`). Every
subject is checked before the first is registered, so a refused version stops the pass with nothing registered.

The pass owns its subjects (`owns_subjects`): the engine's cost is per resource, so one resource per registry
instead of one per subject. Before it, each subject was also its own `SchemaSubject` resource; a stack made then
upgrades in place: the first update of the pass records that it owns the subjects, and the engine then deletes
the old `SchemaSubject` resources from the state, whose delete leaves the live subject alone
(components/providers/schema_subject.py).

Requests: one snapshot per registry and pass (`take_snapshot`: `GET /subjects?deleted=true` and one bulk
`GET /schemas` where the registry has it) instead of reading each subject's versions one by one; a subject the
registry never listed needs no lookups; a registered version is not read back. Deleting a subject is soft unless
`schema_registry.delete: permanent`, as it always was.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from kaa.clients.http_tls import HttpTls
from kaa.clients.registry_client import RegistryClient
from kaa.schemas.schema_sync import (
    UNREAD,
    Snapshot,
    check_parity,
    import_subject,
    live_schemas,
    preflight,
    refuse_import,
    same_schemas,
    sync_subject,
    take_snapshot,
)

WORKERS = 8  # concurrent reads (preflight, refresh) and deletes per pass; registration stays in the spec's order


def _client(url: str, label: str | None, auth: dict[str, str] | None, ca: str | None) -> RegistryClient:
    """A registry over HTTP(S): basic auth where given, verified against `ca` (the cluster's CA) where given."""
    return RegistryClient(url, (auth["username"], auth["password"]) if auth else None, alias=label,
                          tls=HttpTls(ca_file=ca or ""))


def _own(props: dict[str, Any]) -> RegistryClient:
    return _client(props["url"], props.get("label"), props.get("auth"), props.get("ca"))


def _names(props: dict[str, Any] | None) -> list[str]:
    return [s["subject"] for s in (props or {}).get("subjects") or []]


def changed_subjects(olds: dict[str, Any] | None, news: dict[str, Any]) -> list[str]:
    """The subjects of `news`, in its order, that are new or whose versions or compatibility differ from `olds`
    (versions compared as schemas, so a registry's re-serialised text is no change); all of them without `olds`
    or when the registry moved."""
    if not olds or olds.get("url") != news.get("url"):
        return _names(news)
    before = {s["subject"]: s for s in olds.get("subjects") or []}
    out = []
    for spec in news.get("subjects") or []:
        old = before.get(spec["subject"])
        if old is None or not same_schemas(old.get("schemas") or [], spec.get("schemas") or []) \
                or (spec.get("compatibility") and old.get("compatibility") != spec.get("compatibility")):
            out.append(spec["subject"])
    return out


def dropped_subjects(olds: dict[str, Any] | None, news: dict[str, Any]) -> list[str]:
    """The subjects `olds` held in the same registry that `news` no longer lists (deleted by the update)."""
    if not olds or olds.get("url") != news.get("url"):
        return []
    kept = set(_names(news))
    return [s for s in _names(olds) if s not in kept]


def _delete_subjects(client: RegistryClient, subjects: list[str], permanent: bool) -> None:
    def one(subject: str) -> None:
        client.delete_subject(subject, permanent=permanent)
        client.clear_compatibility(subject)

    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="subject-delete") as pool:
        list(pool.map(one, subjects))


def _level(subject: str, levels: dict[str, str | None], own: Snapshot | None) -> Any:
    """The subject's level as last recorded; None (the default) for a subject its registry never listed; else
    unknown, and asked."""
    if subject in levels:
        return levels[subject]
    return None if own is not None and subject not in own.listed else UNREAD


def register_pass(props: dict[str, Any], olds: dict[str, Any] | None = None) -> dict[str, Any]:
    """Register what changed, subject after subject in the spec's order, then delete the subjects the spec
    dropped; return the props with every subject's IDs.

    First, for every subject to register and before anything is registered, every registry is ready, will give
    its versions the same IDs and accepts them (`preflight`, read-only, on one snapshot per registry, run side by
    side); a refusal stops the pass with nothing registered. With `expected_ids` (the first registry's pass) each
    subject's IDs must equal the first registry's, else the update stops there naming the subject."""
    label, url = props.get("label"), props["url"]
    client = _own(props)
    urls = props.get("check_urls") or [url]
    labels = props.get("check_labels") or [None] * len(urls)
    auths = props.get("check_auths") or [props.get("auth")] * len(urls)
    cas = props.get("check_cas") or [props.get("ca")] * len(urls)
    checks = [_client(u, a, au, ca) for u, a, au, ca in zip(urls, labels, auths, cas, strict=True)]
    importing = bool(props.get("import_ids")) and props.get("expected_ids") is not None
    expected: dict[str, list[int]] = props.get("expected_ids") or {}
    known = (olds or {}).get("ids") or {}
    todo = set(changed_subjects(olds, props))
    specs = props.get("subjects") or []
    moved = not olds or olds.get("url") != url
    levels = {} if moved else {s["subject"]: s.get("compatibility") for s in (olds or {}).get("subjects") or []}

    def settled(subject: str) -> bool:
        return subject not in todo and subject in known and (
            subject not in expected or known[subject] == expected[subject])

    pending = [s for s in specs if not settled(s["subject"])]
    snapshots: list[Snapshot] = []
    if pending:
        if props.get("import_ids"):
            refuse_import(checks)
        for check in checks:
            check.wait_ready(remember=True)
        names = [s["subject"] for s in pending]
        with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix=f"preflight-{label}") as pool:
            snapshots = list(pool.map(lambda c: take_snapshot(c, names), checks))
            checked = [pool.submit(preflight, checks, s["subject"], s["schemas"], s.get("compatibility"), snapshots)
                       for s in pending]
        for future in checked:  # the first refusal in the spec's order
            future.result()
    own = snapshots[urls.index(url)] if snapshots and url in urls else None
    ids: dict[str, list[int]] = {}
    for spec in specs:
        subject, schemas, compatibility = spec["subject"], spec["schemas"], spec.get("compatibility")
        if settled(subject):
            ids[subject] = list(known[subject])
            continue
        if importing and subject in expected:
            ids[subject] = import_subject(client, subject, schemas, expected[subject], compatibility)
        else:
            ids[subject] = sync_subject(client, subject, schemas, compatibility, prune=olds is not None,
                                        permanent=bool(props.get("permanent_delete")),
                                        held=own.live.get(subject, []) if own else None,
                                        level=_level(subject, levels, own))
        if subject in expected:
            check_parity(subject, expected[subject], ids[subject], f"{props.get('peer_label')}'s registry",
                         f"{label}'s registry")
    _delete_subjects(client, dropped_subjects(olds, props), bool(props.get("permanent_delete")))
    # The credentials stay (as secrets: the component marks them) so that refresh and destroy can log in.
    return {**props, "ids": ids, "owns_subjects": True}


def read_pass(props: dict[str, Any]) -> dict[str, Any]:
    """The subjects as the registry holds them (for `pulumi refresh` and `--refresh`): each one's live schemas
    (written as the spec writes them where they are the same schema), IDs and level; a subject the registry no
    longer holds drops out, so the next update registers it again."""
    client = _own(props)
    client.wait_ready(remember=True)  # a loading registry answers "no versions": that is not a deletion
    specs = props.get("subjects") or []
    snap = take_snapshot(client, [s["subject"] for s in specs])
    held = [s for s in specs if snap.live.get(s["subject"])]
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="refresh") as pool:
        levels = list(pool.map(lambda s: client.compatibility(s["subject"]), held))
    subjects, ids = [], {}
    for spec, level in zip(held, levels, strict=True):
        live = snap.live[spec["subject"]]
        schemas = live_schemas(live, spec["schemas"])
        subjects.append({**spec, "schemas": schemas, "compatibility": level})
        ids[spec["subject"]] = [v.id for v, s in zip(live, schemas, strict=True) if s in spec["schemas"]]
    return {**props, "subjects": subjects, "ids": ids}


class SchemaPassProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['label']}/registration-pass", register_pass(props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, read_pass(props))

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = []
        if changed_subjects(olds, news) or _names(olds) != _names(news):
            changes.append("subjects")
        for key in ("url", "expected_ids", "import_ids", "permanent_delete", "check_urls", "owns_subjects"):
            if olds.get(key) != news.get(key):
                changes.append(key)
        # Never a replacement: replacing would delete every subject of the registry.
        return DiffResult(changes=bool(changes), replaces=[], delete_before_replace=False)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(register_pass(news, olds))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Every subject of the pass: soft by default (the registry keeps the content and its IDs, so registering
        it again later gives the same IDs on both sides); permanently only with `schema_registry.delete:
        permanent`. A pass made before it owned its subjects (no `owns_subjects`) deletes them too: the old
        per-subject resources' delete no longer does."""
        _delete_subjects(_own(props), _names(props), bool(props.get("permanent_delete")))
