"""The one Confluent Schema Registry REST client (Karapace, Confluent, Apicurio's /apis/ccompat/v7).

The Pulumi provider, the ordered registration, drift, the policy pack's live probes and the CLI all use it; its
transport (`JsonHttp`) holds keep-alive, timeouts, the stall retry and the bounded retries of transient answers.
Where the registries differ (answer codes, bulk reads, readiness endpoints) it is said at the method.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from kaa.clients.http_tls import HttpTls
from kaa.clients.json_http import CONNECTIONS, HttpRefusal, JsonHttp
from kaa.errors import RegistryError

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
READY_WAIT_S = 60.0  # how long a loading registry is waited for before the command gives up
READY_FOR_S = 30.0  # a registry found ready is not asked again for this long (in this process)
_READY_AT: dict[str, float] = {}


class RegistryRefusal(HttpRefusal, RegistryError):
    """The registry answered with an error: `status` is the HTTP status, `code` the registry's `error_code`."""


class RegistryLoading(RegistryError):
    """The registry answers but is still replaying its schemas: an empty answer would be a lie."""


@dataclass(frozen=True)
class RegisteredVersion:
    subject: str
    version: int
    id: int
    schema: str
    schema_type: str


def _schema_type(body: dict[str, Any], default: str = "AVRO") -> str:
    return str(body.get("schemaType") or default)


