"""Topology diff: golden renderings of change sets (tests/golden/diff/<case>/), risk reasons, the Avro
compatibility check, no secret in any output (`kaa diff` over a real git repository is in
tests/tools/test_diff_over_git.py).

KAA_UPDATE_GOLDEN=1 rewrites expected.txt / expected.md / expected.json from the current output.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kaa.redaction import HIDDEN
from kaa.topodiff.diff_render import render_json, render_markdown, render_mermaid, render_text
from kaa.topodiff.topology_diff import (
    ADD,
    CHANGE,
    KIND_ORDER,
    REMOVE,
    Change,
    TopologyDiff,
    _compatibility_problem,
    _duration,
    avro_read_problems,
    diff_topologies,
)
from kaa.topology.model import SchemaVersion, Security, Topology
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


def _orders_rewritten(local: Topology, text: str) -> Topology:
    orders = next(t for t in local.topics if t.name == "orders")
    subject = orders.subjects[0]
    changed = replace(orders, subjects=(replace(subject, versions=(replace(subject.versions[0], text=text),)),))
    return replace(local, topics=tuple(changed if t.name == "orders" else t for t in local.topics))


def test_schema_rewritten_in_place_is_risky(local: Topology) -> None:
    text = next(t for t in local.topics if t.name == "orders").subjects[0].versions[0].text
    head = _orders_rewritten(local, text.replace('"name":"Order"', '"name":"Order","doc":"now with a doc"', 1))
    (change,) = by(diff_topologies(local, head), "schema")
    assert change.action == CHANGE and change.risk and "already registered" in change.risk


def test_the_same_schema_in_another_text_form_is_no_change(local: Topology) -> None:
    """Key order and whitespace (a registry's re-serialised form, a reformatted file) never make a change."""
    text = next(t for t in local.topics if t.name == "orders").subjects[0].versions[0].text
    karapace_form = json.dumps(json.loads(text), sort_keys=True, indent=2)
    assert karapace_form != text
    assert by(diff_topologies(local, _orders_rewritten(local, karapace_form)), "schema") == []


def test_removing_a_version_or_a_subject_is_risky(local: Topology) -> None:
    orders = next(t for t in local.topics if t.name == "orders")
    head = replace(local, topics=tuple(replace(t, subjects=()) if t.name == "orders" else t for t in local.topics))
    removed = by(diff_topologies(local, head), "schema")
    assert {c.name for c in removed} == {f"{s.subject} v{i + 1}" for s in orders.subjects
                                         for i in range(len(s.versions))}
    assert all(c.action == REMOVE and c.risk and "deletes the subject" in c.risk for c in removed)


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
    # a problem inside a writer union's branch is named by its field path, not as at the top level
    (record({"name": "u", "type": record({"name": "q", "type": "int"}, name="I")}),
     record({"name": "u", "type": ["null", record({"name": "q", "type": "string"}, name="I")]}),
     "`u.q` changed type from string to int"),
])
def test_avro_schema_resolution(reader: dict[str, Any], writer: dict[str, Any], problem: str | None) -> None:
    problems = avro_read_problems(reader, writer)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def _enum(*symbols: str) -> dict[str, Any]:
    return {"type": "enum", "name": "E", "symbols": list(symbols)}


@pytest.mark.parametrize(("reader", "writer", "direction", "problems"), [
    (record({"name": "e", "type": _enum("A")}), record({"name": "e", "type": _enum("A", "B", "C")}), "BACKWARD",
     ["enum `e`: symbol B, C removed (the enum has no default)"]),
    (record({"name": "e", "type": _enum("A")}), record({"name": "e", "type": _enum("A", "B", "C")}), "FORWARD",
     ["enum `e`: symbol B, C added (the enum has no default)"]),
    (record({"name": "m", "type": {"type": "map", "values": "int"}}),
     record({"name": "m", "type": {"type": "map", "values": "long"}}), "BACKWARD",
     ["`m{}` changed type from long to int"]),
    ("int", "long", "BACKWARD", ["the top level changed type from long to int"]),
    ("int", "long", "FORWARD", ["the top level changed type from int to long"]),
    (record({"name": "u", "type": "int"}), record({"name": "u", "type": ["null", "string", "int"]}), "BACKWARD",
     ["`u` changed type from null to int", "`u` changed type from string to int"]),
    (record({"name": "u", "type": ["null", "int"]}), record({"name": "u", "type": ["null", "string"]}), "BACKWARD",
     ["`u` changed type from string to union"]),
    (["null", "int"], ["string", "long", "int"], "BACKWARD",
     ["the top level changed type from string to union", "the top level changed type from long to union"]),
    (record(name="Other"), record(), "BACKWARD", ["the top level: type name ns.R vs ns.Other"]),
    (record({"name": "f", "type": {"type": "fixed", "name": "F", "size": 8}}),
     record({"name": "f", "type": {"type": "fixed", "name": "F", "size": 16}}), "FORWARD", ["fixed `f`: size 16 vs 8"]),
])
def test_avro_problems_read_exactly(reader: Any, writer: Any, direction: str, problems: list[str]) -> None:
    """Each problem's words in full: the field path (map values, the top level), the direction, enum symbols, and
    the writer union's branches."""
    assert avro_read_problems(reader, writer, direction) == problems


