"""The registration pass (components/providers/schema_pass.py) on registries that behave like Karapace 6.2
(tests/unit/fake_karapace.py): one ordered pass per registry gives both the same IDs, the second registry's pass
stops on the first one's IDs differing, an update touches only the subjects that changed (deleting removed
versions and dropped subjects softly unless told), re-serialised schemas are no change, subjects already
registered (a stack made with the chained layout) are adopted without a write, a pass of the per-subject layout
takes its subjects over without a request, refresh reads them back, deleting the pass deletes every subject, and
a pass reads each registry once instead of per subject."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import kaa.clients.json_http as json_http
import kaa.clients.registry_client as registry_client
from components.providers.schema_pass import SchemaPassProvider, changed_subjects, dropped_subjects
from kaa.clients.registry_client import RegistryClient
from kaa.errors import RegistryError
from tests.unit.fake_karapace import State, fake_karapace, reserialise

V1 = '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}'
V2 = '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}, ' \
     '{"name": "n", "type": "int", "default": 0}]}'
C1 = '{"type": "record", "name": "Customer", "fields": [{"name": "id", "type": "string"}]}'
P1 = '{"type": "record", "name": "Payment", "fields": [{"name": "id", "type": "long"}]}'


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_http, "BACKOFF_S", 0.0)
    monkeypatch.setattr(registry_client, "_READY_AT", {})


@pytest.fixture
def registries() -> Iterator[tuple[str, State, str, State]]:
    with fake_karapace() as (url1, k1), fake_karapace() as (url2, k2):
        yield url1, k1, url2, k2


def spec(subject: str, *schemas: str, compatibility: str | None = "BACKWARD") -> dict[str, Any]:
    return {"subject": subject, "compatibility": compatibility,
            "schemas": [{"schema": s, "schemaType": "AVRO"} for s in schemas]}


def pass_props(label: str, url: str, urls: list[str], subjects: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"label": label, "url": url, "check_urls": urls, "check_labels": ["K1", "K2"], "auth": None,
            "permanent_delete": False, "import_ids": False, "peer_label": "K1" if label == "K2" else "",
            "subjects": subjects, "expected_ids": None, "owns_subjects": True, **extra}


def registered(state: State) -> list[str]:
    """Subjects in the order new versions were posted to a registry."""
    return [path.split("/")[2] for method, path in state.requests
            if method == "POST" and path.startswith("/subjects/") and path.endswith("/versions")]


SUBJECTS = [spec("orders-value", V1, V2), spec("customers-value", C1), spec("payments-value", P1)]


def test_one_pass_per_registry_registers_in_the_specs_order_with_the_same_ids(
        registries: tuple[str, State, str, State]) -> None:
    url1, k1, url2, k2 = registries
    RegistryClient(url2).register("filler-value", '"string"', "AVRO")  # K2 one ID ahead...
    RegistryClient(url1).register("filler-value", '"string"', "AVRO")  # ...and back in step
    provider = SchemaPassProvider()
    created = provider.create(pass_props("K1", url1, [url1, url2], SUBJECTS))
    assert created.id == "K1/registration-pass"  # the engine needs an ID; its refresh and delete keep it
    first = created.outs
    second = provider.create(pass_props("K2", url2, [url1, url2], SUBJECTS, expected_ids=first["ids"])).outs
    assert first["ids"] == second["ids"] == {"orders-value": [2, 3], "customers-value": [4], "payments-value": [5]}
    order = ["orders-value", "orders-value", "customers-value", "payments-value"]
    assert registered(k1)[1:] == order == registered(k2)[1:]
    assert k1.levels == k2.levels == dict.fromkeys(["orders-value", "customers-value", "payments-value"], "BACKWARD")
    assert first["owns_subjects"] is True and "auth" in first  # kept (a secret) for refresh and destroy


def test_the_second_pass_stops_on_ids_that_differ_from_the_first_ones(registries: tuple[str, State, str, State]) \
        -> None:
    url1, _, url2, k2 = registries
    provider = SchemaPassProvider()
    first = provider.create(pass_props("K1", url1, [url1, url2], SUBJECTS)).outs
    RegistryClient(url2).register("out-of-band-value", '"string"', "AVRO")  # someone wrote to K2 only
    k2.requests.clear()
    with pytest.raises(RegistryError, match=r"^schema ID mismatch ahead for version 1 of subject 'orders-value': "
                                            rf"{url1} knows it as ID 1, but {url2} holds another schema under ID 1"):
        provider.create(pass_props("K2", url2, [url1, url2], SUBJECTS, expected_ids=first["ids"]))
    assert registered(k2) == []  # caught before anything was registered
    with fake_karapace() as (url3, k3):  # IDs that could not be predicted differ after registering
        with pytest.raises(RegistryError, match=r"^schema ID mismatch for subject 'orders-value': K1's registry gave "
                                                r"\[7, 8\], K2's registry gave \[1, 2\]"):
            provider.create(pass_props("K2", url3, [url3], SUBJECTS, check_labels=["K2"], expected_ids={**first["ids"],
                                                                                 "orders-value": [7, 8]}))
        assert registered(k3) == ["orders-value", "orders-value"]  # stopped at the first subject


def test_subjects_already_registered_are_adopted_without_a_write(registries: tuple[str, State, str, State]) -> None:
    """A stack made with one chained resource per subject: the registries hold everything (as Karapace writes it
    back), so the new pass registers nothing and finds the same IDs."""
    url1, k1, url2, k2 = registries
    for url in (url1, url2):
        client = RegistryClient(url)
        for s in SUBJECTS:
            client.set_compatibility(s["subject"], "BACKWARD")
            for v in s["schemas"]:
                client.register(s["subject"], reserialise("AVRO", v["schema"]), "AVRO")
    k1.requests.clear()
    k2.requests.clear()
    provider = SchemaPassProvider()
    first = provider.create(pass_props("K1", url1, [url1, url2], SUBJECTS)).outs
    provider.create(pass_props("K2", url2, [url1, url2], SUBJECTS, expected_ids=first["ids"]))
    assert [r for r in k1.requests + k2.requests if r[0] in ("POST", "PUT", "DELETE")
            and not r[1].startswith(("/compatibility/", "/subjects/" + "x"))
            and not (r[0] == "POST" and r[1].count("/") == 2)] == []  # lookups (POST /subjects/<s>) only
    assert first["ids"] == {"orders-value": [1, 2], "customers-value": [3], "payments-value": [4]}


def test_an_update_touches_only_changed_subjects_and_deletes_removed_versions_softly(
        registries: tuple[str, State, str, State]) -> None:
    url1, k1, url2, _ = registries
    provider = SchemaPassProvider()
    olds = provider.create(pass_props("K1", url1, [url1, url2], SUBJECTS)).outs
    news = pass_props("K1", url1, [url1, url2], [spec("orders-value", V1), *SUBJECTS[1:], spec("new-value", V2)])
    assert changed_subjects(olds, news) == ["orders-value", "new-value"]
    assert changed_subjects(None, news) == [s["subject"] for s in news["subjects"]]  # a new pass: every subject
    assert changed_subjects({**olds, "url": "http://elsewhere"}, news) == changed_subjects(None, news)  # moved
    assert provider.diff("K1/registration-pass", olds, news).changes
    k1.requests.clear()
    outs = provider.update("K1/registration-pass", olds, news).outs
    touched = {path.split("/")[2].split("?")[0] for _, path in k1.requests
               if path.startswith(("/subjects/", "/config/"))}
    assert touched == {"orders-value", "new-value"}
    # the level recorded last time is not asked again (once after the delete, which may take it on Karapace)
    assert [r for r in k1.requests if r[1] == "/config/orders-value"] == [("GET", "/config/orders-value")]
    assert [r for r in k1.requests if r[1] == "/config/new-value"] == [("PUT", "/config/new-value")]  # never listed
    assert [r for r in k1.requests if r[0] == "DELETE"] == [("DELETE", "/subjects/orders-value/versions/2")]
    assert outs["ids"] == {"orders-value": [1], "customers-value": [3], "payments-value": [4], "new-value": [2]}
    provider.update("K1/registration-pass", outs,
                    {**news, "subjects": [spec("orders-value", V2), *news["subjects"][1:]], "permanent_delete": True})
    assert ("DELETE", "/subjects/orders-value/versions/1?permanent=true") in k1.requests


def test_reserialised_schemas_and_the_same_spec_are_no_change(registries: tuple[str, State, str, State]) -> None:
    url1, _, url2, _ = registries
    provider = SchemaPassProvider()
    olds = provider.create(pass_props("K1", url1, [url1, url2], SUBJECTS)).outs
    karapace_text = [spec(s["subject"], *(reserialise("AVRO", v["schema"]) for v in s["schemas"])) for s in SUBJECTS]
    assert not provider.diff("K1/registration-pass", olds, pass_props("K1", url1, [url1, url2], SUBJECTS)).changes
    assert not provider.diff("K1/registration-pass", olds, pass_props("K1", url1, [url1, url2], karapace_text)).changes
    reordered = pass_props("K1", url1, [url1, url2], [SUBJECTS[1], SUBJECTS[0], SUBJECTS[2]])
    assert provider.diff("K1/registration-pass", olds, reordered).changes
    removed = pass_props("K1", url1, [url1, url2], SUBJECTS[:2])
    assert provider.diff("K1/registration-pass", olds, removed).changes
    assert changed_subjects(olds, removed) == [] and dropped_subjects(olds, removed) == ["payments-value"]


def test_deleting_the_pass_deletes_every_subject_softly(registries: tuple[str, State, str, State]) -> None:
    url1, k1, url2, k2 = registries
    provider = SchemaPassProvider()
    outs = provider.create(pass_props("K1", url1, [url1, url2], SUBJECTS)).outs
    provider.create(pass_props("K2", url2, [url1, url2], SUBJECTS, expected_ids=outs["ids"]))
    k1.requests.clear()
    provider.delete("K1/registration-pass", outs)
    assert sorted(r for r in k1.requests if r[0] == "DELETE") == sorted(
        [("DELETE", f"/subjects/{s['subject']}") for s in SUBJECTS]
        + [("DELETE", f"/config/{s['subject']}") for s in SUBJECTS])
    assert not any(k1.live(s["subject"]) for s in SUBJECTS) and k1.levels == {}
    assert all(v.deleted for s in SUBJECTS for v in k1.subjects[s["subject"]])  # soft: content and IDs kept
    assert all(k2.live(s["subject"]) for s in SUBJECTS)  # the other registry's pass owns its own


def test_subjects_given_the_pass_ids_only_read_what_the_pass_registered(
        registries: tuple[str, State, str, State]) -> None:
    from components.providers.schema_subject import SchemaSubjectProvider
    url1, k1, url2, _ = registries
    first = SchemaPassProvider().create(pass_props("K1", url1, [url1, url2], SUBJECTS)).outs
    props = {**pass_props("K1", url1, [url1, url2], []), **SUBJECTS[0]}
    del props["subjects"]
    k1.requests.clear()
    outs = SchemaSubjectProvider().create({**props, "registered_ids": first["ids"]["orders-value"]}).outs
    assert outs["ids"] == [1, 2] and outs["versions"] == [1, 2] and outs["schemas"] == SUBJECTS[0]["schemas"]
    assert {m for m, _ in k1.requests} == {"GET"}
    assert len(k1.requests) == 4  # the version list, each version, the level
    with pytest.raises(RegistryError, match=r"^schema ID mismatch for subject 'orders-value': K1's registry gave "
                                            r"\[5, 6\]"):
        SchemaSubjectProvider().create({**props, "label": "K2", "peer_label": "K1", "expected_ids": [5, 6],
                                        "registered_ids": first["ids"]["orders-value"]})
    k1.requests.clear()  # IDs other than the pass's: the full path (preflight, sync) runs and finds them
    outs = SchemaSubjectProvider().create({**props, "registered_ids": [7, 8]}).outs
    assert outs["ids"] == [1, 2] and len(k1.requests) > 4
    assert not [r for r in k1.requests if r[0] == "POST" and r[1].endswith("/versions")]


def test_every_subject_is_checked_before_the_first_is_registered(registries: tuple[str, State, str, State]) -> None:
    """The last subject's version would get different IDs (K1 knows it as deleted ID 1, K2 holds another schema
    under ID 1): the pass stops before registering the subjects ahead of it."""
    url1, k1, url2, k2 = registries
    one, two = RegistryClient(url1), RegistryClient(url2)
    assert one.register("payments-value", P1, "AVRO") == 1
    one.delete_subject("payments-value", permanent=False)
    assert two.register("other-value", '"string"', "AVRO") == 1
    k1.requests.clear()
    with pytest.raises(RegistryError, match=r"^schema ID mismatch ahead for version 1 of subject 'payments-value'"):
        SchemaPassProvider().create(pass_props("K1", url1, [url1, url2], SUBJECTS))
    assert registered(k1) == [] and not k1.live("orders-value") and not k1.live("customers-value")


def test_an_update_deletes_the_subjects_the_spec_dropped_and_keeps_the_others(
        registries: tuple[str, State, str, State]) -> None:
    url1, k1, url2, k2 = registries
    provider = SchemaPassProvider()
    first = provider.create(pass_props("K1", url1, [url1, url2], SUBJECTS)).outs
    second = provider.create(pass_props("K2", url2, [url1, url2], SUBJECTS, expected_ids=first["ids"])).outs
    kept = [SUBJECTS[0], SUBJECTS[2]]
    news = pass_props("K1", url1, [url1, url2], kept)
    assert dropped_subjects(first, news) == ["customers-value"]
    assert provider.diff("K1/registration-pass", first, news).changes
    k1.requests.clear()
    outs = provider.update("K1/registration-pass", first, news).outs
    assert sorted(r for r in k1.requests if r[0] != "GET") == [("DELETE", "/config/customers-value"),
                                                               ("DELETE", "/subjects/customers-value")]
    assert not k1.live("customers-value") and k1.subjects["customers-value"][0].deleted  # soft
    assert outs["ids"] == {"orders-value": [1, 2], "payments-value": [4]}
    provider.update("K2/registration-pass", second,
                    pass_props("K2", url2, [url1, url2], kept, expected_ids=outs["ids"], permanent_delete=True))
    assert "customers-value" not in k2.subjects  # permanently, when the stack says so
    assert [v.id for v in k2.live("orders-value")] == [1, 2] and [v.id for v in k2.live("payments-value")] == [4]
    with fake_karapace() as (url3, k3):  # the registry moved: nothing is deleted from the old one by the new pass
        provider.update("K1/registration-pass", outs, pass_props("K1", url3, [url3], kept[:1], check_labels=["K1"]))
        assert k1.live("payments-value") and [r for r in k3.requests if r[0] == "DELETE"] == []
        assert k3.levels == {"orders-value": "BACKWARD"}  # the new registry's level is set, whatever olds said


def test_a_pass_made_before_it_owned_its_subjects_is_updated_in_place_without_a_request(
        registries: tuple[str, State, str, State]) -> None:
    """The outputs of a pass of the per-subject layout: no `owns_subjects`, no credentials. The diff asks for an
    update (never a replacement) that records the ownership and touches no registry; a subject that layout still
    listed and the spec dropped in the same update is deleted by the pass."""
    url1, k1, url2, _ = registries
    provider = SchemaPassProvider()
    made = provider.create(pass_props("K1", url1, [url1, url2], SUBJECTS)).outs
    old = {k: v for k, v in made.items() if k not in ("owns_subjects", "auth", "check_auths")}
    news = pass_props("K1", url1, [url1, url2], SUBJECTS, auth={"username": "u", "password": "p"})
    diff = provider.diff("K1/registration-pass", old, news)
    assert (diff.changes, diff.replaces) == (True, [])
    assert not provider.diff("K1/registration-pass", made, pass_props("K1", url1, [url1, url2], SUBJECTS)).changes
    k1.requests.clear()
    outs = provider.update("K1/registration-pass", old, news).outs
    assert k1.requests == []
    assert outs["owns_subjects"] is True and outs["auth"] == {"username": "u", "password": "p"}
    assert outs["ids"] == made["ids"]
    provider.update("K1/registration-pass", old, pass_props("K1", url1, [url1, url2], SUBJECTS[:2]))
    assert not k1.live("payments-value")


def test_refresh_reads_every_subject_back_and_a_lost_one_is_registered_again_with_its_id(
        registries: tuple[str, State, str, State]) -> None:
    url1, k1, url2, _ = registries
    provider = SchemaPassProvider()
    props = pass_props("K1", url1, [url1, url2], SUBJECTS)
    outs = provider.create(props).outs
    karapace = {**outs, "subjects": [spec(s["subject"], *(reserialise("AVRO", v["schema"]) for v in s["schemas"]))
                                     for s in SUBJECTS]}
    result = provider.read("K1/registration-pass", karapace)
    assert result.id == "K1/registration-pass"  # an empty ID would tell the engine the whole pass is gone
    read = result.outs
    assert read["subjects"] == karapace["subjects"] and read["ids"] == outs["ids"]
    assert not provider.diff("K1/registration-pass", read, props).changes
    RegistryClient(url1).delete_subject("customers-value", permanent=False)  # out of band
    RegistryClient(url1).set_compatibility("payments-value", "NONE")
    read = provider.read("K1/registration-pass", outs).outs
    assert [s["subject"] for s in read["subjects"]] == ["orders-value", "payments-value"]
    assert read["subjects"][1]["compatibility"] == "NONE" and "customers-value" not in read["ids"]
    assert changed_subjects(read, props) == ["customers-value", "payments-value"]
    assert provider.diff("K1/registration-pass", read, props).changes
    again = provider.update("K1/registration-pass", read, props).outs
    assert again["ids"] == outs["ids"] and k1.levels["payments-value"] == "BACKWARD"
    assert [v.id for v in k1.live("customers-value")] == [3]


def test_a_pass_reads_each_registry_once_and_writes_two_requests_per_new_subject(
        registries: tuple[str, State, str, State], monkeypatch: pytest.MonkeyPatch) -> None:
    """Registry requests per new subject (one version, a level): the level and the version, nothing read per
    subject where the registry has a bulk read (`GET /schemas`); with only per-subject reads (Apicurio), only
    the subjects the registry lists are read."""
    url1, k1, url2, k2 = registries
    many = [spec(f"s{i}-value", json_record(f"R{i}")) for i in range(20)]
    provider = SchemaPassProvider()
    first = provider.create(pass_props("K1", url1, [url1, url2], many)).outs
    per_subject = [r for r in k1.requests if r[1].startswith(("/subjects/", "/config/"))]
    assert len(per_subject) == 2 * len(many)
    assert sorted({m for m, _ in per_subject}) == ["POST", "PUT"]
    assert ("GET", "/subjects?deleted=true") in k1.requests and ("GET", "/subjects?deleted=true") in k2.requests
    k1.requests.clear()
    k2.requests.clear()
    monkeypatch.setattr(RegistryClient, "bulk_versions", lambda self: None)  # a registry without the bulk read
    provider.create(pass_props("K2", url2, [url1, url2], many, expected_ids=first["ids"]))
    assert len([r for r in k1.requests if r[0] == "GET" and r[1].endswith("/versions")]) == len(many)  # listed
    assert not [r for r in k2.requests if r[0] == "GET" and r[1].endswith("/versions")]  # never listed: not read
    assert [v.id for v in k2.live("s19-value")] == first["ids"]["s19-value"]


def json_record(name: str) -> str:
    return json.dumps({"type": "record", "name": name, "fields": [{"name": "id", "type": "string"}]})


def test_the_diff_updates_in_place_on_every_setting_and_never_replaces() -> None:
    """Replacing the pass would delete every subject of its registry: each setting is an update in place."""
    olds = {**pass_props("K1", "http://r1", ["http://r1", "http://r2"], SUBJECTS), "ids": {}}
    provider = SchemaPassProvider()
    assert not provider.diff("K1/registration-pass", olds, pass_props("K1", "http://r1", ["http://r1", "http://r2"],
                                                                      SUBJECTS)).changes
    for key, value in (("url", "http://r3"), ("expected_ids", {"orders-value": [1, 2]}), ("import_ids", True),
                       ("permanent_delete", True), ("check_urls", ["http://r1"]), ("owns_subjects", None),
                       ("subjects", SUBJECTS[:2])):
        diff = provider.diff("K1/registration-pass", olds, {**olds, key: value})
        assert (diff.changes, diff.replaces, diff.delete_before_replace) == (True, [], False), key


def test_each_checked_registry_is_asked_with_its_own_label_credentials_and_ca(
        registries: tuple[str, State, str, State], monkeypatch: pytest.MonkeyPatch) -> None:
    """The pass checks both registries before registering: each with its own basic auth and CA (`check_auths`,
    `check_cas`), or the pass's own where the stack gives one for all."""
    import components.providers.schema_pass as schema_pass
    url1, _, url2, _ = registries
    made: list[tuple[str, str | None, Any, str | None]] = []
    real = schema_pass._client

    def recording(url: str, label: str | None, auth: Any, ca: str | None) -> RegistryClient:
        made.append((url, label, auth, ca))
        return real(url, label, None, None)  # the fakes speak plain HTTP without auth

    monkeypatch.setattr(schema_pass, "_client", recording)
    one, two = {"username": "k1", "password": "a"}, {"username": "k2", "password": "b"}
    SchemaPassProvider().create(pass_props("K1", url1, [url1, url2], SUBJECTS[:1], auth=one, ca="k1.pem",
                                           check_auths=[one, two], check_cas=["k1.pem", "k2.pem"]))
    assert made == [(url1, "K1", one, "k1.pem"), (url1, "K1", one, "k1.pem"), (url2, "K2", two, "k2.pem")]
    made.clear()
    SchemaPassProvider().create(pass_props("K1", url1, [url1, url2], SUBJECTS[1:2], auth=one, ca="k1.pem",
                                           check_labels=[]))
    assert made == [(url1, "K1", one, "k1.pem"), (url1, None, one, "k1.pem"), (url2, None, one, "k1.pem")]


