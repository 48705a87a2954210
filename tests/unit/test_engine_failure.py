"""What a failed engine command said about why (kaa/up_summary.py), read from recorded engine output
(tests/unit/engine_streams/README.md says how each was recorded)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from kaa import pulumi_engine
from kaa.pulumi_engine import EngineError
from kaa.up_summary import (
    CONNECTION_RACE,
    condensed,
    connection_race_only,
    engine_failure,
    error_lines,
    json_events,
    urn_name,
)

STREAMS = Path(__file__).parent / "engine_streams"


def test_a_provider_error_is_kept_before_the_engines_own_lines() -> None:
    lines = engine_failure((STREAMS / "dynamic-provider-fails.jsonl").read_text())
    assert lines == [
        "pulumi-python:dynamic:Resource thing-7: RuntimeError: broker refused: REQUEST_TIMED_OUT for topic "
        "bench-t00007 (recorded)",
        "update failed",
        "Resource monitor has terminated, shutting down",
        "failed steps (1): create pulumi-python:dynamic:Resource thing-7",
    ]


def test_the_cause_survives_a_stream_far_longer_than_any_tail() -> None:
    # The 1,000-topic run kept the last 400 characters, which held only "Resource monitor has terminated".
    stream = (STREAMS / "dynamic-provider-fails.jsonl").read_text()
    noise = "".join(json.dumps({"sequence": i, "diagnosticEvent": {"message": "x" * 200, "severity": "debug"}}) + "\n"
                    for i in range(500))
    lines = engine_failure(stream + noise, "")
    assert "REQUEST_TIMED_OUT for topic bench-t00007" in lines[0]


def test_kafka_provider_errors_name_each_topic_and_the_failed_steps() -> None:
    lines = engine_failure((STREAMS / "kafka-unreachable.jsonl").read_text(), "panic: something\n\nlast\n", tail=1)
    assert lines[0] == ("kafka:index/topic:Topic t0: sdk-v2/provider2.go:572: sdk.helper_schema: kafka: client has "
                        "run out of available brokers to talk to: dial tcp 127.0.0.1:1: connect: connection refused: "
                        "provider=kafka@3.12.3")
    assert ("kafka:index/topic:Topic t1: 1 error occurred: * kafka: client has run out of available brokers to talk "
            "to: dial tcp 127.0.0.1:1: connect: connection refused") in lines
    assert lines[-3] == "update failed"
    assert lines[-2] == ("failed steps (3): create kafka:index/topic:Topic t1, create kafka:index/topic:Topic t0, "
                         "create kafka:index/topic:Topic t2")
    assert lines[-1] == "stderr: last"  # the last line of stderr, blank lines passed over


def test_many_errors_are_capped_first_ones_first() -> None:
    lines = engine_failure((STREAMS / "kafka-unreachable.jsonl").read_text(), limit=2)
    assert lines[:3] == [lines[0], lines[1], "(and 5 more error lines)"] and "t0" in lines[0]


def test_text_output_keeps_the_exception_of_a_traceback() -> None:
    text = (STREAMS / "dynamic-provider-fails.txt").read_text()
    assert error_lines(text) == [
        "error: RuntimeError: broker refused: REQUEST_TIMED_OUT for topic bench-t00007 (recorded)",
        "error: update failed",
        "error: Resource monitor has terminated, shutting down",
    ]
    # without events, engine_failure reads the text the same way
    assert engine_failure(text)[0] == "error: RuntimeError: broker refused: REQUEST_TIMED_OUT for topic bench-t00007 " \
                                      "(recorded)"


def test_condensed_keeps_a_multi_line_exception_and_plain_messages() -> None:
    trace = ('Traceback (most recent call last):\n  File "a.py", line 1, in f\n    g()\n    ^^^\n'
             'KaaError: registry K2 refused bench-t1-value\n  version 3 is incompatible\n')
    assert condensed(trace) == "KaaError: registry K2 refused bench-t1-value version 3 is incompatible"
    assert condensed("1 error occurred:\n\t* kafka: boom\n\n") == "1 error occurred: * kafka: boom"


def test_urn_names_and_events_between_other_text() -> None:
    assert urn_name("urn:pulumi:s::p::kafka-aa:index:KafkaCluster$kafka:index/topic:Topic::pair-K1-orders") == \
        "kafka:index/topic:Topic pair-K1-orders"
    assert urn_name(None) == ""
    assert json_events('{"a": 1}\nwarning: x {\n{\n "b": [1]\n}') == [{"a": 1}, {"b": [1]}]


def test_run_pulumi_fails_with_the_engines_error_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = (STREAMS / "dynamic-provider-fails.jsonl").read_text() + "x" * 5000  # the cause far from the end
    monkeypatch.setattr(pulumi_engine.subprocess, "run",
                        lambda *a, **k: subprocess.CompletedProcess(a[0], 255, stream, "error: update failed\n"))
    with pytest.raises(EngineError) as failed:
        pulumi_engine.run_pulumi(["up", "--json"], env={"PATH": "/nowhere"}, capture=True)
    assert str(failed.value).splitlines()[1:] == [
        "pulumi-python:dynamic:Resource thing-7: RuntimeError: broker refused: REQUEST_TIMED_OUT for topic "
        "bench-t00007 (recorded)",
        "update failed",
        "Resource monitor has terminated, shutting down",
        "failed steps (1): create pulumi-python:dynamic:Resource thing-7",
        "stderr: error: update failed",
    ]


# --- the kafka provider's connection race (kaa/up_summary.py connection_race_only) ---------------------------------
RACE_CI = (STREAMS / "kafka-connection-race-ci.txt").read_text()


@pytest.mark.parametrize("recording", ["kafka-connection-race-ci.txt", "kafka-connection-race.eventlog",
                                       "kafka-connection-race-diff.txt", "kafka-connection-race-destroy.txt"])
def test_the_connection_race_is_recognised_in_each_form_the_engine_reports_it(recording: str) -> None:
    assert connection_race_only((STREAMS / recording).read_text())


def test_in_diff_output_another_error_beside_the_race_is_not_the_race() -> None:
    diff = (STREAMS / "kafka-connection-race-diff.txt").read_text()
    other = diff.replace("error: update failed", "error: Program failed with an unhandled exception:", 1)
    assert other != diff and not connection_race_only(other)


def test_an_event_log_with_a_step_failing_without_the_race_is_not_the_race() -> None:
    log = (STREAMS / "kafka-connection-race.eventlog").read_text()
    assert log.count("kafka: broker not connected") >= 3
    assert not connection_race_only(log.replace("kafka: broker not connected", "kafka: Topic already exists"))
    failed = next(line for line in log.splitlines() if "resOpFailedEvent" in line)
    other = json.loads(failed)
    other["resOpFailedEvent"]["metadata"]["urn"] = other["resOpFailedEvent"]["metadata"]["urn"] + "-other"
    assert not connection_race_only(log + json.dumps(other) + "\n")  # a failed step the diagnostics do not name


@pytest.mark.parametrize("recording", ["dynamic-provider-fails.jsonl", "dynamic-provider-fails.txt",
                                       "kafka-unreachable.jsonl"])
def test_other_failures_are_not_the_race(recording: str) -> None:
    assert not connection_race_only((STREAMS / recording).read_text())


def test_one_step_failing_for_another_cause_beside_the_race_is_not_the_race() -> None:
    other = RACE_CI.replace(
        "  kafka:index:Topic (pair-K2-topic-customers):\n"
        "    error:   sdk-v2/provider2.go:572: sdk.helper_schema: kafka: broker not connected: provider=kafka@3.12.3\n"
        "    error: 1 error occurred:\n"
        "    \t* kafka: broker not connected\n",
        "  kafka:index:Topic (pair-K2-topic-customers):\n"
        "    error: 1 error occurred:\n"
        "    \t* kafka server: Topic with this name already exists\n")
    assert other != RACE_CI and not connection_race_only(other)


def test_a_program_error_on_the_stack_beside_the_race_is_not_the_race() -> None:
    other = RACE_CI.replace("    error: update failed\n",
                            "    error: update failed\n    error: Program failed with an unhandled exception:\n")
    assert other != RACE_CI and not connection_race_only(other)


def test_no_diagnostics_or_only_the_engines_lines_are_not_the_race() -> None:
    assert not connection_race_only("")
    assert not connection_race_only("Diagnostics:\n  pulumi:pulumi:Stack (p-s):\n    error: update failed\n")
    head = RACE_CI.split("Diagnostics:")[0]
    assert CONNECTION_RACE in head and not connection_race_only(head)  # progress lines alone say too little


def test_the_first_resource_named_in_the_diagnostics_counts_too() -> None:
    first = "  kafka:index:Topic (pair-K2-topic-shipments):\n"
    assert first in RACE_CI
    other = RACE_CI.replace(
        first + "    error:   sdk-v2/provider2.go:572: sdk.helper_schema: kafka: broker not connected: "
        "provider=kafka@3.12.3\n    error: 1 error occurred:\n    \t* kafka: broker not connected\n",
        first + "    error: 1 error occurred:\n    \t* kafka server: Policy violation\n")
    assert other != RACE_CI and not connection_race_only(other)


def test_a_resource_error_naming_the_race_only_in_a_continuation_line_is_not_enough() -> None:
    # The provider's own `error:` line names the race; a continuation line under another error does not count.
    text = ("Diagnostics:\n  kafka:index:Topic (t):\n    error: 1 error occurred:\n    \t* kafka: broker not "
            "connected\n    error: kafka server: Policy violation\n\nResources:\n")
    assert not connection_race_only(text)
    assert not connection_race_only(text.replace("    error: kafka server: Policy violation\n", ""))
    provider_line = "    error:   sdk-v2/provider2.go:572: kafka: broker not connected: provider=kafka@3.12.3\n"
    assert connection_race_only(text.replace("    error: kafka server: Policy violation\n", provider_line))


def test_diff_output_with_only_the_engines_own_lines_is_not_the_race() -> None:
    assert not connection_race_only("error: update failed\nTraceback (most recent call last):\n  x\nKeyboardInterrupt")


RACE_LOG = (STREAMS / "kafka-connection-race.eventlog").read_text()


def _events(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _stack_urn(events: list[dict]) -> str:
    urns = [(e.get("resourcePreEvent") or {}).get("metadata", {}).get("urn", "") for e in events]
    return next(urn for urn in urns if "::pulumi:pulumi:Stack::" in urn)


def test_an_event_log_where_only_the_stack_has_errors_is_not_the_race() -> None:
    events = [e for e in _events(RACE_LOG)
              if "resOpFailedEvent" not in e and "::kafka:index/topic:Topic::" not in
              (e.get("diagnosticEvent") or {}).get("urn", "")]
    stack_urn = _stack_urn(_events(RACE_LOG))
    events.append({"sequence": 999, "diagnosticEvent": {"urn": stack_urn, "severity": "error",
                                                        "message": "update failed\n"}})
    assert not connection_race_only("\n".join(json.dumps(e) for e in events))


def test_in_an_event_log_the_stack_may_carry_the_engines_aftermath() -> None:
    events = _events(RACE_LOG)
    stack_urn = _stack_urn(events)
    for event in events:
        diagnostic = event.get("diagnosticEvent") or {}
        if diagnostic.get("severity") == "error" and not diagnostic.get("urn"):
            diagnostic["urn"] = stack_urn  # as the engine sends "update failed" on the stack in some versions
    moved = "\n".join(json.dumps(e) for e in events)
    assert moved != RACE_LOG and connection_race_only(moved)
    program = moved.replace('"message": "update failed\\n"', '"message": "Program failed with an unhandled exception"')
    assert program != moved and not connection_race_only(program)
