"""Topology diff: golden renderings of change sets (tests/golden/diff/<case>/), risk reasons, the Avro
compatibility check, no secret in any output, and `kaa diff` over a real git repository.

KAA_UPDATE_GOLDEN=1 rewrites expected.txt / expected.md / expected.json from the current output.
"""
from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kaa.cli import main
from kaa.topodiff.diff_render import render_json, render_markdown, render_mermaid, render_text
from kaa.topodiff.topology_diff import (
    ADD,
    CHANGE,
    HIDDEN,
    KIND_ORDER,
    REMOVE,
    Change,
    TopologyDiff,
    avro_read_problems,
    diff_topologies,
)
from kaa.topology.model import Security, Topology
from kaa.topology.spec import load_topology

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = ROOT / "tests" / "golden" / "diff"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "base.yaml").is_file())
FILES = {"expected.txt": render_text, "expected.md": render_markdown, "expected.json": render_json}


def case_diff(case: str) -> TopologyDiff:
    folder = CASES_DIR / case
    base = load_topology(folder / "base.yaml", name=case)
    head = load_topology(folder / "head.yaml", name=case)
    return diff_topologies(base, head, case, "base.yaml", "head.yaml")


def by(diff: TopologyDiff, kind: str, action: str | None = None) -> list[Change]:
    return [c for c in diff.changes if c.kind == kind and (action is None or c.action == action)]


def test_the_golden_cases_are_there() -> None:
    assert set(CASES) >= {"additions", "config-change", "destructive", "schema-evolution", "renamed-topic",
                          "stops-mirroring"}


@pytest.mark.parametrize("file_name", sorted(FILES))
@pytest.mark.parametrize("case", CASES)
def test_rendering_matches_golden(golden: Callable[[Path, str], None], case: str, file_name: str) -> None:
    golden(CASES_DIR / case / file_name, FILES[file_name](case_diff(case)))


def test_every_kind_of_change_is_in_a_golden_case() -> None:
    seen = {c.kind for case in CASES for c in case_diff(case).changes}
    assert seen == set(KIND_ORDER)


def test_same_topology_has_no_change(local: Topology) -> None:
    diff = diff_topologies(local, local, "local")
    assert diff.changes == ()
    assert render_text(diff).endswith("No change.\n")
    assert "No change to topics" in render_markdown(diff)
    assert json.loads(render_json(diff))["summary"]["changes"] == 0


def test_moving_mm2_to_dedicated_workers_shows_their_acls_and_the_connectors_going(local: Topology) -> None:
    head = replace(local, mirror=replace(local.mirror, runtime="dedicated"))
    diff = diff_topologies(local, head, "local")
    added = {(c.cluster, c.name) for c in by(diff, "acl", "add")}
    assert added == {
        (alias, f"ALLOW User:mm2 {ops} on {what}")
        for alias, other in (("K1", "K2"), ("K2", "K1"))
        for ops, what in [("READ", f"group {other}-mm2")] + [
            ("READ+WRITE+CREATE+DESCRIBE+DESCRIBE_CONFIGS", f"topic mm2-{kind}.{other}.internal")
            for kind in ("configs", "offsets", "status")]
    }
    removed = by(diff, "connector", "remove")
    assert sorted(c.name for c in removed) == sorted(
        f"mm2-{s}-{t}-{kind}" for s, t in (("k1", "k2"), ("k2", "k1")) for kind in ("source", "checkpoint",
                                                                                    "heartbeat"))
    assert {c.name for c in removed if c.risk} == {"mm2-k1-k2-source", "mm2-k2-k1-source"}
    assert {c.kind for c in diff.changes} == {"acl", "connector"}


def test_pure_additions_are_not_risky() -> None:
    diff = case_diff("additions")
    assert diff.risky == ()
    assert not by(diff, "topic", REMOVE) and not by(diff, "acl", REMOVE)
    assert {(c.cluster, c.name) for c in by(diff, "topic", ADD)} == {("K1", "refunds"), ("K2", "refunds")}
    assert {(c.cluster, c.name) for c in by(diff, "remote-topic", ADD)} == {("K1", "K2.refunds"), ("K2", "K1.refunds")}
    assert [c.name for c in by(diff, "schema", ADD)] == ["refunds-value v1"]


