"""The program refuses a state that still holds one ACL resource per binding (the update would delete them), says
which command fixes it, and otherwise runs; where the state cannot be read it warns instead of blocking."""
from __future__ import annotations

import json
import subprocess
from typing import Any

import pulumi
import pytest

import components.stack_program as program
from kaa.acl_layout import CHECKED_ENV, refusal

CLUSTER = "urn:pulumi:dev::kafka-active-active::kafka-aa:index:ActiveActivePair$kafka-aa:index:KafkaCluster"
OLD = {"urn": f"{CLUSTER}$kafka:index/acl:Acl::pair-K1-acl-billing-topic-literal-orders-read",
       "type": "kafka:index/acl:Acl"}
SET = {"urn": f"{CLUSTER}$pulumi-python:dynamic/kafka-aa:AclSet::pair-K1-acls-billing",
       "type": "pulumi-python:dynamic/kafka-aa:AclSet"}


def state(*resources: dict[str, str]) -> dict[str, Any]:
    return {"version": 3, "deployment": {"resources": list(resources)}}


def test_a_state_with_per_binding_acls_is_refused_naming_the_count_and_the_command():
    message = refusal(state(OLD, dict(OLD, urn=OLD["urn"] + "-2"), SET), "dev")
    assert message is not None
    assert message.startswith("stack dev: the state still holds 2 per-binding ACL resources (kafka:index/acl:Acl)")
    assert "`scripts/kaa migrate --stack dev`" in message


def test_a_state_with_acl_sets_only_or_no_resources_runs():
    assert refusal(state(SET), "dev") is None
    assert refusal({}, "dev") is None


class Recorded:
    def __init__(self, result: Any) -> None:
        self.result, self.calls, self.warnings = result, [], []

    def run(self, cmd: list[str], **kwargs: Any) -> Any:
        self.calls.append(cmd)
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch):
    def install(result: Any) -> Recorded:
        recorded = Recorded(result)
        monkeypatch.setattr(program.subprocess, "run", recorded.run)
        monkeypatch.setattr(program.shutil, "which", lambda name: "/opt/pulumi/bin/pulumi")
        monkeypatch.setattr(program.pulumi.log, "warn", lambda message, *a, **k: recorded.warnings.append(message))
        monkeypatch.setattr(pulumi, "get_stack", lambda: "dev")
        monkeypatch.setattr(pulumi, "get_organization", lambda: "acme")
        monkeypatch.setattr(pulumi, "get_project", lambda: "kafka-active-active")
        monkeypatch.delenv(CHECKED_ENV, raising=False)
        return recorded
    return install


def exported(document: dict[str, Any], rc: int = 0, stderr: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess([], rc, json.dumps(document), stderr)


def test_the_program_stops_on_an_unmigrated_state_after_reading_it_with_the_stacks_full_name(engine):
    recorded = engine(exported(state(OLD, SET)))
    with pytest.raises(pulumi.RunError, match=r"^stack dev: the state still holds 1 per-binding ACL resources"):
        program.refuse_old_acl_layout()
    assert recorded.calls == [["/opt/pulumi/bin/pulumi", "stack", "export", "--stack",
                               "acme/kafka-active-active/dev"]]


def test_a_migrated_state_runs_without_a_warning(engine):
    recorded = engine(exported(state(SET)))
    program.refuse_old_acl_layout()
    assert recorded.warnings == [] and len(recorded.calls) == 1


def test_kaa_pulumi_up_having_migrated_this_stack_skips_the_read(engine, monkeypatch: pytest.MonkeyPatch):
    recorded = engine(exported(state(OLD)))
    monkeypatch.setenv(CHECKED_ENV, "dev")
    program.refuse_old_acl_layout()
    assert recorded.calls == []
    monkeypatch.setenv(CHECKED_ENV, "prod")  # another stack's check does not count
    with pytest.raises(pulumi.RunError):
        program.refuse_old_acl_layout()


@pytest.mark.parametrize("result, reason", [
    (exported({}, rc=255, stderr="warning: x\nerror: no stack named 'dev' found"), "error: no stack named 'dev' found"),
    (subprocess.TimeoutExpired(["pulumi"], 300), "TimeoutExpired"),
    (subprocess.CompletedProcess([], 0, "not json", ""), "JSONDecodeError"),
])
def test_a_state_that_cannot_be_read_gives_a_warning_naming_the_command_not_a_failure(engine, result, reason):
    recorded = engine(result)
    program.refuse_old_acl_layout()
    assert len(recorded.warnings) == 1 and reason in recorded.warnings[0]
    assert "`scripts/kaa migrate --stack dev`" in recorded.warnings[0]


def test_no_pulumi_on_path_is_a_warning(engine, monkeypatch: pytest.MonkeyPatch):
    recorded = engine(exported(state(OLD)))
    monkeypatch.setattr(program.shutil, "which", lambda name: None)
    program.refuse_old_acl_layout()
    assert recorded.calls == [] and "no pulumi on PATH" in recorded.warnings[0]


def test_the_state_is_read_while_the_program_goes_on_and_the_refusal_comes_when_asked_for(engine, monkeypatch):
    """`start_acl_layout_check` returns at once (the topology loads and its endpoints are checked meanwhile);
    `result()` waits for the read and then stops the program, before anything is declared."""
    import threading
    release, started = threading.Event(), threading.Event()
    recorded = engine(exported(state(OLD)))

    def slow_export(cmd: list[str], **kwargs: Any) -> Any:
        started.set()
        assert release.wait(10), "the read was never let go"
        return recorded.run(cmd, **kwargs)
    monkeypatch.setattr(program.subprocess, "run", slow_export)
    check = program.start_acl_layout_check()
    assert started.wait(10) and check.thread.is_alive()  # reading, and the program has its hands free
    release.set()
    with pytest.raises(pulumi.RunError, match=r"^stack dev: the state still holds 1 per-binding ACL resources"):
        check.result()
    assert not check.thread.is_alive() and len(recorded.calls) == 1


def test_the_program_asks_for_the_checks_result_before_it_declares_anything() -> None:
    from pathlib import Path
    main = (Path(program.__file__).resolve().parent.parent / "__main__.py").read_text()
    start, topology, result, pair = (main.index(s) for s in (
        "start_acl_layout_check()", "stack_topology(", "acl_layout.result()", "ActiveActivePair(\n"))
    assert start < topology < result < pair
