"""A small stand-in for Karapace 6.2's REST API, built from the behaviour measured on the real one (issue 15):
only what the local Apicurio pair cannot show.

- schemas come back re-serialised: Avro and JSON Schema as compact JSON with sorted keys, Protobuf without its
  comments and with its spacing normalised;
- content keeps its ID for good (also after a permanent delete); identical content under another subject gets
  the same ID and uses up none; an explicit `"id"` in a POST is ignored;
- `GET /schemas` lists subject, version, id, schemaType and schema of every live version;
- `GET /config/<subject>` answers 40408 without a level of its own, 40401 for a missing subject; a subject's level
  goes with its last version;
- a permanent delete without a soft delete first answers 40405, deleting a missing subject 40401;
- `PUT /mode` answers 405, `GET /mode` READWRITE; default compatibility BACKWARD (with `import_mode`, it behaves
  as Confluent Schema Registry instead: `PUT /mode[/<subject>]` works and IMPORT honours an explicit `"id"`);
- while loading (`loading` > 0): `/_health` says `schema_registry_ready: false`, `GET /subjects` answers an empty
  list and writes answer 500/50003; each `/_health` call counts `loading` down.
"""
from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.unit.loopback_server import QuietHandler, serve


def reserialise(schema_type: str, text: str) -> str:
    if schema_type in ("AVRO", "JSON"):
        return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
    lines = [re.sub(r"\s+", " ", line.split("//", 1)[0]).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line) + "\n"


@dataclass
class Version:
    version: int
    id: int
    deleted: bool = False


@dataclass
class State:
    ids: dict[tuple[str, str], int] = field(default_factory=dict)  # (type, re-serialised text) -> id, for good
    texts: dict[int, tuple[str, str]] = field(default_factory=dict)
    subjects: dict[str, list[Version]] = field(default_factory=dict)
    levels: dict[str, str] = field(default_factory=dict)
    loading: int = 0
    master: bool = True  # `/master_available` (a primary may be elected while the schemas still replay)
    import_mode: bool = False  # behave as Confluent Schema Registry: PUT /mode works, IMPORT honours an "id"
    modes: dict[str, str] = field(default_factory=dict)
    failures: int = 0  # the next writes answered 500/50003 (as while the primary is unknown)
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def live(self, subject: str) -> list[Version]:
        return [v for v in self.subjects.get(subject, []) if not v.deleted]