def test_avro_recursive_types_terminate() -> None:
    node = {"type": "record", "name": "Node",
            "fields": [{"name": "next", "type": ["null", "Node"], "default": None}, {"name": "v", "type": "int"}]}
    assert avro_read_problems(node, node) == []


def test_each_problem_is_said_once_and_nothing_else() -> None:
    reader = record({"name": "x", "type": "int"}, {"name": "z", "type": "int"},
                    {"name": "u", "type": "int"})
    writer = record({"name": "z", "type": "int"}, {"name": "u", "type": ["null", record(name="I")]})
    assert avro_read_problems(reader, writer) == [
        "field `x` added without a default", "`u` changed type from null to int", "`u` changed type from record to int"]


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


# --- connectors and compatibility levels ------------------------------------------------------------------------
def test_renaming_a_source_connector_is_risky_and_the_others_are_not(local: Topology) -> None:
    renamed = replace(local, mirror=replace(local.mirror, name_prefix="mirror"))
    diff = diff_topologies(local, renamed)
    added = {c.name: c for c in by(diff, "connector", ADD)}
    assert set(added) == {f"mirror-{f}-{k}" for f in ("k1-k2", "k2-k1") for k in ("source", "checkpoint", "heartbeat")}
    assert {c.name for c in diff.risky} == {"mirror-k1-k2-source", "mirror-k2-k1-source"}
    assert (added["mirror-k1-k2-source"].risk or "").startswith("replaces source connector mm2-k1-k2-source: Connect "
                                                                 "keeps offsets per connector name")
    assert {c.name for c in by(diff, "connector", REMOVE)} == {f"mm2-{f}-{k}" for f in ("k1-k2", "k2-k1")
                                                              for k in ("source", "checkpoint", "heartbeat")}


def _with_compatibility(topology: Topology, subject: str, level: str | None) -> Topology:
    return replace(topology, topics=tuple(replace(t, subjects=tuple(
        replace(s, compatibility=level) if s.subject == subject else s for s in t.subjects)) for t in topology.topics))


def test_switching_a_subject_to_none_is_risky(local: Topology) -> None:
    diff = diff_topologies(local, _with_compatibility(local, "orders-value", "NONE"))
    (change,) = by(diff, "compatibility")
    assert (change.name, change.before, change.after) == ("orders-value", "BACKWARD", "NONE")
    assert (change.risk or "").startswith("NONE: the registries accept any new version")
    stricter = diff_topologies(local, _with_compatibility(local, "orders-value", "FULL_TRANSITIVE"))
    (change,) = by(stricter, "compatibility")
    assert change.after == "FULL_TRANSITIVE" and change.risk is None and stricter.risky == ()


def _avro(*fields: str) -> SchemaVersion:
    text = json.dumps({"type": "record", "name": "R", "fields": [json.loads(f) for f in fields]})
    return SchemaVersion("r.avsc", "AVRO", text)


ID = '{"name": "id", "type": "string"}'
V1 = _avro(ID, '{"name": "x", "type": "int"}')
V2 = _avro(ID)  # drops x: readable by a v2 consumer from v1 records
V3 = _avro(ID, '{"name": "x", "type": "string", "default": ""}')  # x again, as a string: fine after v2, not v1


@pytest.mark.parametrize(("level", "problem_with"), [
    ("BACKWARD", None), ("BACKWARD_TRANSITIVE", 1), ("FULL", None), ("FULL_TRANSITIVE", 1), ("NONE", None),
])
def test_transitive_levels_check_every_earlier_version(level: str, problem_with: int | None) -> None:
    problem = _compatibility_problem((V1, V2), V3, level)
    if problem_with is None:
        assert problem is None
    else:
        assert (problem or "").startswith(f"incompatible with version {problem_with} under {level}: ")


def test_a_transitive_level_in_a_diff_reports_the_oldest_version_it_breaks(local: Topology) -> None:
    def subjects(*versions: SchemaVersion) -> Topology:
        return replace(local, topics=tuple(replace(t, subjects=tuple(
            replace(s, versions=versions, compatibility="BACKWARD_TRANSITIVE") if s.subject == "orders-value" else s
            for s in t.subjects)) for t in local.topics))

    diff = diff_topologies(subjects(V1, V2), subjects(V1, V2, V3))
    (added,) = by(diff, "schema", ADD)
    assert added.name == "orders-value v3"
    assert "incompatible with version 1 under BACKWARD_TRANSITIVE" in (added.risk or "")


