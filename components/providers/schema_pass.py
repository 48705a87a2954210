"""One registry's registration pass: every subject's new versions registered in the topology's order, in one
provider call, instead of one chained resource after another.

Registries hand out IDs as a global counter, so the two registries give the same IDs only when they register the
same new schemas in the same order; the pass does that in one loop per registry (the second registry's pass runs
after the first's and checks its IDs against them, or imports them with `schema_registry.ids: import`). Every
subject is checked before the first is registered, so a refused version stops the pass with nothing registered. Each
subject stays a `SchemaSubject` resource (its diff, refresh, deletion and the policy pack's checks are unchanged);
those no longer wait for one another, only for this pass, and find their versions registered. Subjects removed from
the spec are deleted by their own `SchemaSubject` resource, so the pass deletes nothing but the versions a changed
subject no longer lists (soft unless `schema_registry.delete: permanent`, as the subject resource does), before
registering that subject's new ones.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

from kaa.clients.http_tls import HttpTls
from kaa.clients.registry_client import RegistryClient
from kaa.schemas.schema_sync import check_parity, import_subject, preflight, refuse_import, same_schemas, sync_subject


def _client(url: str, label: str | None, auth: dict[str, str] | None, ca: str | None) -> RegistryClient:
    """A registry over HTTP(S): basic auth where given, verified against `ca` (the cluster's CA) where given."""
    return RegistryClient(url, (auth["username"], auth["password"]) if auth else None, alias=label,
                          tls=HttpTls(ca_file=ca or ""))


def changed_subjects(olds: dict[str, Any] | None, news: dict[str, Any]) -> list[str]:
    """The subjects of `news`, in its order, that are new or whose versions or compatibility differ from `olds`
    (versions compared as schemas, so a registry's re-serialised text is no change); all of them without `olds`
    or when the registry moved."""
    if not olds or olds.get("url") != news.get("url"):
        return [s["subject"] for s in news.get("subjects") or []]
    before = {s["subject"]: s for s in olds.get("subjects") or []}
    out = []
    for spec in news.get("subjects") or []:
        old = before.get(spec["subject"])
        if old is None or not same_schemas(old.get("schemas") or [], spec.get("schemas") or []) \
                or (spec.get("compatibility") and old.get("compatibility") != spec.get("compatibility")):
            out.append(spec["subject"])
    return out


PREFLIGHT_WORKERS = 8  # concurrent preflight reads per pass; registration itself stays one subject after another


def register_pass(props: dict[str, Any], olds: dict[str, Any] | None = None) -> dict[str, Any]:
    """Register what changed, subject after subject in the spec's order; return the props with every subject's IDs.

    First, for every subject to register and before anything is registered, the checks the chained resources made
    one subject at a time: every registry is ready, will give its versions the same IDs and accepts them
    (`preflight`, read-only, so run side by side); a refusal stops the pass with nothing registered. With
    `expected_ids` (the first registry's pass) each subject's IDs must equal the first registry's, else the update
    stops there naming the subject."""
    label, url = props.get("label"), props["url"]
    client = _client(url, label, props.get("auth"), props.get("ca"))
    urls = props.get("check_urls") or [url]
    labels = props.get("check_labels") or [None] * len(urls)
    auths = props.get("check_auths") or [props.get("auth")] * len(urls)
    cas = props.get("check_cas") or [props.get("ca")] * len(urls)
    checks = [_client(u, a, au, ca) for u, a, au, ca in zip(urls, labels, auths, cas, strict=True)]
    importing = bool(props.get("import_ids")) and props.get("expected_ids") is not None
    if props.get("import_ids"):
        refuse_import(checks)
    expected: dict[str, list[int]] = props.get("expected_ids") or {}
    known = (olds or {}).get("ids") or {}
    todo = set(changed_subjects(olds, props))
    specs = props.get("subjects") or []

    def settled(subject: str) -> bool:
        return subject not in todo and subject in known and (
            subject not in expected or known[subject] == expected[subject])

    pending = [s for s in specs if not settled(s["subject"])]
    with ThreadPoolExecutor(max_workers=PREFLIGHT_WORKERS, thread_name_prefix=f"preflight-{label}") as pool:
        checked = [pool.submit(preflight, checks, s["subject"], s["schemas"], s.get("compatibility")) for s in pending]
    for future in checked:  # the first refusal in the spec's order
        future.result()
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
                                        permanent=bool(props.get("permanent_delete")))
        if subject in expected:
            check_parity(subject, expected[subject], ids[subject], f"{props.get('peer_label')}'s registry",
                         f"{label}'s registry")
    # No credentials in the outputs: the pass never reads or deletes later (its subjects do, with their own).
    return {**{k: v for k, v in props.items() if k not in ("auth", "check_auths")}, "ids": ids}


class SchemaPassProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['label']}/registration-pass", register_pass(props))

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = []
        if changed_subjects(olds, news) or [s["subject"] for s in olds.get("subjects") or []] != \
                [s["subject"] for s in news.get("subjects") or []]:
            changes.append("subjects")
        for key in ("url", "expected_ids", "import_ids", "permanent_delete", "check_urls"):
            if olds.get(key) != news.get(key):
                changes.append(key)
        return DiffResult(changes=bool(changes), replaces=[], delete_before_replace=False)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(register_pass(news, olds))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Nothing: each subject is deleted by its own `SchemaSubject` resource (which waits for nothing but this
        pass, so a destroy deletes subjects side by side)."""
