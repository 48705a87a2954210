"""A schema-registry subject as a Pulumi resource: its ordered versions and its compatibility level.

Legacy: kept so that stacks made before one `SchemaRegistrationPass` per registry owned its subjects
(components/providers/schema_pass.py) still load and upgrade. No program declares this resource now, and its
delete leaves the live subject alone. What follows is how it worked.

Registries give a new schema the next free ID and cannot take an explicit one (Karapace has no IMPORT mode),
so the toolkit is the only writer and registers the same versions in the same order on both sides. The second
registry's resource receives the IDs the first one got (`expected_ids`) and fails loudly when its own differ.
Schemas compare as schemas, not text (a registry may hand them back re-serialised): the diff sees no change and
the outputs keep the spec's text.
An update deletes only the versions the spec removed, soft unless the stack
says `schema_registry.delete: permanent`. With `schema_registry.ids: import` the second registry registers with
the first one's IDs (IMPORT mode), refused before anything is registered where a registry lacks it.
Over HTTPS each registry is verified against its cluster's CA (`ca`, `check_cas`) and sent its own basic auth
(`auth`, `check_auths`); the credentials stay in the outputs as secrets, so refresh and delete can log in.
"""
from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from kaa.clients.http_tls import HttpTls
from kaa.clients.registry_client import RegistryClient
from kaa.schemas.schema_sync import (
    check_parity,
    import_subject,
    live_subject,
    preflight,
    refuse_import,
    same_schemas,
    sync_subject,
)


def _client(props: dict[str, Any], url: str | None = None, alias: str | None = None,
            auth: dict[str, str] | None = None, ca: str | None = None) -> RegistryClient:
    """The resource's own registry, or (with `url`) one of the registries checked before a change."""
    if url is None:
        auth, ca = props.get("auth"), props.get("ca")
    return RegistryClient(url or props["url"], (auth["username"], auth["password"]) if auth else None,
                          alias=alias if url else props.get("label"), tls=HttpTls(ca_file=ca or ""))


def _as_registered(client: RegistryClient, props: dict[str, Any]) -> dict[str, Any] | None:
    """The subject as its registry's registration pass left it (`registered_ids`, components/providers/
    schema_pass.py), read with one request per version and none written; None when the registry holds anything
    else (other versions, other IDs, another level), and the full path below runs."""
    wanted = props.get("registered_ids")
    if not wanted:
        return None
    live = live_subject(client, props["subject"], props["schemas"])
    if live["schemas"] != props["schemas"] or live["ids"] != list(wanted) or (
            props.get("compatibility") and live["compatibility"] != props["compatibility"]):
        return None
    return live


def _apply(props: dict[str, Any], prune: bool) -> dict[str, Any]:
    client = _client(props)
    subject, schemas = props["subject"], props["schemas"]
    registered = _as_registered(client, props)
    if registered is not None:
        if props.get("expected_ids") is not None:
            check_parity(subject, props["expected_ids"], registered["ids"], f"{props.get('peer_label')}'s registry",
                         f"{props['label']}'s registry")
        return {**props, **registered}
    urls = props.get("check_urls") or [props["url"]]
    labels = props.get("check_labels") or [None] * len(urls)
    auths = props.get("check_auths") or [props.get("auth")] * len(urls)
    cas = props.get("check_cas") or [props.get("ca")] * len(urls)
    checks = [_client(props, u, a, au, ca) for u, a, au, ca in zip(urls, labels, auths, cas, strict=True)]
    if props.get("import_ids"):
        refuse_import(checks)
    preflight(checks, subject, schemas, props.get("compatibility"))
    if props.get("import_ids") and props.get("expected_ids") is not None:
        ids = import_subject(client, subject, schemas, props["expected_ids"], props.get("compatibility"))
    else:
        ids = sync_subject(client, subject, schemas, props.get("compatibility"), prune=prune,
                           permanent=bool(props.get("permanent_delete")))
    if props.get("expected_ids") is not None:
        check_parity(subject, props["expected_ids"], ids, f"{props.get('peer_label')}'s registry",
                     f"{props['label']}'s registry")
    return {**props, **live_subject(client, subject, schemas), "ids": ids}


class SchemaSubjectProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['label']}/{props['subject']}", _apply(props, prune=False))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = _client(props)
        client.wait_ready(remember=True)  # a loading registry answers "no versions": that is not a deletion
        live = live_subject(client, props["subject"], props.get("schemas") or [])
        if not live["versions"]:
            return ReadResult("", {})
        live["ids"] = [i for i, s in zip(live["ids"], live["schemas"], strict=True) if s in props["schemas"]]
        return ReadResult(id_, {**props, **live})

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [k for k in ("url", "subject") if olds.get(k) != news.get(k)]
        changes = list(replaces)
        if not same_schemas(olds.get("schemas") or [], news.get("schemas") or []):
            changes.append("schemas")  # the same schemas in another text form are no change
        if news.get("compatibility") and olds.get("compatibility") != news.get("compatibility"):
            changes.append("compatibility")
        # Create the replacement before deleting the original: if the new place fails, the old one keeps working.
        return DiffResult(changes=bool(changes), replaces=replaces, delete_before_replace=False)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_apply(news, prune=True))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Nothing, on purpose: the subject is owned by its registry's `SchemaRegistrationPass` now.

        No program declares a `SchemaSubject` any more (components/registry_schemas.py), so the engine calls this
        only for a resource a stack made before the pass owned its subjects, when the update or destroy drops it
        from the state; the engine runs this module's current code (dynamic providers are pickled by module path).
        On `pulumi up` the pass has just recorded the subject as its own (or, when the spec dropped it, deletes it
        itself: `dropped_subjects`); on `pulumi destroy` the pass deletes every subject it lists. Deleting here
        would remove a live subject the pass still holds."""
