"""A stack deployed with the chained layout (one `SchemaSubject` after another, the toolkit as of CHAINED_LAYOUT)
upgraded with `pulumi up` to one registration pass per registry that owns its subjects: the preview lists the two
new passes and the old subject resources leaving the state, the update replaces and re-registers nothing and the
old resources' delete leaves the live subjects alone (both registries hold the same versions with the same IDs, no
subject or version soft-deleted), and a second preview has no changes. Its own subjects (unique names and
content) on the shared pair; deleted afterwards."""
from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

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

# The last commit whose components/registry_schemas.py chains one SchemaSubject after another.
CHAINED_LAYOUT = "21ee4538901c0e0485886d602e4581a561f4fc34"
TAG = f"up{uuid.uuid4().hex[:6]}"


def chained_layout_commit() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{CHAINED_LAYOUT}^{{commit}}"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"commit {CHAINED_LAYOUT} (the chained registry layout) is not in this repository: "
                    f"{done.stderr.strip()}", pytrace=False)
    return CHAINED_LAYOUT


def old_tree(folder: Path) -> Path:
    """The toolkit as of the chained layout, unpacked (components, kaa, stacks, the e2e registry program)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", chained_layout_commit(), "components", "kaa", "stacks",
                              "tests/e2e/registry_stack"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    assert "previous = [resource]" in (folder / "components" / "registry_schemas.py").read_text()  # chained
    return folder


def write_spec(folder: Path) -> Path:
    local = yaml.safe_load((ROOT / "stacks" / "local.yaml").read_text())
    (folder / "schemas").mkdir(parents=True)
    topics = {}
    for i, name in enumerate(("orders", "payments", "customers")):
        versions = []
        for v in (1, 2) if name == "orders" else (1,):
            fields = [{"name": "id", "type": "string"}] + (
                [{"name": "n", "type": "int", "default": 0}] if v == 2 else [])
            doc = {"type": "record", "name": name.capitalize(), "namespace": TAG, "doc": f"{TAG} {i}", "fields": fields}
            (folder / "schemas" / f"{name}-v{v}.avsc").write_text(json.dumps(doc))
            versions.append(f"schemas/{name}-v{v}.avsc")
        topics[f"{TAG}-{name}"] = {"partitions": 1, "schema": {"value": versions, "compatibility": "BACKWARD"}}
    spec = {"environment": "local", "clusters": local["clusters"], "defaults": local["defaults"], "topics": topics,
            "mirror": {"name_prefix": f"{TAG}-mm2", "principal": f"User:{TAG}-mm2"}}
    (folder / "upgrade.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return folder / "upgrade.yaml"


def held(client: RegistryClient, subjects: list[str]) -> dict[str, Any]:
    """Every version of the subjects, soft-deleted ones included, with IDs; and the soft-deleted subjects."""
    versions = {s: client.get(f"/subjects/{quote(s, safe='')}/versions?deleted=true", ok_missing=True)
                for s in subjects}
    return {"versions": {s: [(v.version, v.id) for v in client.all_versions(s)] for s in subjects},
            "with_deleted": versions,
            "deleted_subjects": sorted(set(client.subjects(deleted=True)) - set(client.subjects()))}


@pytest.fixture
def old_stack(engine: dict[str, str], local_pair: LocalPair) -> Iterator[tuple[IsolatedStack, Path]]:
    with tempfile.TemporaryDirectory(prefix="kaa-e2e-upgrade-") as tmp:
        old = old_tree(Path(tmp) / "old")
        spec = write_spec(Path(tmp) / "spec-source")
        s = IsolatedStack(Path(tmp) / "work", engine, f"upgrade-{TAG}", old / "tests" / "e2e" / "registry_stack",
                          spec.parent, spec.name)
        s.env["PYTHONPATH"] = str(old)  # the program and its dynamic providers import the old toolkit
        topology = load_topology(s.spec_file)
        clients = [RegistryClient(topology.cluster(a).schema_registry, alias=a) for a in topology.aliases]
        subjects = [x.subject for x in derive(topology)[topology.aliases[0]].subjects]
        try:
            align_id_counters(*clients)  # earlier tests may have written to one registry only, on purpose
            s.init()
            yield s, old
        finally:
            s.env["PYTHONPATH"] = str(ROOT)
            s.run("destroy", "--yes", "--skip-preview", check=False)
            for client in clients:
                for subject in subjects:
                    client.delete_subject(subject, permanent=True)
                    client.clear_compatibility(subject)


def test_upgrading_from_chained_subjects_deletes_and_registers_nothing(
        old_stack: tuple[IsolatedStack, Path]) -> None:
    stack, _ = old_stack
    topology = load_topology(stack.spec_file)
    subjects = [x.subject for x in derive(topology)[topology.aliases[0]].subjects]
    clients = {a: RegistryClient(topology.cluster(a).schema_registry) for a in topology.aliases}
    stack.up()
    exported = json.loads(stack.run("stack", "export").stdout)["deployment"]["resources"]
    assert not [r for r in exported if r["type"].endswith("SchemaRegistrationPass")]  # the old layout indeed
    before = {a: held(c, subjects) for a, c in clients.items()}
    assert before["K1"]["versions"] == before["K2"]["versions"]
    assert len(before["K1"]["versions"][f"{TAG}-orders-value"]) == 2

    stack.env["PYTHONPATH"] = str(ROOT)  # the new toolkit, the same program
    preview = stack.preview_json()
    expected = {**{f"{a}-schemas-pass": "create" for a in topology.aliases},
                **{f"{a}-schemas-{s}": "delete" for a in topology.aliases for s in subjects}}
    assert changed_resources(preview) == expected
    update = stack.run("up", "--yes", "--skip-preview", "--json")
    ops = [e["resourcePreEvent"]["metadata"] for e in json_events(update.stdout) if "resourcePreEvent" in e]
    assert {m["urn"].rsplit("::", 1)[1]: m["op"] for m in ops if m["op"] != "same"} == expected
    assert {a: held(c, subjects) for a, c in clients.items()} == before
    assert changed_resources(stack.preview_json()) == {}
    ids = stack.outputs()["ids"]
    assert ids["K1"] == ids["K2"] == {s: [i for _, i in vs] for s, vs in before["K1"]["versions"].items()}


def json_events(text: str) -> list[dict[str, Any]]:
    from kaa.up_summary import json_events as events
    return events(text)
