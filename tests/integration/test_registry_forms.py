"""The real local registries made to hold what Karapace holds: the shipped schemas registered in Karapace's text
forms (Avro and JSON Schema as sorted-key compact JSON, Protobuf re-rendered without its comments), in the same
order on both sides. Drift is clean and an apply registers nothing: the same schema in another text form is no
change. Runs in its own throw-away subjects (unique names and content) and deletes them afterwards."""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest

from kaa.clients.pair_access import PairAccess
from kaa.clients.registry_client import RegistryClient
from kaa.direct_apply import apply_schemas
from kaa.drift.drift_compare import DriftOptions
from kaa.drift.drift_scan import scan
from kaa.topology.derive import derive
from kaa.topology.model import SchemaVersion, Topology
from kaa.topology.spec import load_topology
from tests.integration.conftest import ROOT
from tests.unit.fake_karapace import reserialise

TAG = f"kf{uuid.uuid4().hex[:8]}"


def unique(version: SchemaVersion) -> SchemaVersion:
    """The same kind of schema with content no other test registers; the Protobuf file gets comments."""
    if version.schema_type == "PROTOBUF":
        text = version.text.replace("package dev.kaa.", f"package {TAG}.dev.kaa.", 1)
        text = f"// {TAG}: shipments, owned by logistics\n" + text.replace(" = 1;", " = 1;  // the key", 1)
        return replace(version, text=text)
    doc = json.loads(version.text)
    doc["doc" if version.schema_type == "AVRO" else "description"] = TAG
    return replace(version, text=json.dumps(doc, indent=2))  # not the registry's form either


@pytest.fixture
def karapace_held(local_pair: object, registry_urls: dict[str, str]) -> Iterator[tuple[Topology, PairAccess]]:
    local = load_topology(ROOT / "stacks" / "local.yaml")
    topics = tuple(replace(t, subjects=tuple(
        replace(s, subject=f"{TAG}-{s.subject}", versions=tuple(unique(v) for v in s.versions)) for s in t.subjects))
        for t in local.topics)
    topology = replace(local, topics=topics)
    access = PairAccess.from_status({"clusters": {a: {"kafka": {}, "schema_registry": u, "connect": ""}
                                                  for a, u in registry_urls.items()}}, {})
    clients = [RegistryClient(registry_urls[a], alias=a) for a in topology.aliases]
    subjects = derive(topology)[topology.aliases[0]].subjects
    try:
        for subject in subjects:
            for client in clients:  # the same order on both sides, as the toolkit registers
                if subject.compatibility:
                    client.set_compatibility(subject.subject, subject.compatibility)
                for version in subject.versions:
                    client.register(subject.subject, reserialise(version.schema_type, version.text),
                                    version.schema_type)
        yield topology, access
    finally:
        for client in clients:
            for subject in subjects:
                client.delete_subject(subject.subject, permanent=True)
                client.clear_compatibility(subject.subject)


def test_drift_is_clean_and_an_apply_registers_nothing(karapace_held: tuple[Topology, PairAccess]) -> None:
    topology, access = karapace_held
    subjects = derive(topology)[topology.aliases[0]].subjects
    assert any(v.schema_type == "PROTOBUF" and "//" in v.text for s in subjects for v in s.versions)
    clients = {a: RegistryClient(access[a].schema_registry) for a in topology.aliases}
    held = {a: {s.subject: c.all_versions(s.subject) for s in subjects} for a, c in clients.items()}
    for versions in held["K1"].values():  # the registries hold the other text form
        assert all(v.schema.strip() != next(x.text for s in subjects for x in s.versions
                                            if x.schema_type == v.schema_type).strip() for v in versions)

    report = scan(topology, access, DriftOptions(scope=f"{TAG}-.*"), parts=("registry",))
    assert (report.unreachable, report.changes) == ((), ()), report.changes

    ids = apply_schemas(topology, access)
    assert {a: {s: c.all_versions(s) for s in held[a]} for a, c in clients.items()} == held  # nothing registered
    assert ids["K1"] == ids["K2"] == {s: [v.id for v in versions] for s, versions in held["K1"].items()}


def test_a_real_change_still_shows(karapace_held: tuple[Topology, PairAccess]) -> None:
    topology, access = karapace_held
    orders = next(t for t in topology.topics if t.name == "orders")
    subject = orders.subjects[0]
    changed = replace(subject.versions[0], text=subject.versions[0].text.replace(TAG, f"{TAG} changed"))
    head = replace(topology, topics=tuple(replace(t, subjects=(replace(subject, versions=(changed,)),))
                                          if t is orders else t for t in topology.topics))
    report = scan(head, access, DriftOptions(scope=f"{TAG}-.*"), parts=("registry",))
    assert sorted((c.kind, c.name, c.cluster) for c in report.changes) == [
        ("schema-versions", subject.subject, "K1"), ("schema-versions", subject.subject, "K2")]


def test_import_mode_is_refused_on_apicurio_before_anything_is_registered(local_pair: object,
                                                                          registry_urls: dict[str, str]) -> None:
    """Apicurio accepts `PUT /mode` IMPORT but ignores an explicit ID: `schema_registry.ids: import` is refused."""
    from kaa.errors import RegistryError
    from kaa.schemas.schema_sync import refuse_import

    clients = [RegistryClient(registry_urls[a], alias=a) for a in ("K1", "K2")]
    assert [c.mode() for c in clients] == ["READWRITE", "READWRITE"]
    with pytest.raises(RegistryError, match=r"^stack setting schema_registry.ids: import cannot be used with schema "
                                            r"registry of K2 \(.*\): it is Apicurio Registry \(SQL\) 3\.3\.3, which "
                                            r"ignores explicit IDs; remove the setting"):
        refuse_import(clients)
    assert [c.mode() for c in clients] == ["READWRITE", "READWRITE"]