def test_with_import_ids_the_second_pass_registers_with_the_first_ones_ids() -> None:
    """Confluent-like registries whose counters are apart (`schema_registry.ids: import`): the second pass
    imports each version with the first registry's ID and leaves the subject in READWRITE; the first registers."""
    with fake_karapace(State(import_mode=True)) as (url1, k1), fake_karapace(State(import_mode=True)) as (url2, k2):
        RegistryClient(url1).register("filler-value", '"string"', "AVRO")  # K1's counter is one ahead
        provider = SchemaPassProvider()
        first = provider.create(pass_props("K1", url1, [url1, url2], SUBJECTS, import_ids=True)).outs
        assert first["ids"] == {"orders-value": [2, 3], "customers-value": [4], "payments-value": [5]}
        assert not [s for s, m in k1.modes.items() if s and m == "IMPORT"] and registered(k1)  # registered
        second = provider.create(pass_props("K2", url2, [url1, url2], SUBJECTS, import_ids=True,
                                            expected_ids=first["ids"])).outs
        assert second["ids"] == first["ids"]
        assert {s: m for s, m in k2.modes.items() if s} == dict.fromkeys(first["ids"], "READWRITE")
        assert k2.levels == dict.fromkeys(first["ids"], "BACKWARD")  # imported subjects get their level too