def test_destructive_changes_carry_their_reasons() -> None:
    diff = case_diff("destructive")
    reasons = {(c.cluster, c.kind, c.name): c.risk for c in diff.risky}
    for alias in ("K1", "K2"):
        assert "cannot remove partitions" in (reasons[(alias, "partitions", "orders")] or "")
        assert "replicas move" in (reasons[(alias, "replication-factor", "orders")] or "")
        assert "deletes the topic and every record" in (reasons[(alias, "topic", "payments")] or "")
    assert len(diff.risky) == 6


def test_partition_increase_is_not_risky(local: Topology) -> None:
    more = replace(local, topics=tuple(replace(t, partitions=t.partitions + 1) for t in local.topics))
    diff = diff_topologies(local, more)
    assert by(diff, "partitions") and not diff.risky


def test_config_changes_and_shorter_retention() -> None:
    diff = case_diff("config-change")
    configs = {(c.cluster, c.name, c.action) for c in by(diff, "topic-config")}
    assert ("K1", "orders/retention.ms", CHANGE) in configs
    assert ("K1", "orders/compression.type", REMOVE) in configs
    assert ("K1", "orders/max.message.bytes", ADD) in configs
    assert {c.name for c in diff.risky} == {"orders/retention.ms"}
    tasks = {"mm2-k1-k2-source/tasks.max", "mm2-k2-k1-source/tasks.max"}
    assert {c.name for c in by(diff, "connector", CHANGE)} >= tasks


def test_renamed_topic_is_delete_plus_add_with_a_hint() -> None:
    diff = case_diff("renamed-topic")
    removed, added = by(diff, "topic", REMOVE), by(diff, "topic", ADD)
    assert {c.name for c in removed} == {"orders"} and {c.name for c in added} == {"purchases"}
    assert all("renamed to purchases" in (c.risk or "") for c in removed)


def test_topic_that_stops_being_mirrored() -> None:
    diff = case_diff("stops-mirroring")
    (flow,) = by(diff, "mirror-flow")
    assert (flow.name, flow.action) == ("shipments", REMOVE)
    assert flow.risk and "K1.shipments on K2 and K2.shipments on K1" in flow.risk
    assert {c.name for c in by(diff, "remote-topic", REMOVE)} == {"K1.shipments", "K2.shipments"}
    assert not by(diff, "topic")  # the topic itself stays on both clusters


def test_schema_evolution_compatible_and_incompatible() -> None:
    diff = case_diff("schema-evolution")
    schemas = {c.name: c for c in by(diff, "schema")}
    assert schemas["orders-value v2"].risk is None  # optional field with a default, int -> long
    assert "field `currency` added without a default" in (schemas["payments-value v2"].risk or "")
    assert "under BACKWARD" in (schemas["payments-value v2"].risk or "")
    assert "field `email` removed" in (schemas["customers-value v2"].risk or "")
    assert "under FULL" in (schemas["customers-value v2"].risk or "")
    (compat,) = by(diff, "compatibility")
    assert (compat.name, compat.before, compat.after) == ("customers-value", "FORWARD", "FULL")


def test_schema_rewritten_in_place_is_risky(local: Topology) -> None:
    orders = next(t for t in local.topics if t.name == "orders")
    subject = orders.subjects[0]
    version = replace(subject.versions[0], text=subject.versions[0].text.replace("}", ' }', 1))
    changed = replace(orders, subjects=(replace(subject, versions=(version,)),))
    head = replace(local, topics=tuple(changed if t.name == "orders" else t for t in local.topics))
    (change,) = by(diff_topologies(local, head), "schema")
    assert change.action == CHANGE and change.risk and "already registered" in change.risk


RECORD = {"type": "record", "name": "R", "namespace": "ns", "fields": [{"name": "id", "type": "string"}]}


def record(*fields: dict[str, Any], name: str = "R") -> dict[str, Any]:
    return {**RECORD, "name": name, "fields": [*RECORD["fields"], *fields]}


