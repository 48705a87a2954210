"""Confluent Schema Registry REST API client (Karapace, Confluent, Apicurio's /apis/ccompat/v7)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from kaa.clients.http_request import request
from kaa.errors import RegistryError

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


@dataclass(frozen=True)
class RegisteredVersion:
    subject: str
    version: int
    id: int
    schema: str
    schema_type: str


class RegistryClient:
    def __init__(self, url: str, auth: tuple[str, str] | None = None, timeout: float = 15.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"Content-Type": CONTENT_TYPE, "Accept": "application/json"})
        if auth:
            self.session.auth = auth

    def _call(self, method: str, path: str, ok_missing: bool = False, **kwargs: Any) -> Any:
        response = request(self.session, method, f"{self.url}{path}", "schema registry", RegistryError,
                           self.timeout, ok_missing=ok_missing, **kwargs)
        if response is None:
            return None
        return response.json() if response.content else None

    def subjects(self) -> list[str]:
        return list(self._call("GET", "/subjects") or [])

    def versions(self, subject: str) -> list[int]:
        return list(self._call("GET", f"/subjects/{quote(subject, safe='')}/versions", ok_missing=True) or [])

    def version(self, subject: str, version: int | str) -> RegisteredVersion:
        body = self._call("GET", f"/subjects/{quote(subject, safe='')}/versions/{version}")
        return RegisteredVersion(subject, int(body["version"]), int(body["id"]), body["schema"],
                                 body.get("schemaType") or "AVRO")

    def all_versions(self, subject: str) -> list[RegisteredVersion]:
        return [self.version(subject, v) for v in self.versions(subject)]

    def register(self, subject: str, schema: str, schema_type: str) -> int:
        payload: dict[str, Any] = {"schema": schema}
        if schema_type != "AVRO":
            payload["schemaType"] = schema_type
        body = self._call("POST", f"/subjects/{quote(subject, safe='')}/versions", json=payload)
        return int(body["id"])

    def lookup(self, subject: str, schema: str, schema_type: str) -> RegisteredVersion | None:
        """The registered version of `subject` with this schema, or None."""
        payload: dict[str, Any] = {"schema": schema}
        if schema_type != "AVRO":
            payload["schemaType"] = schema_type
        try:
            body = self._call("POST", f"/subjects/{quote(subject, safe='')}", ok_missing=True, json=payload)
        except RegistryError:
            return None
        if body is None:
            return None
        return RegisteredVersion(subject, int(body["version"]), int(body["id"]), body.get("schema", schema),
                                 body.get("schemaType") or schema_type)

    def is_compatible(self, subject: str, schema: str, schema_type: str) -> bool:
        payload: dict[str, Any] = {"schema": schema}
        if schema_type != "AVRO":
            payload["schemaType"] = schema_type
        body = self._call("POST", f"/compatibility/subjects/{quote(subject, safe='')}/versions/latest",
                          ok_missing=True, json=payload)
        return True if body is None else bool(body.get("is_compatible", False))

    def compatibility(self, subject: str) -> str | None:
        """The subject's own compatibility level (None when it follows the global default)."""
        body = self._call("GET", f"/config/{quote(subject, safe='')}", ok_missing=True)
        if not body:
            return None
        level = body.get("compatibilityLevel") or body.get("compatibility")
        return None if level is None else str(level)

    def set_compatibility(self, subject: str, level: str) -> None:
        self._call("PUT", f"/config/{quote(subject, safe='')}", json={"compatibility": level})

    def clear_compatibility(self, subject: str) -> None:
        self._call("DELETE", f"/config/{quote(subject, safe='')}", ok_missing=True)

    def delete_subject(self, subject: str) -> None:
        """Soft then hard delete (a permanent delete needs a prior soft delete)."""
        path = f"/subjects/{quote(subject, safe='')}"
        self._call("DELETE", path, ok_missing=True)
        self._call("DELETE", f"{path}?permanent=true", ok_missing=True)

    def schema_by_id(self, schema_id: int) -> str | None:
        body = self._call("GET", f"/schemas/ids/{schema_id}", ok_missing=True)
        return None if body is None else str(body["schema"])

    def delete_version(self, subject: str, version: int) -> None:
        path = f"/subjects/{quote(subject, safe='')}/versions/{version}"
        self._call("DELETE", path, ok_missing=True)
        self._call("DELETE", f"{path}?permanent=true", ok_missing=True)