class Handler(QuietHandler):
    protocol_version = "HTTP/1.1"
    state: State

    def _answer(self, status: int, body: Any) -> None:
        self.answer(status, body, "application/vnd.schemaregistry.v1+json")

    def _error(self, status: int, code: int, message: str) -> None:
        self._answer(status, {"error_code": code, "message": message})

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        parts = [unquote(p) for p in url.path.strip("/").split("/")]
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        with self.state.lock:
            self.state.requests.append((method, self.path))
            self._handle(method, parts, query, body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's names)
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._route("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._route("DELETE")

    def _handle(self, method: str, parts: list[str], query: dict[str, str], body: Any) -> None:  # noqa: C901, PLR0911, PLR0912
        s = self.state
        if parts == ["_health"]:
            ready = s.loading == 0
            s.loading = max(0, s.loading - 1)
            return self._answer(200, {"status": {"schema_registry_ready": ready}})
        if parts == ["master_available"]:
            return self._answer(200, {"master_available": s.master})
        if method != "GET" and (s.loading or s.failures):
            s.failures = max(0, s.failures - 1)
            return self._error(500, 50003, "Error while forwarding the request to the master.")
        if parts[0] == "mode":
            if method == "PUT" and not s.import_mode:
                return self._error(405, 405, "HTTP 405 Method Not Allowed")
            subject = parts[1] if len(parts) > 1 else ""
            if method == "PUT":
                s.modes[subject] = body["mode"]
            return self._answer(200, {"mode": s.modes.get(subject, "READWRITE")})
        if parts == ["config"]:
            return self._answer(200, {"compatibilityLevel": "BACKWARD"})
        if parts == ["subjects"]:
            deleted = query.get("deleted") == "true"  # soft-deleted subjects too (Confluent API, Karapace)
            return self._answer(200, [] if s.loading else sorted(n for n in s.subjects if s.live(n)
                                                                 or (deleted and s.subjects[n])))
        if parts == ["schemas"]:
            return self._answer(200, [] if s.loading else [
                {"subject": n, "version": v.version, "id": v.id, "schemaType": s.texts[v.id][0],
                 "schema": s.texts[v.id][1]} for n in sorted(s.subjects) for v in s.live(n)])
        if parts[:2] == ["schemas", "ids"]:
            if int(parts[2]) not in s.texts:
                return self._error(404, 40403, "Schema not found")
            kind, text = s.texts[int(parts[2])]
            return self._answer(200, {"schema": text, **({"schemaType": kind} if kind != "AVRO" else {})})
        if parts[0] == "config" and len(parts) == 2:
            subject = parts[1]
            if method == "PUT":
                s.levels[subject] = body["compatibility"]
                return self._answer(200, {"compatibility": body["compatibility"]})
            if method == "DELETE":
                if subject not in s.levels:
                    return self._error(404, 40408, "Subject does not have subject-level compatibility configured")
                return self._answer(200, {"compatibilityLevel": s.levels.pop(subject)})
            if subject in s.levels:
                return self._answer(200, {"compatibilityLevel": s.levels[subject]})
            if not s.live(subject):
                return self._error(404, 40401, f"Subject '{subject}' not found.")
            return self._error(404, 40408, "Subject does not have subject-level compatibility configured")
        if parts[0] == "compatibility":
            return self._answer(200, {"is_compatible": True})
        if parts[0] == "subjects":
            return self._subject(method, parts[1], parts[2:], query, body)
        return self._error(404, 404, "not found")

    def _subject(self, method: str, subject: str, rest: list[str], query: dict[str, str], body: Any) -> None:  # noqa: C901, PLR0911
        s = self.state
        versions = s.subjects.get(subject, [])
        deleted_too = query.get("deleted") == "true"
        if method == "POST":
            kind = body.get("schemaType", "AVRO")
            key = (kind, reserialise(kind, body["schema"]))
            if not rest:  # lookup
                found = next((v for v in versions if s.texts[v.id] == key and (deleted_too or not v.deleted)), None)
                if not versions:
                    return self._error(404, 40401, f"Subject '{subject}' not found.")
                if found is None:
                    return self._error(404, 40403, "Schema not found")
                return self._answer(200, {"subject": subject, "version": found.version, "id": found.id,
                                          "schema": key[1]})
            live = next((v for v in versions if s.texts[v.id] == key and not v.deleted), None)
            if live is None:
                if s.modes.get(subject) == "IMPORT" and "id" in body:  # Confluent in IMPORT mode
                    s.ids[key] = schema_id = int(body["id"])
                else:
                    schema_id = s.ids.setdefault(key, max(s.ids.values(), default=0) + 1)  # Karapace ignores "id"
                s.texts[schema_id] = key
                live = Version(max((v.version for v in versions), default=0) + 1, schema_id)
                s.subjects.setdefault(subject, []).append(live)
            return self._answer(200, {"id": live.id})
        if method == "GET":
            if not s.live(subject):
                return self._error(404, 40401, f"Subject '{subject}' not found.")
            if rest == ["versions"]:
                return self._answer(200, [v.version for v in s.live(subject)])
            number = rest[1]
            found = s.live(subject)[-1] if number == "latest" else \
                next((v for v in s.live(subject) if v.version == int(number)), None)
            if found is None:
                return self._error(404, 40402, "Version not found.")
            kind, text = s.texts[found.id]
            return self._answer(200, {"subject": subject, "version": found.version, "id": found.id, "schema": text,
                                      **({"schemaType": kind} if kind != "AVRO" else {})})
        if method == "DELETE":
            if not versions:
                return self._error(404, 40401, f"Subject '{subject}' not found.")
            targets = versions if not rest else [v for v in versions if v.version == int(rest[1])]
            if query.get("permanent") == "true":
                if any(not v.deleted for v in targets):
                    return self._error(404, 40405, "must be soft-deleted first")
                s.subjects[subject] = [v for v in versions if v not in targets]
                if not s.subjects[subject]:
                    del s.subjects[subject]
            else:
                for v in targets:
                    v.deleted = True
            if not s.live(subject):
                s.levels.pop(subject, None)  # the level goes with the last version
            return self._answer(200, [v.version for v in targets])
        return self._error(405, 405, "HTTP 405 Method Not Allowed")


@contextmanager
def fake_karapace(state: State | None = None) -> Iterator[tuple[str, State]]:
    """A running fake Karapace on a free port: (its URL, its state)."""
    state = state or State()
    with serve(type("KarapaceHandler", (Handler,), {"state": state})) as url:
        yield url, state
