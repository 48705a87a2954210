"""A stack deployed with one `SchemaSubject` resource per subject beside each registry's pass (the toolkit as of
SUBJECT_LAYOUT) upgraded with a plain `pulumi up` to passes that own their subjects: the update only updates the
two passes and drops the old subject resources from the state, whose delete leaves the live subjects alone, so
both registries hold every subject, version and ID as before and no subject or version is soft-deleted; a
preview afterwards is clean. Then a subject dropped from the spec is deleted (softly) on both registries while
the others keep their versions and IDs, and a refresh reads the subjects back with nothing to change. Its own
subjects (unique names and content) on the shared pair; deleted afterwards."""
from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
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
from tests.e2e.test_registry_upgrade_pulumi import TAG, held, json_events, write_spec

# The last commit whose components/registry_schemas.py declares one SchemaSubject per subject next to the pass.
SUBJECT_LAYOUT = "3cee2f48bccedd741aadf1050cc1ec5f8c4e7a28"
SUBJECT_TYPE = "pulumi-python:dynamic/kafka-aa:SchemaSubject"
PASS_TYPE = "pulumi-python:dynamic/kafka-aa:SchemaRegistrationPass"


def old_tree(folder: Path) -> Path:
    """The toolkit as of the per-subject layout, unpacked (components, kaa, stacks, the e2e registry program)."""
    done = subprocess.run(["git", "-C", str(ROOT), "archive", SUBJECT_LAYOUT, "components", "kaa", "stacks",
                           "tests/e2e/registry_stack"], capture_output=True)
    if done.returncode != 0:
        pytest.fail(f"commit {SUBJECT_LAYOUT} (the per-subject registry layout) is not in this repository: "
                    f"{done.stderr.decode().strip()}", pytrace=False)
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as tar:
        tar.extractall(folder, filter="data")
    assert "class SchemaSubject(Resource" in (folder / "components" / "registry_schemas.py").read_text()
    return folder


@pytest.fixture
def old_stack(engine: dict[str, str], local_pair: LocalPair) -> Iterator[IsolatedStack]:
    with tempfile.TemporaryDirectory(prefix="kaa-e2e-subjects-") as tmp:
        old = old_tree(Path(tmp) / "old")
        spec = write_spec(Path(tmp) / "spec-source")
        s = IsolatedStack(Path(tmp) / "work", engine, f"subjects-{TAG}", old / "tests" / "e2e" / "registry_stack",
                          spec.parent, spec.name)
        s.env["PYTHONPATH"] = str(old)  # the program and its dynamic providers import the old toolkit
        topology = load_topology(s.spec_file)
        clients = [RegistryClient(topology.cluster(a).schema_registry, alias=a) for a in topology.aliases]
        subjects = [x.subject for x in derive(topology)[topology.aliases[0]].subjects]
        try:
            align_id_counters(*clients)  # earlier tests may have written to one registry only, on purpose
            s.init()
            yield s
        finally:
            s.env["PYTHONPATH"] = str(ROOT)
            s.run("destroy", "--yes", "--skip-preview", check=False)
            for client in clients:
                for subject in subjects:
                    client.delete_subject(subject, permanent=True)
                    client.clear_compatibility(subject)


def exported(stack: IsolatedStack) -> list[dict]:
    return json.loads(stack.run("stack", "export").stdout)["deployment"]["resources"]


def test_a_plain_up_moves_the_subjects_into_the_passes_and_deletes_nothing_live(old_stack: IsolatedStack) -> None:
    stack = old_stack
    topology = load_topology(stack.spec_file)
    subjects = [x.subject for x in derive(topology)[topology.aliases[0]].subjects]
    clients = {a: RegistryClient(topology.cluster(a).schema_registry) for a in topology.aliases}
    stack.up()
    old_subjects = [r["urn"].rsplit("::", 1)[1] for r in exported(stack) if r["type"] == SUBJECT_TYPE]
    assert sorted(old_subjects) == sorted(f"{a}-schemas-{s}" for a in topology.aliases for s in subjects)
    before = {a: held(c, subjects) for a, c in clients.items()}
    assert before["K1"]["versions"] == before["K2"]["versions"]
    assert len(before["K1"]["versions"][f"{TAG}-orders-value"]) == 2

    stack.env["PYTHONPATH"] = str(ROOT)  # the new toolkit, the same program, a plain `pulumi up`
    expected = {**{f"{a}-schemas-pass": "update" for a in topology.aliases}, **dict.fromkeys(old_subjects, "delete")}
    assert changed_resources(stack.preview_json()) == expected
    update = stack.run("up", "--yes", "--skip-preview", "--json")
    ops = [e["resourcePreEvent"]["metadata"] for e in json_events(update.stdout) if "resourcePreEvent" in e]
    assert {m["urn"].rsplit("::", 1)[1]: m["op"] for m in ops if m["op"] != "same"} == expected
    assert {a: held(c, subjects) for a, c in clients.items()} == before  # nothing soft-deleted, same IDs
    assert changed_resources(stack.preview_json()) == {}
    state = exported(stack)
    assert not [r for r in state if r["type"] == SUBJECT_TYPE]
    passes = [r for r in state if r["type"] == PASS_TYPE]
    assert len(passes) == 2 and all(r["outputs"]["owns_subjects"] is True for r in passes)
    ids = stack.outputs()["ids"]
    assert ids["K1"] == ids["K2"] == {s: [i for _, i in vs] for s, vs in before["K1"]["versions"].items()}

    # A subject dropped from the spec: deleted (softly) on both registries; the others keep versions and IDs.
    spec = yaml.safe_load(stack.spec_file.read_text())
    del spec["topics"][f"{TAG}-customers"]
    stack.spec_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert changed_resources(stack.preview_json()) == {f"{a}-schemas-pass": "update" for a in topology.aliases}
    stack.up()
    gone, kept = f"{TAG}-customers-value", [s for s in subjects if s != f"{TAG}-customers-value"]
    for alias, client in clients.items():
        now = held(client, subjects)
        assert gone in now["deleted_subjects"], alias
        assert {s: now["versions"][s] for s in kept} == {s: before[alias]["versions"][s] for s in kept}
        assert now["versions"][gone] == []
    assert stack.outputs()["ids"]["K1"] == {s: ids["K1"][s] for s in kept}

    # Refresh reads the passes' subjects back: nothing changed, so nothing to do afterwards.
    stack.run("refresh", "--yes", "--skip-preview")
    assert changed_resources(stack.preview_json()) == {}
