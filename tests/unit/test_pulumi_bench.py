"""The Pulumi benchmark's pure parts: the generated stack and its one-topic change, the counts it reports, the
growth per doubling, and the engine event-log profile."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from benchmarks.drift_bench import write_stack
from benchmarks.pulumi_bench import (
    SETTINGS,
    change_one_topic,
    event_profile,
    expected_counts,
    growth,
    json_stream,
    ratio,
    render,
    resource_counts,
)
from kaa.topology.derive import derive
from kaa.topology.spec import load_topology


def test_generated_stack_counts_what_the_topology_derives(tmp_path: Path) -> None:
    stack = write_stack(tmp_path, 3)
    counts = expected_counts(stack)
    state = derive(load_topology(stack))
    assert counts == {"topics": 6, "acls": len(state["K1"].acls) + len(state["K2"].acls), "subjects": 6,
                      "connectors": 6}
    # one producer (WRITE, DESCRIBE) and one consumer (READ, DESCRIBE on the topic and its remote twin) per topic
    assert counts["acls"] > 6 * 3


def test_one_topic_change_changes_exactly_one_topic(tmp_path: Path) -> None:
    stack = write_stack(tmp_path, 3)
    before = yaml.safe_load(stack.read_text())["topics"]
    name = change_one_topic(stack)
    after = yaml.safe_load(stack.read_text())["topics"]
    assert name == "bench-t00000"
    assert [t for t in after if after[t] != before[t]] == [name]
    assert int(after[name]["config"]["retention.ms"]) == int(before[name]["config"]["retention.ms"]) + 1000
    load_topology(stack)  # still a valid stack


def test_resource_counts_leave_out_the_stack_and_providers() -> None:
    exported = {"deployment": {"resources": [
        {"type": "pulumi:pulumi:Stack"}, {"type": "pulumi:providers:kafka"}, {"type": "kafka:index/topic:Topic"},
        {"type": "kafka:index/topic:Topic"}, {"type": "pulumi-python:dynamic:Resource"}]}}
    assert resource_counts(exported) == {"kafka:index/topic:Topic": 2, "pulumi-python:dynamic:Resource": 1}
    assert resource_counts({"deployment": {}}) == {}


def test_growth_is_per_doubling_whatever_the_step() -> None:
    rows = [{"topics": 300, "up_s": 90.0}, {"topics": 100, "up_s": 30.0}, {"topics": 1000, "up_s": 450.0},
            {"topics": 50, "up_s": None}]
    steps = growth(rows, "up_s")
    assert [(a, b) for a, b, _ in steps] == [(100, 300), (300, 1000)]
    assert steps[0][2] == pytest.approx(3.0 ** (1 / 1.5849625), rel=1e-6)  # x3 time for x3 topics: x2 per doubling
    assert steps[0][2] == pytest.approx(2.0)
    assert steps[1][2] == pytest.approx(5.0 ** (1 / 1.7369656), rel=1e-6)  # x5 for x3.33: above linear
    assert growth([{"topics": 100, "up_s": 4.0}, {"topics": 200, "up_s": 11.2}], "up_s")[0][2] == pytest.approx(2.8)


def test_ratio() -> None:
    assert ratio(30.0, 2.0) == "15x"
    assert ratio(3.0, 2.0) == "1.5x"
    assert ratio(None, 2.0) == ratio(3.0, 0.0) == "-"


def event(kind: str, urn: str, type_: str, stamp: int, op: str = "create") -> dict[str, object]:
    return {"timestamp": stamp, kind: {"metadata": {"urn": urn, "type": type_, "op": op}}}


def test_event_profile_sums_steps_per_type_and_skips_unchanged() -> None:
    events = [
        event("resourcePreEvent", "a", "kafka:index/acl:Acl", 10),
        event("resourcePreEvent", "b", "kafka:index/acl:Acl", 11),
        event("resOutputsEvent", "a", "kafka:index/acl:Acl", 14),
        event("resourcePreEvent", "t", "kafka:index/topic:Topic", 12, op="same"),
        event("resOutputsEvent", "t", "kafka:index/topic:Topic", 12, op="same"),
        event("resOpFailedEvent", "b", "kafka:index/acl:Acl", 20),
        {"timestamp": 21, "summaryEvent": {}},
    ]
    assert event_profile(events) == {"kafka:index/acl:Acl": {"steps": 2, "span_s": 10, "busy_s": 13.0}}


def test_render_shows_each_setting_ratio_and_growth() -> None:
    def step(seconds: float, reruns: int = 0) -> dict[str, object]:
        return {"seconds": seconds, "cpu": {"engine": 1.0}, "reruns": reruns, "profile": {}}

    def size(topics: int, scale: float) -> dict[str, object]:
        return {"topics": topics, "expected": {"topics": 2 * topics, "acls": 18 * topics, "subjects": 2 * topics,
                                               "connectors": 6},
                "direct": {"apply": step(2.0 * scale), "again": step(1.0), "remove": step(1.0 * scale)},
                "engine": [{"setting": "default", "resources": {"x": 20 * topics}, "up": step(100.0 * scale, 1),
                            "preview": step(10.0 * scale), "change": step(5.0), "destroy": step(50.0 * scale)}]}

    text = render([size(100, 1.0), size(200, 2.5)])
    assert "| 100 | default | 2,000 (200 + 1,800) | 200 | 2,000 | 100.0 (1 rerun) | 10.0 | 5.0 | 50.0 | 2.0 | 50x |" \
        in text
    assert "growth per doubling, default, up, 100 -> 200 topics: x2.50" in text
    assert "growth per doubling, default, change, 100 -> 200 topics: x1.00" in text
    assert "growth per doubling, default, direct, 100 -> 200 topics: x2.50" in text


def test_settings_compare_the_projects_engine_settings_with_pulumis_defaults() -> None:
    assert SETTINGS["kaa"].args == ("--parallel", "32") and SETTINGS["kaa"].env == {}  # pulumi-env.sh's environment
    assert SETTINGS["default"].args == () and SETTINGS["default"].env == {"PULUMI_SKIP_CHECKPOINTS": None}


def test_json_stream_reads_each_event_whatever_the_layout() -> None:
    text = '{"sequence": 1, "timestamp": 5}\n{\n  "sequence": 2,\n  "x": {"y": [1, 2]}\n}\nwarning: text\n{"z": 3}'
    assert json_stream(text) == [{"sequence": 1, "timestamp": 5}, {"sequence": 2, "x": {"y": [1, 2]}}, {"z": 3}]


def test_render_without_the_direct_apply() -> None:
    row = {"topics": 10, "expected": {"topics": 20, "acls": 180, "subjects": 20, "connectors": 6}, "direct": None,
           "engine": [{"setting": "kaa", "resources": {"x": 40},
                       **{s: {"seconds": 2.0, "cpu": {}, "reruns": 0, "profile": {}}
                          for s in ("up", "preview", "change", "destroy")}}]}
    assert "| 10 | kaa | 200 (20 + 180) | 20 | 40 | 2.0 | 2.0 | 2.0 | 2.0 | - | - | - | - |" in render([row])