def test_a_settled_subject_is_checked_again_when_the_first_registrys_ids_change(
        registries: tuple[str, State, str, State]) -> None:
    url1, _, url2, _ = registries
    provider = SchemaPassProvider()
    first = provider.create(pass_props("K1", url1, [url1, url2], SUBJECTS)).outs
    second = provider.create(pass_props("K2", url2, [url1, url2], SUBJECTS, expected_ids=first["ids"])).outs
    moved = {**first["ids"], "payments-value": [9]}  # the first registry's IDs as its pass now reports them
    with pytest.raises(RegistryError, match=r"^schema ID mismatch for subject 'payments-value': K1's registry gave "
                                            r"\[9\], K2's registry gave \[4\]"):
        provider.update("K2/registration-pass", second,
                        pass_props("K2", url2, [url1, url2], SUBJECTS, expected_ids=moved))


def test_import_ids_on_a_registry_without_import_mode_is_refused_before_anything_is_registered(
        registries: tuple[str, State, str, State]) -> None:
    url1, k1, url2, _ = registries
    with pytest.raises(RegistryError, match=r"^stack setting schema_registry.ids: import cannot be used with schema "
                                            r"registry of K2 .*HTTP 405"):
        SchemaPassProvider().create(pass_props("K1", url1, [url1, url2], SUBJECTS, import_ids=True))
    assert registered(k1) == []


def test_a_refused_version_names_the_subjects_own_level_and_nothing_is_registered(
        registries: tuple[str, State, str, State], monkeypatch: pytest.MonkeyPatch) -> None:
    url1, k1, url2, _ = registries
    for url in (url1, url2):
        assert RegistryClient(url).register("orders-value", V1, "AVRO") == 1
    k1.requests.clear()
    monkeypatch.setattr(RegistryClient, "is_compatible", lambda self, subject, schema, schema_type: False)
    refused = [spec("orders-value", V1, V2, compatibility="FULL_TRANSITIVE"), spec("customers-value", C1)]
    with pytest.raises(RegistryError, match=r"refuses the new version of subject 'orders-value': it is not "
                                            r"FULL_TRANSITIVE-compatible with the latest version"):
        SchemaPassProvider().create(pass_props("K1", url1, [url1, url2], refused))
    assert registered(k1) == []
