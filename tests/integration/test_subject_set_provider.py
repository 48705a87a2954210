"""The registry pass (components/providers/schema_pass.py) owning its subjects on the real registries of the shared
pair (Apicurio's Confluent API, which has no bulk `GET /schemas` listing subjects: the per-subject fallback): both
passes give every subject the same IDs; an update deletes a subject the spec dropped (softly) and keeps the others
with their IDs; refresh reads them back and sees one deleted out of band; destroy deletes them all. Requests are
counted per subject and registry. Its own subjects (unique names and content); deleted permanently afterwards."""
from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from components.providers.schema_pass import SchemaPassProvider
from kaa.clients.json_http import JsonHttp
from kaa.clients.registry_client import RegistryClient

TAG = f"it{uuid.uuid4().hex[:6]}"
COUNT = 12


def _spec(i: int) -> dict[str, Any]:
    record = {"type": "record", "name": f"R{i}", "namespace": TAG, "fields": [{"name": "id", "type": "string"}]}
    return {"subject": f"{TAG}-s{i}-value", "compatibility": "BACKWARD",
            "schemas": [{"schema": json.dumps(record), "schemaType": "AVRO"}]}


SUBJECTS = [_spec(i) for i in range(COUNT)]


def _props(label: str, urls: dict[str, str], subjects: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"label": label, "url": urls[label], "check_urls": [urls["K1"], urls["K2"]], "check_labels": ["K1", "K2"],
            "auth": None, "permanent_delete": False, "import_ids": False, "owns_subjects": True,
            "peer_label": "K1" if label == "K2" else "", "subjects": subjects, "expected_ids": None, **extra}


@pytest.fixture
def urls(registry_urls: dict[str, str]) -> Iterator[dict[str, str]]:
    yield registry_urls
    for url in registry_urls.values():
        client = RegistryClient(url)
        for spec in SUBJECTS:
            client.delete_subject(spec["subject"], permanent=True)
            client.clear_compatibility(spec["subject"])


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Registry requests by base URL, counted at the one transport every client uses."""
    counted: Counter[str] = Counter()
    call = JsonHttp.call

    def counting(self: JsonHttp, method: str, path: str, payload: Any = None, ok_missing: bool = False) -> Any:
        counted[self.base] += 1
        return call(self, method, path, payload, ok_missing)

    monkeypatch.setattr(JsonHttp, "call", counting)
    return counted


def test_the_pass_owns_its_subjects_on_the_real_registries(urls: dict[str, str], requests: Counter[str]) -> None:
    provider = SchemaPassProvider()
    first = provider.create(_props("K1", urls, SUBJECTS)).outs
    second = provider.create(_props("K2", urls, SUBJECTS, expected_ids=first["ids"])).outs
    assert second["ids"] == first["ids"] and len(first["ids"]) == COUNT
    per_subject = sum(requests.values()) / COUNT / 2
    print(f"registry requests per subject and registry (create, {COUNT} subjects): {per_subject:.2f}")
    # Per subject: K1's pass sets the level and registers (2); K2's pass reads K1's versions of it (Apicurio has
    # no bulk read: the version list and the version, 2), asks K2 what it holds under that ID (1), sets the level
    # and registers (2); plus each pass's few reads of both registries. Measured before the snapshot: 17.2.
    assert per_subject <= 4.5

    kept = SUBJECTS[1:]
    one = provider.update("K1/registration-pass", first, _props("K1", urls, kept)).outs
    two = provider.update("K2/registration-pass", second, _props("K2", urls, kept, expected_ids=one["ids"])).outs
    for url in urls.values():
        client = RegistryClient(url)
        assert SUBJECTS[0]["subject"] not in client.subjects()
        assert SUBJECTS[0]["subject"] in client.subjects(deleted=True)  # soft
    assert one["ids"] == two["ids"] == {s["subject"]: first["ids"][s["subject"]] for s in kept}

    RegistryClient(urls["K2"]).delete_subject(kept[0]["subject"], permanent=False)  # out of band
    requests.clear()
    read = provider.read("K2/registration-pass", two).outs
    print(f"registry requests per subject (refresh): {sum(requests.values()) / len(kept):.2f}")
    assert [s["subject"] for s in read["subjects"]] == [s["subject"] for s in kept[1:]]
    assert provider.diff("K2/registration-pass", read, _props("K2", urls, kept, expected_ids=one["ids"])).changes
    again = provider.update("K2/registration-pass", read, _props("K2", urls, kept, expected_ids=one["ids"])).outs
    assert again["ids"] == one["ids"]  # registered again, with its old ID

    provider.delete("K1/registration-pass", one)
    provider.delete("K2/registration-pass", again)
    for url in urls.values():
        live = set(RegistryClient(url).subjects())
        assert not live & {s["subject"] for s in SUBJECTS}