@pytest.mark.parametrize(("reader", "writer", "problem"), [
    (record({"name": "n", "type": "long"}), record({"name": "n", "type": "int"}), None),  # promotion
    (record({"name": "n", "type": "int"}), record({"name": "n", "type": "long"}), "changed type from long to int"),
    (record({"name": "s", "type": "bytes"}), record({"name": "s", "type": "string"}), None),
    (record({"name": "x", "type": "int", "default": 0}), record(), None),
    (record({"name": "x", "type": "int"}), record(), "field `x` added without a default"),
    (record(), record({"name": "x", "type": "int"}), None),  # a writer-only field is skipped
    (record({"name": "new", "type": "int", "aliases": ["old"]}), record({"name": "old", "type": "int"}), None),
    (record({"name": "u", "type": ["null", "string"]}), record({"name": "u", "type": "string"}), None),
    (record({"name": "u", "type": "string"}), record({"name": "u", "type": ["null", "string"]}),
     "changed type from null to string"),
    (record({"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A"]}}),
     record({"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B"]}}), "symbol B removed"),
    (record({"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A"], "default": "A"}}),
     record({"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B"]}}), None),
    (record({"name": "f", "type": {"type": "fixed", "name": "F", "size": 8}}),
     record({"name": "f", "type": {"type": "fixed", "name": "F", "size": 16}}), "size 16 vs 8"),
    (record({"name": "a", "type": {"type": "array", "items": record({"name": "q", "type": "int"}, name="I")}}),
     record({"name": "a", "type": {"type": "array", "items": record(name="I")}}), "field `a[].q` added"),
    (record({"name": "m", "type": {"type": "map", "values": "double"}}),
     record({"name": "m", "type": {"type": "map", "values": "float"}}), None),
    (record(name="Other"), record(), "type name ns.R vs ns.Other"),
])
def test_avro_schema_resolution(reader: dict[str, Any], writer: dict[str, Any], problem: str | None) -> None:
    problems = avro_read_problems(reader, writer)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def test_avro_recursive_types_terminate() -> None:
    node = {"type": "record", "name": "Node",
            "fields": [{"name": "next", "type": ["null", "Node"], "default": None}, {"name": "v", "type": "int"}]}
    assert avro_read_problems(node, node) == []


def test_forward_wording_names_the_removed_field() -> None:
    problems = avro_read_problems(record({"name": "x", "type": "int"}), record(), "FORWARD")
    assert problems == ["field `x` removed (it has no default in the older version)"]


SECRETS = ("admin-secret", "mm2-local-secret", "password=", "${kaa:", "jaas.config = ", "ScramLoginModule")


def test_no_secret_in_any_output(local: Topology, prod: Topology) -> None:
    """Switching SASL on adds the JAAS settings of every connector: their values are hidden, never shown."""
    plain = replace(local, clusters=tuple(replace(c, security=Security()) for c in local.clusters))
    diffs = [diff_topologies(plain, local, "local"), diff_topologies(local, plain, "local"),
             diff_topologies(local, prod, "prod"), *(case_diff(case) for case in CASES)]
    jaas = [c for c in diffs[0].changes if "jaas" in c.name]
    assert jaas and all(c.after == HIDDEN for c in jaas)
    for diff in diffs:
        for render in (render_text, render_json, render_markdown, render_mermaid):
            text = render(diff)
            for secret in SECRETS:
                assert secret not in text, f"{secret!r} in {render.__name__} of {diff.stack}"


def test_markdown_layout() -> None:
    md = render_markdown(case_diff("destructive"))
    assert "Legend: `+` added · `~` changed · `-` removed" in md
    assert "| topics | 0 | 0 | 2 |" in md
    order = [md.index(h) for h in ("#### ⚠️ Risky changes", "#### Cluster K1", "#### Cluster K2",
                                   "#### Mirroring (MirrorMaker 2)", "```mermaid")]
    assert order == sorted(order)
    assert md.rstrip().endswith("```")


def test_mermaid_marks_added_changed_and_removed() -> None:
    text = render_mermaid(case_diff("destructive"))
    assert text.startswith("flowchart TB\n")
    assert re.search(r'\["- payments"\]:::removed', text)
    assert re.search(r'\["~ orders"\]:::changed', text)
    assert re.search(r'\(\["- K1\.payments"\]\):::removed', text)
    assert '"~ MM2 K1 → K2"' in text and '"~ MM2 K2 → K1"' in text
    for css in ("added", "changed", "removed", "unchanged"):
        assert f"classDef {css} " in text
    assert re.search(r'\["~ orders"\]:::changed', render_mermaid(case_diff("config-change")))  # a config removed
    added = render_mermaid(case_diff("additions"))
    assert re.search(r'\["\+ refunds"\]:::added', added) and re.search(r'\(\["\+ K2\.refunds"\]\):::added', added)


