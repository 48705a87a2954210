"""Schemas on a registry that behaves like Karapace 6.2 (tests/unit/fake_karapace.py, built from measured
answers): re-serialised schemas are no change in drift or in the provider; an update deletes only what the spec
removed, soft unless told, and keeps the subject's level; IDs a registry would give back are caught before
anything is registered; a loading registry is named, never read as empty; the scan reads in bulk."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

import kaa.clients.json_http as json_http
import kaa.clients.registry_client as registry_client
from components.providers.schema_pass import SchemaPassProvider
from kaa.clients.pair_access import ClusterAccess, PairAccess
from kaa.clients.registry_client import RegistryClient
from kaa.direct_apply import apply_schemas
from kaa.drift.drift_scan import scan
from kaa.errors import RegistryError
from kaa.schemas.schema_sync import preflight
from kaa.topology.model import Topology
from tests.unit.fake_karapace import State, fake_karapace


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_http, "BACKOFF_S", 0.0)
    monkeypatch.setattr(registry_client, "_READY_AT", {})


@pytest.fixture
def pair() -> Iterator[tuple[PairAccess, State, State]]:
    with fake_karapace() as (url1, k1), fake_karapace() as (url2, k2):
        access = PairAccess({"K1": ClusterAccess({}, url1, ""), "K2": ClusterAccess({}, url2, "")})
        yield access, k1, k2


def registry_changes(topology: Topology, access: PairAccess) -> list[Any]:
    report = scan(topology, access, parts=("registry",))
    assert report.unreachable == ()
    return [c for c in report.changes if c.kind in ("subject", "schema-versions", "schema-id", "compatibility")]


def test_drift_after_an_apply_on_karapace_is_clean(local: Topology, pair: tuple[PairAccess, State, State]) -> None:
    access, k1, _ = pair
    apply_schemas(local, access)
    held = [text for _, text in k1.texts.values()]
    assert all(v.text not in held for t in local.topics for s in t.subjects for v in s.versions)  # re-serialised
    assert registry_changes(local, access) == []
    # a real change still shows
    k1.texts[1] = (k1.texts[1][0], k1.texts[1][1].replace('"name"', '"doc":"x","name"', 1))
    assert [c.kind for c in registry_changes(local, access)] == ["schema-versions"]


def test_the_scan_reads_every_version_in_one_call_where_the_registry_offers_it(
        local: Topology, pair: tuple[PairAccess, State, State]) -> None:
    access, k1, _ = pair
    apply_schemas(local, access)
    k1.requests.clear()
    registry_changes(local, access)
    gets = [path for method, path in k1.requests if method == "GET"]
    assert "/schemas" in gets
    assert not [p for p in gets if "/versions" in p]  # no per-subject version reads
    levelled = {s.subject for t in local.topics for s in t.subjects if s.compatibility}
    assert {p.removeprefix("/config/") for p in gets if p.startswith("/config/")} == levelled


def test_a_loading_registry_is_named_not_read_as_empty(local: Topology, pair: tuple[PairAccess, State, State],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    access, k1, _ = pair
    apply_schemas(local, access)
    monkeypatch.setattr(registry_client, "READY_WAIT_S", 0.2)
    k1.loading = 10_000
    report = scan(local, access, parts=("registry",))
    assert report.exit_code == 2
    assert [u.message for u in report.unreachable] == [
        f"schema registry of K1 ({access['K1'].schema_registry}) is still loading (/_health says "
        "schema_registry_ready is false; waited 0 s); run again once it has replayed its schemas"]
    assert not [c for c in report.changes if c.kind == "subject"]  # nothing reported missing


def subject_props(url: str, peer: str, schemas: list[str], **extra: Any) -> dict[str, Any]:
    """K1's registration pass holding one subject, orders-value, with `schemas`."""
    return {"label": "K1", "url": url, "auth": None, "owns_subjects": True,
            "subjects": [{"subject": "orders-value", "compatibility": "FULL",
                          "schemas": [{"schema": s, "schemaType": "AVRO"} for s in schemas]}],
            "check_urls": [url, peer], "check_labels": ["K1", "K2"], "expected_ids": None, "peer_label": "", **extra}


V1 = '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}'
V2 = '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}, ' \
     '{"name": "n", "type": "int", "default": 0}]}'


def test_the_provider_sees_no_change_and_keeps_versions_and_level(pair: tuple[PairAccess, State, State]) -> None:
    access, k1, _ = pair
    provider = SchemaPassProvider()
    props = subject_props(access["K1"].schema_registry, access["K2"].schema_registry, [V1, V2])
    outs = provider.create(props).outs
    assert outs["subjects"] == props["subjects"]  # the spec's text, not Karapace's
    read = provider.read("K1/registration-pass", outs).outs
    assert read["subjects"] == props["subjects"] and read["ids"] == {"orders-value": [1, 2]}
    assert not provider.diff("K1/registration-pass", read, props).changes
    k1.requests.clear()
    provider.update("K1/registration-pass", read, props)
    assert not [r for r in k1.requests if r[0] in ("DELETE", "PUT") or r == ("POST", "/subjects/orders-value/versions")]
    assert k1.levels == {"orders-value": "FULL"}


