"""The Pulumi benchmark's pure parts: the generated stack and its one-topic change, the counts it reports, the
growth per doubling, the engine event-log profile, the settings, and what a failed step leaves in the figures."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks import pulumi_bench
from benchmarks.bench_stack import StepFailed
from benchmarks.drift_bench import write_stack
from benchmarks.pulumi_bench import (
    SETTINGS,
    STEPS,
    EngineStack,
    bench_engine,
    change_one_topic,
    event_profile,
    expected_counts,
    growth,
    ratio,
    render,
    resource_counts,
)
from kaa.pulumi_engine import PARALLEL
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


def step(seconds: float, reruns: int = 0, **extra: Any) -> dict[str, Any]:
    return {"seconds": seconds, "cpu": {"engine": 1.0}, "reruns": reruns, "profile": {}, "load": (1.5, 2.5), **extra}


def test_render_shows_each_setting_ratio_and_growth() -> None:
    def size(topics: int, scale: float) -> dict[str, object]:
        return {"topics": topics, "expected": {"topics": 2 * topics, "acls": 18 * topics, "subjects": 2 * topics,
                                               "connectors": 6},
                "direct": {"apply": step(2.0 * scale), "again": step(1.0), "remove": step(1.0 * scale)},
                "engine": [{"setting": "default", "resources": {"x": 20 * topics}, "up": step(100.0 * scale),
                            "preview": step(10.0 * scale), "refresh": step(8.0), "change": step(5.0),
                            "destroy": step(50.0 * scale)}]}

    text = render([size(100, 1.0), size(200, 2.5)])
    assert "| 100 | default | 2,000 (200 + 1,800) | 200 | 2,000 | 100.0 | 10.0 | 8.0 | 5.0 | 50.0 | 2.0 | 50x |" \
        in text
    assert "growth per doubling, default, up, 100 -> 200 topics: x2.50" in text
    assert "growth per doubling, default, change, 100 -> 200 topics: x1.00" in text
    assert "growth per doubling, default, direct, 100 -> 200 topics: x2.50" in text
    assert "load average 100 topics, default: up 1.5-2.5, preview 1.5-2.5, refresh 1.5-2.5" in text


def test_settings_compare_the_projects_engine_settings_with_pulumis_defaults() -> None:
    for command in ("up", "preview", "refresh", "destroy"):  # kaa/pulumi_engine.py's parallelism, per command
        assert SETTINGS["kaa"].args_for(command) == ("--parallel", str(PARALLEL[command]))
    assert SETTINGS["kaa"].env == {}  # scripts/pulumi-env.sh's environment as it is
    assert SETTINGS["default"].args_for("destroy") == ()
    assert SETTINGS["default"].env == {"PULUMI_SKIP_CHECKPOINTS": None}
    assert SETTINGS["kaa-p128"].args_for("preview") == SETTINGS["kaa-p128"].args_for("up") == ("--parallel", "128")


def test_render_without_the_direct_apply() -> None:
    row = {"topics": 10, "expected": {"topics": 20, "acls": 180, "subjects": 20, "connectors": 6}, "direct": None,
           "engine": [{"setting": "kaa", "resources": {"x": 40}, **{s: step(2.0) for s in STEPS}}]}
    assert "| 10 | kaa | 200 (20 + 180) | 20 | 40 | 2.0 | 2.0 | 2.0 | 2.0 | 2.0 | - | - | - | - |" in render([row])


class FakePair:
    def status(self) -> list[object]:
        return []


def run_bench_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail: dict[str, int],
                     rerun_failed: bool) -> tuple[dict[str, Any], list[tuple[str, ...]]]:
    """bench_engine with the engine faked: `fail` says how many times each command fails before it passes."""
    calls: list[tuple[str, ...]] = []

    def run(self: EngineStack, *args: str, **_: Any) -> subprocess.CompletedProcess[str]:
        calls.append(args)
        if fail.get(args[0], 0) > 0:
            fail[args[0]] -= 1
            raise StepFailed(args[0], 255, [f"kafka:index/topic:Topic t{len(calls)}: REQUEST_TIMED_OUT",
                                            "update failed"], 336.0)
        return subprocess.CompletedProcess(args, 0, '{"deployment": {"resources": []}}' if args[0] == "stack" else "")

    monkeypatch.setattr(EngineStack, "run", run)
    monkeypatch.setattr(EngineStack, "init", lambda self: None)
    monkeypatch.setattr(EngineStack, "forget", lambda self: None)
    monkeypatch.setattr(pulumi_bench, "remove", lambda topology, access: None)
    stack = write_stack(tmp_path / "gen", 2)
    row = bench_engine(FakePair(), None, {}, stack, SETTINGS["kaa-p64"], tmp_path / "w",  # type: ignore[arg-type]
                       lambda message: None, rerun_failed=rerun_failed)
    return row, calls


def test_a_failed_step_is_reported_with_its_error_and_the_rest_skipped(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    row, calls = run_bench_engine(tmp_path, monkeypatch, {"up": 1}, rerun_failed=False)
    assert row["up"]["failed"] and row["up"]["seconds"] == 336.0
    assert row["up"]["error"] == ["kafka:index/topic:Topic t1: REQUEST_TIMED_OUT", "update failed"]
    assert row["skipped"] == ["preview", "refresh", "change", "destroy"]
    assert [c[0] for c in calls] == ["up", "destroy"]  # no rerun; the untimed clean-up destroy
    assert calls[0][-2:] == ("--parallel", "64")
    text = render([{"topics": 2, "expected": expected_counts(write_stack(tmp_path / "g2", 2)), "direct": None,
                    "engine": [row]}])
    assert "| failed after 336 | skipped | skipped | skipped | skipped |" in text
    assert ("failed 2 topics, kaa-p64, up after 336s (skipped: preview, refresh, change, destroy):\n"
            "  kafka:index/topic:Topic t1: REQUEST_TIMED_OUT\n  update failed\n") in text


def test_a_rerun_is_opt_in_and_says_what_the_first_attempt_failed_with(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    row, calls = run_bench_engine(tmp_path, monkeypatch, {"up": 1}, rerun_failed=True)
    assert row["up"]["reruns"] == 1 and not row["up"].get("failed") and "error" not in row
    assert row["up"]["first_attempt"] == {"seconds": 336.0, "exit": 255,
                                          "error": ["kafka:index/topic:Topic t1: REQUEST_TIMED_OUT", "update failed"]}
    assert [c[0] for c in calls] == ["up", "up", "stack", "preview", "refresh", "up", "destroy"]
    text = render([{"topics": 2, "expected": expected_counts(write_stack(tmp_path / "g2", 2)), "direct": None,
                    "engine": [row]}])
    assert " (1 rerun: first attempt failed) |" in text
    assert ("rerun 2 topics, kaa-p64, up: the first attempt failed after 336s (exit 255):\n"
            "  kafka:index/topic:Topic t1: REQUEST_TIMED_OUT\n") in text
