"""`pulumi up` then `pulumi preview --refresh` through the real engine, with the registries holding Karapace's text
forms of the spec's schemas (sorted-key compact JSON; Protobuf without the file's comments), registered in the same
order on both before the first `up`: the provider adopts them (registers nothing) and the refreshed preview shows
no change. Its own subjects (unique names and content); deleted afterwards."""
from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kaa.clients.registry_client import RegistryClient
from kaa.local import LocalPair
from kaa.pulumi_engine import ROOT
from kaa.schemas.schema_sync import align_id_counters
from kaa.topology.derive import derive
from kaa.topology.spec import load_topology
from tests.e2e.pulumi_stack import changed_resources
from tests.e2e.test_policy_pack import IsolatedStack
from tests.unit.fake_karapace import reserialise

TAG = f"kf{uuid.uuid4().hex[:6]}"


def write_spec(folder: Path) -> Path:
    """The local stack's registries and schemas, on topics of this run only, with content of this run only."""
    local = yaml.safe_load((ROOT / "stacks" / "local.yaml").read_text())
    base = yaml.safe_load((ROOT / "stacks" / "base.yaml").read_text())
    (folder / "schemas").mkdir(parents=True)
    topics = {}
    for name, topic in base["topics"].items():
        schema = {}
        for role in ("key", "value"):
            if role not in topic.get("schema", {}):
                continue
            files = topic["schema"][role]
            source = ROOT / "stacks" / (files[0] if isinstance(files, list) else files)
            text = source.read_text()
            if source.suffix == ".proto":
                text = f"// {TAG}: owned by logistics\n" + text.replace("package dev.kaa.", f"package {TAG}.", 1) \
                    .replace(" = 1;", " = 1;  // the key", 1)
            else:
                doc = json.loads(text)
                doc["doc" if source.suffix == ".avsc" else "description"] = TAG
                text = json.dumps(doc, indent=2)
            (folder / "schemas" / f"{name}-{role}{source.suffix}").write_text(text)
            schema[role] = f"schemas/{name}-{role}{source.suffix}"
        if schema:
            topics[f"{TAG}-{name}"] = {"partitions": 1, "schema": {**schema, "compatibility": "BACKWARD"}}
    spec = {"environment": "local", "clusters": local["clusters"], "defaults": local["defaults"], "topics": topics,
            "mirror": {"name_prefix": f"{TAG}-mm2", "principal": f"User:{TAG}-mm2"}}
    (folder / "forms.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return folder / "forms.yaml"


@pytest.fixture
def stack(engine: dict[str, str], local_pair: LocalPair) -> Iterator[IsolatedStack]:
    with tempfile.TemporaryDirectory(prefix="kaa-e2e-forms-") as tmp:
        spec = write_spec(Path(tmp) / "spec-source")
        s = IsolatedStack(Path(tmp) / "work", engine, f"forms-{TAG}", Path(__file__).parent / "registry_stack",
                          spec.parent, spec.name)
        topology = load_topology(s.spec_file)
        clients = [RegistryClient(topology.cluster(a).schema_registry, alias=a) for a in topology.aliases]
        subjects = derive(topology)[topology.aliases[0]].subjects
        try:
            # Earlier tests of the session may have written to one registry only (out-of-band drift on purpose):
            # the registrations below stand for the toolkit's own, made on registries in step.
            align_id_counters(*clients)
            for subject in subjects:
                for client in clients:
                    client.set_compatibility(subject.subject, "BACKWARD")
                    for version in subject.versions:
                        client.register(subject.subject, reserialise(version.schema_type, version.text),
                                        version.schema_type)
            s.init()
            yield s
        finally:
            s.run("destroy", "--yes", "--skip-preview", check=False)
            for client in clients:
                for subject in subjects:
                    client.delete_subject(subject.subject, permanent=True)
                    client.clear_compatibility(subject.subject)


def test_pulumi_adopts_karapace_forms_and_a_refreshed_preview_has_no_changes(stack: IsolatedStack) -> None:
    topology = load_topology(stack.spec_file)
    subjects = derive(topology)[topology.aliases[0]].subjects
    assert any(v.schema_type == "PROTOBUF" and "//" in v.text for s in subjects for v in s.versions)
    clients = {a: RegistryClient(topology.cluster(a).schema_registry) for a in topology.aliases}
    before = {a: {s.subject: c.all_versions(s.subject) for s in subjects} for a, c in clients.items()}
    stack.up()
    assert {a: {s.subject: c.all_versions(s.subject) for s in subjects} for a, c in clients.items()} == before
    preview = stack.preview_json("--refresh")
    assert changed_resources(preview) == {}, changed_resources(preview)
    ids = stack.outputs()["ids"]
    assert ids["K1"] == ids["K2"] == {s: [v.id for v in vs] for s, vs in before["K1"].items()}