def test_an_update_deletes_only_what_the_spec_removed_softly(pair: tuple[PairAccess, State, State]) -> None:
    access, k1, _ = pair
    provider = SchemaPassProvider()
    urls = access["K1"].schema_registry, access["K2"].schema_registry
    outs = provider.create(subject_props(*urls, [V1, V2])).outs
    news = subject_props(*urls, [V1])
    assert provider.diff("K1/registration-pass", outs, news).changes
    k1.requests.clear()
    provider.update("K1/registration-pass", outs, news)
    assert [r for r in k1.requests if r[0] == "DELETE"] == [("DELETE", "/subjects/orders-value/versions/2")]
    assert [v.deleted for v in k1.subjects["orders-value"]] == [False, True]
    assert k1.levels == {"orders-value": "FULL"}
    provider.update("K1/registration-pass", outs, subject_props(*urls, [V2], permanent_delete=True))
    assert ("DELETE", "/subjects/orders-value/versions/1?permanent=true") in k1.requests
    assert k1.levels == {"orders-value": "FULL"}  # Karapace dropped it with the last version; it is set again


def test_the_provider_deletes_a_subject_softly_unless_told(pair: tuple[PairAccess, State, State]) -> None:
    access, k1, _ = pair
    provider = SchemaPassProvider()
    outs = provider.create(subject_props(access["K1"].schema_registry, access["K2"].schema_registry, [V1])).outs
    provider.delete("K1/registration-pass", outs)
    assert not [r for r in k1.requests if "permanent" in r[1]]
    assert k1.subjects["orders-value"][0].deleted


def test_an_id_the_registries_would_give_differently_stops_before_anything_is_registered(
        pair: tuple[PairAccess, State, State]) -> None:
    """K1 registered V1 (ID 1) and deleted it; K2 holds another schema under ID 1. Registering V1 again would
    give it 1 on K1 (content keeps its ID) and a new ID on K2."""
    access, k1, k2 = pair
    one, two = (RegistryClient(access[a].schema_registry) for a in ("K1", "K2"))
    assert one.register("orders-value", V1, "AVRO") == 1
    one.delete_subject("orders-value", permanent=False)
    assert two.register("other-value", '"string"', "AVRO") == 1
    k1.requests.clear()
    k2.requests.clear()
    with pytest.raises(RegistryError, match=r"^schema ID mismatch ahead for version 1 of subject 'orders-value': "
                                            rf"{one.url} knows it as ID 1 \(deleted, and would give that ID back\), "
                                            rf"but {two.url} holds another schema under ID 1, so it would give this "
                                            r"one a different ID; nothing was registered\. To recover"):
        preflight([one, two], "orders-value", [{"schema": V1, "schemaType": "AVRO"}], None)
    assert not [r for r in k1.requests + k2.requests if r[0] in ("PUT", "DELETE") or r[0] == "POST"
                and r[1].endswith("/versions")]


def test_content_both_registries_know_under_different_ids_stops(pair: tuple[PairAccess, State, State]) -> None:
    access, _, _ = pair
    one, two = (RegistryClient(access[a].schema_registry) for a in ("K1", "K2"))
    two.register("filler-value", '"string"', "AVRO")
    for client in (one, two):
        client.register("orders-value", V1, "AVRO")
        client.delete_subject("orders-value", permanent=False)
    with pytest.raises(RegistryError, match=rf"{one.url} has it as ID 1 \(deleted\), {two.url} has it as ID 2 "
                                            r"\(deleted\); registering it would leave consumers"):
        preflight([one, two], "orders-value", [{"schema": V1, "schemaType": "AVRO"}], None)


# --- IMPORT mode: `schema_registry.ids: import` ---------------------------------------------------------------------

def test_import_mode_is_refused_on_karapace_before_anything_is_registered(
        local: Topology, pair: tuple[PairAccess, State, State]) -> None:
    access, k1, k2 = pair
    with pytest.raises(RegistryError, match=rf"^stack setting schema_registry.ids: import cannot be used with schema "
                                            rf"registry of K2 \({access['K2'].schema_registry}\): it answered PUT "
                                            r"/mode with HTTP 405 \(no IMPORT mode; Karapace has none\); remove the "
                                            r"setting .*; nothing was registered$"):
        apply_schemas(replace(local, schema_ids="import"), access)
    assert not k1.subjects and not k2.subjects


def test_import_mode_gives_the_second_registry_the_first_ones_ids(local: Topology) -> None:
    """Confluent-like registries whose counters are apart: sequential registration cannot give equal IDs, IMPORT
    mode does, and leaves every subject back in READWRITE."""
    with fake_karapace(State(import_mode=True)) as (url1, _), fake_karapace(State(import_mode=True)) as (url2, k2):
        access = PairAccess({"K1": ClusterAccess({}, url1, ""), "K2": ClusterAccess({}, url2, "")})
        RegistryClient(url2).register("filler-value", '"string"', "AVRO")  # K2's counter is one ahead
        ids = apply_schemas(replace(local, schema_ids="import"), access)
        assert ids["K1"] == ids["K2"]
        assert {s: m for s, m in k2.modes.items() if s} == dict.fromkeys(ids["K2"], "READWRITE")
    with fake_karapace(State(import_mode=True)) as (url1, _), fake_karapace(State(import_mode=True)) as (url2, _):
        access = PairAccess({"K1": ClusterAccess({}, url1, ""), "K2": ClusterAccess({}, url2, "")})
        RegistryClient(url2).register("filler-value", '"string"', "AVRO")
        with pytest.raises(RegistryError, match="schema ID mismatch for subject 'customers-value'"):
            apply_schemas(local, access)  # sequential: the counters' gap shows