@pytest.mark.parametrize(("change", "text", "marks"), [
    (Change("topic", "orders", ADD, None, "6 partitions", "K1"), "topic `orders` added (6 partitions)",
     (("topic", "K1", "orders", ADD),)),
    (Change("topic", "orders", ADD, None, None, "K1"), "topic `orders` added", (("topic", "K1", "orders", ADD),)),
    (Change("topic", "orders", REMOVE, "6 partitions", None, "K1"), "topic `orders` removed (was 6 partitions)",
     (("topic", "K1", "orders", REMOVE),)),
    (Change("topic", "orders", REMOVE, None, None, "K1"), "topic `orders` removed",
     (("topic", "K1", "orders", REMOVE),)),
    (Change("schema", "orders-value v2", ADD, None, "v2.avsc"), "schema `orders-value` version 2 added (`v2.avsc`)",
     ()),
    (Change("schema", "orders-value v2", REMOVE, "v2.avsc", None),
     "schema `orders-value` version 2 removed (was `v2.avsc`)", ()),
    (Change("schema", "orders-value v1", CHANGE, "v1.avsc", "v1.avsc"),
     "schema `orders-value` version 1 rewritten in place (`v1.avsc`)", ()),
    (Change("schema", "orders-value v1", CHANGE, "v1.avsc", "other.avsc"),
     "schema `orders-value` version 1 replaced: `v1.avsc` → `other.avsc`", ()),
    (Change("connector", "mm2-k1-k2-source", ADD, None, "K1→K2 source, on K2's Connect"),
     "connector `mm2-k1-k2-source` added (K1→K2 source, on K2's Connect)",
     (("connector", "", "mm2-k1-k2-source", CHANGE),)),
    (Change("connector", "mm2-k1-k2-source", REMOVE, "K1→K2 source, on K2's Connect", None),
     "connector `mm2-k1-k2-source` removed (K1→K2 source, on K2's Connect)",
     (("connector", "", "mm2-k1-k2-source", CHANGE),)),
    (Change("connector", "mm2-k1-k2-source/tasks.max", ADD, None, "4"),
     "`tasks.max` of connector `mm2-k1-k2-source` set to `4`", (("connector", "", "mm2-k1-k2-source", CHANGE),)),
    (Change("connector", "mm2-k1-k2-source/tasks.max", REMOVE, "4", None),
     "`tasks.max` of connector `mm2-k1-k2-source` unset (was `4`)", (("connector", "", "mm2-k1-k2-source", CHANGE),)),
    (Change("connector", "mm2-k1-k2-source/tasks.max", CHANGE, "1", "4"),
     "`tasks.max` of connector `mm2-k1-k2-source`: `1` → `4`", (("connector", "", "mm2-k1-k2-source", CHANGE),)),
    (Change("topic-config", "orders/retention.ms", ADD, None, "1000", "K1"),
     "config `retention.ms` of topic `orders` set to `1000`", (("topic", "K1", "orders", CHANGE),)),
    (Change("mirror-flow", "orders", REMOVE, "x", None), "topic `orders` no longer mirrored (was x)",
     (("mirror", "", "orders", CHANGE),)),
])
def test_every_kind_of_change_reads_and_marks_itself(change: Change, text: str, marks: tuple[Any, ...]) -> None:
    assert change.describe(lambda s: f"`{s}`") == text
    assert change.marks() == marks


@pytest.mark.parametrize(("ms", "shown"), [(-1, "forever"), (0, "0ms"), (999, "999ms"), (1000, "1s"),
                                           (90_000, "90s"), (60_000, "1min"), (3_600_000, "1h"), (86_400_000, "1d")])
def test_durations_read_in_the_largest_whole_unit(ms: int, shown: str) -> None:
    assert _duration(ms) == shown


def test_a_dropped_mirrored_topic_names_its_twin_and_whether_the_toolkit_deletes_it(local: Topology) -> None:
    dropped = local.mirrored_topics[0].name
    head = replace(local, topics=tuple(t for t in local.topics if t.name != dropped))
    diff = diff_topologies(local, head, "local")
    risks = {c.cluster: c.risk for c in by(diff, "topic", "remove")}
    assert risks["K1"].endswith(f"its twin K1.{dropped} on K2: deleted once no flow copies it")
    assert risks["K2"].endswith(f"its twin K2.{dropped} on K1: deleted once no flow copies it")
    remote = {c.name: c.describe() for c in by(diff, "remote-topic", "remove")}
    assert remote[f"K1.{dropped}"].endswith("deleted once no flow copies it)")
    # MM2 outside Connect: the stack cannot stop it first, so the twin stays and the line says how to delete it
    outside = replace(local, mirror=replace(local.mirror, runtime="dedicated"))
    diff = diff_topologies(outside, replace(head, mirror=outside.mirror), "local")
    (k1,) = [c.risk for c in by(diff, "topic", "remove") if c.cluster == "K1"]
    assert f"its twin K1.{dropped} on K2: it stays: MM2 runs outside the stack (dedicated)" in k1
    assert k1.endswith(f"`scripts/kaa twins --stack {local.name} --yes` deletes it")