def test_json_is_the_change_list() -> None:
    diff = case_diff("schema-evolution")
    document = json.loads(render_json(diff))
    assert document["summary"]["risky"] == len(diff.risky) == 2
    assert [c["name"] for c in document["changes"]] == [c.name for c in diff.changes]
    assert set(document["changes"][0]) == {"kind", "name", "action", "before", "after", "cluster", "risk",
                                           "description"}


# --- kaa diff over git ---------------------------------------------------------------------------------------

def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A git repository whose first commit holds the schema-evolution case's base as stacks/demo.yaml."""
    case = CASES_DIR / "schema-evolution"
    (tmp_path / "stacks" / "schemas").mkdir(parents=True)
    for schema in (case / "schemas").iterdir():
        (tmp_path / "stacks" / "schemas" / schema.name).write_text(schema.read_text())
    (tmp_path / "stacks" / "shared.yaml").write_text((case / "base.yaml").read_text())
    (tmp_path / "stacks" / "demo.yaml").write_text("extends: shared.yaml\nenvironment: dev\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def test_kaa_diff_against_the_working_tree(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = repo / "stacks" / "demo.yaml"
    assert main(["diff", "--stack", str(stack), "--base", "main"]) == 0
    assert capsys.readouterr().out.endswith("No change.\n")
    (repo / "stacks" / "shared.yaml").write_text((CASES_DIR / "schema-evolution" / "head.yaml").read_text())
    assert main(["diff", "--stack", str(stack), "--base", "main", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["base"], document["head"], document["summary"]["risky"]) == ("main", "working tree", 2)
    assert main(["diff", "--stack", str(stack), "--base", "main", "--fail-on-risk"]) == 1


def test_kaa_diff_between_two_refs(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "stacks" / "shared.yaml").write_text((CASES_DIR / "schema-evolution" / "head.yaml").read_text())
    git(repo, "commit", "-q", "-am", "head")
    (repo / "stacks" / "shared.yaml").write_text("this working tree is not read\n")
    stack = repo / "stacks" / "demo.yaml"
    assert main(["diff", "--stack", str(stack), "--base", "main~1", "--head", "main", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "### Topology diff of stack `demo`: `main~1` → `main`" in out
    assert "field `currency` added without a default" in out


def test_kaa_diff_of_a_new_stack_is_all_additions(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "stacks" / "fresh.yaml").write_text("extends: shared.yaml\n")
    assert main(["diff", "--stack", str(repo / "stacks" / "fresh.yaml"), "--base", "main"]) == 0
    assert "(+" in capsys.readouterr().out
    document_changes = diff_topologies(None, load_topology(repo / "stacks" / "fresh.yaml")).changes
    assert {c.action for c in document_changes} == {ADD}


def test_kaa_diff_errors_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = str(repo / "stacks" / "demo.yaml")
    assert main(["diff", "--stack", stack, "--base", "no-such-ref"]) == 2
    assert "unknown git ref 'no-such-ref'" in capsys.readouterr().err
    (repo / "stacks" / "shared.yaml").write_text("topics: {orders: {partitions: 0}}\n")
    git(repo, "commit", "-q", "-am", "broken")
    assert main(["diff", "--stack", stack, "--base", "main", "--head", "main"]) == 2
    err = capsys.readouterr().err
    assert "main:stacks/shared.yaml: topics.orders.partitions: must be at least 1" in err
    assert "kaa-diff-" not in err  # the temporary folder is not shown


@pytest.mark.parametrize(("key", "before", "after", "risky"), [
    ("retention.ms", "604800000", "259200000", "shorter retention (7d → 3d): records older than 3d"),
    ("retention.ms", "-1", "3600000", "shorter retention (forever → 1h)"),
    ("retention.ms", "3600000", "-1", None),
    ("retention.bytes", "2000", "1000", "past 1000 bytes per partition"),
    ("cleanup.policy", "delete", "compact", "only the latest record per key is kept"),
    ("max.message.bytes", "2000", "1000", None),
])
def test_config_risks(local: Topology, key: str, before: str, after: str, risky: str | None) -> None:
    def with_config(value: str) -> Topology:
        return replace(local, topics=tuple(replace(t, config={**t.config, key: value}) for t in local.topics))

    changes = by(diff_topologies(with_config(before), with_config(after)), "topic-config")
    assert changes
    for change in changes:
        assert (risky in (change.risk or "")) if risky else change.risk is None, change.risk