class RegistryClient(JsonHttp):
    def __init__(self, url: str, auth: tuple[str, str] | None = None, timeout: float = 15.0,
                 connections: int = CONNECTIONS, what: str = "schema registry", alias: str | None = None,
                 tls: HttpTls | None = None):
        super().__init__(url, auth, timeout, connections, what, RegistryRefusal,
                         accept=f"{CONTENT_TYPE}, application/json", content_type=CONTENT_TYPE, tls=tls)
        self.label = f"{what} of {alias} ({self.url})" if alias else f"{what} at {self.url}"

    # --- readiness ------------------------------------------------------------------------------------------------

    def loading(self) -> str | None:
        """Why the registry is still loading, or None when it is ready.

        Karapace and Confluent say it themselves: `GET /_health` (`status.schema_registry_ready`) and
        `GET /master_available`. A registry without those endpoints (Apicurio) must at least answer its
        global config and subject list with the right shapes. A 5xx answer (after the retries) is loading."""
        try:
            health = self._optional("/_health")
            status = health.get("status") if isinstance(health, dict) else None
            reported = isinstance(status, dict) and "schema_registry_ready" in status
            if reported and status is not None and not status["schema_registry_ready"]:
                return "/_health says schema_registry_ready is false"
            master = self._optional("/master_available")
            if isinstance(master, dict) and master.get("master_available") is False:
                return "/master_available says no primary is available"
            if not reported:
                config, subjects = self._optional("/config"), self._optional("/subjects")
                if not isinstance(config, dict) or not isinstance(subjects, list):
                    return "GET /config and GET /subjects do not answer as a ready registry does"
        except RegistryRefusal as exc:
            if exc.status < 500:
                raise
            return f"HTTP {exc.status}" + (f" error {exc.code}" if exc.code else "")
        return None

    def _optional(self, path: str) -> Any:
        """The answer of an endpoint some registries lack: None where it is missing (404, 405, 501)."""
        try:
            return self.get(path, ok_missing=True)
        except RegistryRefusal as exc:
            if exc.status in (405, 501):
                return None
            raise

    def wait_ready(self, bound: float | None = None, poll: float = 1.0, remember: bool = False) -> None:
        """Wait until the registry is ready, at most `bound` seconds (`READY_WAIT_S`); then `RegistryLoading`
        (exit 2). With `remember`, a registry found ready in this process less than `READY_FOR_S` ago is not
        asked again (the provider and the apply check before every subject)."""
        if remember and time.monotonic() - _READY_AT.get(self.url, -READY_FOR_S) < READY_FOR_S:
            return
        bound = READY_WAIT_S if bound is None else bound
        deadline = time.monotonic() + bound
        while (why := self.loading()) is not None:
            if time.monotonic() >= deadline:
                raise RegistryLoading(f"{self.label} is still loading ({why}; waited {bound:.0f} s); run again once "
                                      "it has replayed its schemas")
            time.sleep(poll)
        _READY_AT[self.url] = time.monotonic()

    # --- reads ----------------------------------------------------------------------------------------------------

    def subjects(self, deleted: bool = False) -> list[str]:
        return [str(s) for s in self.get("/subjects?deleted=true" if deleted else "/subjects") or []]

    def versions(self, subject: str) -> list[int]:
        return [int(v) for v in self.get(f"/subjects/{quote(subject, safe='')}/versions", ok_missing=True) or []]

    def version(self, subject: str, version: int | str) -> RegisteredVersion:
        body = self.get(f"/subjects/{quote(subject, safe='')}/versions/{version}")
        return RegisteredVersion(subject, int(body["version"]), int(body["id"]), body["schema"], _schema_type(body))

    def all_versions(self, subject: str) -> list[RegisteredVersion]:
        return [self.version(subject, v) for v in self.versions(subject)]

    def bulk_versions(self) -> list[RegisteredVersion] | None:
        """Every live version of every subject in one `GET /schemas` (Karapace, Confluent); None where the
        answer lacks subject, version and id (Apicurio lists bare schemas)."""
        body = self.get("/schemas", ok_missing=True)
        if not isinstance(body, list):
            return None
        if body and not all(isinstance(e, dict) and {"subject", "version", "id", "schema"} <= set(e) for e in body):
            return None
        if not body and self.subjects():
            return None  # an empty list beside live subjects: the endpoint does not list them
        return [RegisteredVersion(str(e["subject"]), int(e["version"]), int(e["id"]), str(e["schema"]),
                                  _schema_type(e)) for e in body]

    def lookup(self, subject: str, schema: str, schema_type: str, deleted: bool = False) -> RegisteredVersion | None:
        """The version of `subject` holding this schema (the registry compares by content), or None."""
        path = f"/subjects/{quote(subject, safe='')}" + ("?deleted=true" if deleted else "")
        try:
            body = self.call("POST", path, _payload(schema, schema_type), ok_missing=True)
        except RegistryRefusal as exc:
            if exc.status < 500:
                return None  # Apicurio answers some lookups of unknown content with 4xx other than 404
            raise
        if body is None:
            return None
        return RegisteredVersion(subject, int(body["version"]), int(body["id"]), str(body.get("schema", schema)),
                                 _schema_type(body, schema_type))

    def schema_by_id(self, schema_id: int) -> str | None:
        body = self.get(f"/schemas/ids/{schema_id}", ok_missing=True)
        return None if body is None else str(body["schema"])

    def schema_type_by_id(self, schema_id: int) -> tuple[str, str] | None:
        """(schema type, text) of an ID, or None when the registry has no schema with it."""
        body = self.get(f"/schemas/ids/{schema_id}", ok_missing=True)
        return None if body is None else (_schema_type(body), str(body["schema"]))

    def is_compatible(self, subject: str, schema: str, schema_type: str) -> bool:
        body = self.call("POST", f"/compatibility/subjects/{quote(subject, safe='')}/versions/latest",
                         _payload(schema, schema_type), ok_missing=True)
        return True if body is None else bool(body.get("is_compatible", False))

    def compatibility(self, subject: str) -> str | None:
        """The subject's own compatibility level (None when it follows the global default).

        Karapace answers 40408 for a subject without a level of its own and 40401 for a missing subject."""
        try:
            body = self.get(f"/config/{quote(subject, safe='')}", ok_missing=True)
        except RegistryRefusal as exc:
            if exc.code in (40408, 40401):
                return None
            raise
        if not body:
            return None
        level = body.get("compatibilityLevel") or body.get("compatibility")
        return None if level is None else str(level)

    def mode(self) -> str:
        body = self.get("/mode", ok_missing=True) or {}
        return str(body.get("mode") or "READWRITE")

    def import_unsupported(self) -> str | None:
        """Why this registry cannot register with explicit IDs (IMPORT mode), or None where it can (Confluent).

        Karapace answers `PUT /mode` with 405; Apicurio accepts IMPORT but ignores the `id` of a registration,
        so it is recognised by its own API (`/apis/registry/v3/system/info`) next to the ccompat one. Asked
        without changing anything: `PUT /mode` with the mode the registry is already in."""
        if self.base.endswith("/apis/ccompat/v7"):
            root = JsonHttp(self.url.removesuffix("/apis/ccompat/v7"), timeout=self.timeout, connections=1)
            try:
                info = root.get("/apis/registry/v3/system/info", ok_missing=True)
            except HttpRefusal:
                info = None
            if isinstance(info, dict) and "apicurio" in str(info.get("name", "")).lower():
                return f"it is {info['name']} {info.get('version', '')}".rstrip() + ", which ignores explicit IDs"
        try:
            self.call("PUT", "/mode", {"mode": self.mode()})
        except RegistryRefusal as exc:
            if exc.status in (404, 405, 501) or exc.code in (405, 42205):
                return f"it answered PUT /mode with HTTP {exc.status} (no IMPORT mode; Karapace has none)"
            raise
        return None

    def set_mode(self, subject: str, mode: str) -> None:
        self.call("PUT", f"/mode/{quote(subject, safe='')}", {"mode": mode})

    def import_version(self, subject: str, schema: str, schema_type: str, schema_id: int, version: int) -> int:
        """Register with an explicit ID and version (the subject must be in IMPORT mode); return the ID given."""
        body = self.call("POST", f"/subjects/{quote(subject, safe='')}/versions",
                         {**_payload(schema, schema_type), "id": schema_id, "version": version})
        return int(body["id"])

    # --- writes ---------------------------------------------------------------------------------------------------

    def register(self, subject: str, schema: str, schema_type: str) -> int:
        body = self.call("POST", f"/subjects/{quote(subject, safe='')}/versions", _payload(schema, schema_type))
        return int(body["id"])

    def set_compatibility(self, subject: str, level: str) -> None:
        self.call("PUT", f"/config/{quote(subject, safe='')}", {"compatibility": level})

    def clear_compatibility(self, subject: str) -> None:
        try:
            self.call("DELETE", f"/config/{quote(subject, safe='')}", ok_missing=True)
        except RegistryRefusal as exc:
            if exc.code not in (40408, 40401):
                raise

    def delete_subject(self, subject: str, *, permanent: bool) -> None:
        """Soft delete (the registry keeps the content and its IDs); `permanent` then deletes for good, which
        a permanent delete needs first. Karapace gives permanently deleted content its old ID back when it is
        registered again, so the toolkit deletes permanently only when told to."""
        self._delete(f"/subjects/{quote(subject, safe='')}", permanent)

    def delete_version(self, subject: str, version: int, *, permanent: bool) -> None:
        self._delete(f"/subjects/{quote(subject, safe='')}/versions/{version}", permanent)

    def _delete(self, path: str, permanent: bool) -> None:
        try:
            self.call("DELETE", path, ok_missing=True)
        except RegistryRefusal as exc:
            if exc.code not in (40404, 40406):  # already soft-deleted
                raise
        if permanent:
            self.call("DELETE", f"{path}?permanent=true", ok_missing=True)


def _payload(schema: str, schema_type: str) -> dict[str, Any]:
    payload: dict[str, Any] = {"schema": schema}
    if schema_type != "AVRO":
        payload["schemaType"] = schema_type
    return payload

