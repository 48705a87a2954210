"""`make up`'s decisions and output: state against reality, the update's counts, the summary of the pair."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from kaa.cli import cmd_quickstart
from kaa.errors import KaaError
from kaa.state_check import Tracked, divergence_message, missing_resources, tracked_resources
from kaa.up_summary import error_lines, outputs_summary, update_counts

PROVIDER_URN = ("urn:pulumi:local::kafka-active-active::kafka-aa:index:ActiveActivePair$pulumi:providers:kafka"
                "::pair-K1-provider")


def _export() -> dict[str, Any]:
    """A `pulumi stack export` document in the checkpoint format (version 3), trimmed to what matters."""
    return {"version": 3, "deployment": {"resources": [
        {"urn": "urn:pulumi:local::kafka-active-active::pulumi:pulumi:Stack::kafka-active-active-local",
         "type": "pulumi:pulumi:Stack"},
        {"urn": PROVIDER_URN, "id": "6f0c", "type": "pulumi:providers:kafka",
         "inputs": {"bootstrapServers": '["127.0.0.1:19092"]', "saslUsername": "admin"}},
        {"urn": "urn:...::kafka:index/topic:Topic::pair-K1-topic-orders", "type": "kafka:index/topic:Topic",
         "provider": f"{PROVIDER_URN}::6f0c", "outputs": {"name": "orders", "partitions": 6}},
        {"urn": "urn:...::kafka:index/topic:Topic::pair-K1-topic-old", "type": "kafka:index/topic:Topic",
         "provider": f"{PROVIDER_URN}::6f0c", "outputs": {"name": "old"}, "delete": True},
        {"urn": "urn:...::pulumi-python:dynamic/kafka-aa:SchemaSubject::pair-K1-registry-orders-value",
         "type": "pulumi-python:dynamic/kafka-aa:SchemaSubject",
         "outputs": {"url": "http://127.0.0.1:18081/apis/ccompat/v7", "subject": "orders-value", "ids": [1]}},
        {"urn": "urn:...::pulumi-python:dynamic/kafka-aa:MirrorConnector::pair-mirror-mm2-K1-K2-source",
         "type": "pulumi-python:dynamic/kafka-aa:MirrorConnector",
         "outputs": {"url": "http://127.0.0.1:28083", "name": "mm2-K1-K2-source", "label": "K2"}},
    ]}}


PASS_ENTRY = {"urn": "urn:...::pulumi-python:dynamic/kafka-aa:SchemaRegistrationPass::pair-K2-schemas-pass",
              "type": "pulumi-python:dynamic/kafka-aa:SchemaRegistrationPass",
              "outputs": {"url": "http://127.0.0.1:28081/apis/ccompat/v7", "ids": {"orders-value": [1]},
                          "subjects": [{"subject": "orders-value", "schemas": []}, {"subject": "payments-key"}]}}


def test_tracked_resources_resolve_each_topic_to_its_providers_servers_and_skip_pending_deletes() -> None:
    """Subjects as one resource each (stacks made before the pass owned them) and as entries of a pass."""
    document = _export()
    document["deployment"]["resources"].append(PASS_ENTRY)
    assert tracked_resources(document) == [
        Tracked("connector", "http://127.0.0.1:28083", "mm2-K1-K2-source"),
        Tracked("subject", "http://127.0.0.1:18081/apis/ccompat/v7", "orders-value"),
        Tracked("subject", "http://127.0.0.1:28081/apis/ccompat/v7", "orders-value"),
        Tracked("subject", "http://127.0.0.1:28081/apis/ccompat/v7", "payments-key"),
        Tracked("topic", "127.0.0.1:19092", "orders"),
    ]


def test_an_empty_or_new_stack_tracks_nothing() -> None:
    assert tracked_resources({}) == []
    assert tracked_resources({"version": 3, "deployment": {"manifest": {}}}) == []


def test_missing_resources_asks_each_place_once_and_skips_places_it_cannot_reach() -> None:
    asked: list[tuple[str, str]] = []
    live = {("topic", "k1"): {"orders"}, ("subject", "r1"): set()}

    def lister(kind: str, place: str) -> set[str] | None:
        asked.append((kind, place))
        return live.get((kind, place))

    tracked = [Tracked("topic", "k1", "orders"), Tracked("topic", "k1", "payments"),
               Tracked("subject", "r1", "orders-value"), Tracked("connector", "elsewhere", "c")]
    assert missing_resources(tracked, lister) == [Tracked("topic", "k1", "payments"),
                                                  Tracked("subject", "r1", "orders-value")]
    assert asked == [("topic", "k1"), ("subject", "r1"), ("connector", "elsewhere")]


def test_divergence_message_names_counts_and_an_example_and_is_none_when_state_and_pair_agree() -> None:
    tracked = [Tracked("topic", "k1", "orders"), Tracked("topic", "k1", "payments"),
               Tracked("subject", "r1", "orders-value")]
    assert divergence_message("local", tracked, []) is None
    assert divergence_message("local", tracked, tracked[1:]) == (
        "the local stack's Pulumi state lists 3 topics, subjects and connectors, but 2 of them are gone from the "
        "pair (1 topics, 1 subjects; e.g. topic payments at k1): the pair was wiped or changed out of band")


LOG = """Updating (local):
 +  pulumi:pulumi:Stack kafka-active-active-local creating
    ... 3,000 lines of diff ...
Outputs:
    pair: {...}

Resources:
    + 191 created
    2 unchanged

Duration: 2m41s
"""


def test_update_counts_are_the_last_resources_block_of_the_log() -> None:
    assert update_counts("Resources:\n    + 5 created\n\n" + LOG) == ["+ 191 created", "2 unchanged"]
    assert update_counts("no summary here") == []


def test_error_lines_keep_what_failed_else_the_tail() -> None:
    text = "Updating\n  kafka:index/acl:Acl pair-K1-acl-x creating error: ACL not found after 2s\nmore\n"
    assert error_lines(text) == ["kafka:index/acl:Acl pair-K1-acl-x creating error: ACL not found after 2s"]
    assert error_lines("a\n\nb\nc\n", limit=2) == ["b", "c"]


def test_outputs_summary_says_what_exists_on_each_cluster_registry_and_connect() -> None:
    outputs = {
        "pair": {"clusters": {
            "K1": {"topics": ["orders"], "remote_topics": ["K2.orders"], "connectors": ["mm2-K2-K1-source"],
                   "acls": 12},
            "K2": {"topics": ["orders"], "remote_topics": ["K1.orders"], "connectors": ["mm2-K1-K2-source"],
                   "acls": 12}}},
        "schema_ids": {"K1": {"orders-value": [1, 2]}, "K2": {"orders-value": [1, 2]}},
        "connectors": {"mm2-K2-K1-source": "RUNNING", "mm2-K1-K2-source": "FAILED"},
    }
    assert outputs_summary(outputs) == [
        "K1: 1 topics (orders), 12 ACLs; MM2 mirrors them to the other cluster and fills 1 remote topics here "
        "(K2.orders)",
        "K2: 1 topics (orders), 12 ACLs; MM2 mirrors them to the other cluster and fills 1 remote topics here "
        "(K1.orders)",
        "K1 registry: 1 subjects, schema IDs orders-value [1, 2]",
        "K2 registry: 1 subjects, schema IDs orders-value [1, 2]",
        "K1 Connect: 1 MM2 connectors, 1 RUNNING (mm2-K2-K1-source)",
        "K2 Connect: 1 MM2 connectors, 0 RUNNING (mm2-K1-K2-source)",
    ]


class _Done:
    def __init__(self, stdout: str = "", returncode: int = 0):
        self.stdout, self.stderr, self.returncode = stdout, "", returncode


class _Pair:
    state_dir = Path("/nowhere")

    def up(self) -> list[Any]:
        return []


OLD_ACL_URN = ("urn:pulumi:local::kafka-active-active::kafka-aa:index:ActiveActivePair$kafka-aa:index:KafkaCluster"
               "$kafka:index/acl:Acl::pair-K1-acl-billing-topic-literal-orders-read")


def _quickstart(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, wiped: bool,
                fail_first_up: bool = False, old_layout: bool = False,
                calls: list[list[str]] | None = None) -> tuple[list[list[str]], str]:
    calls = [] if calls is None else calls
    ups = []
    exported = _export()
    if old_layout:
        exported["deployment"]["resources"].append({"urn": OLD_ACL_URN, "type": "kafka:index/acl:Acl"})

    def run_pulumi(args: list[str], env: Any = None, capture: bool = False, check: bool = True, cwd: Any = None
                   ) -> _Done:
        calls.append(list(args))
        if args[0] == "up":
            ups.append(args)
            if fail_first_up and len(ups) == 1:
                return _Done("error: ACL not found", 1)
            return _Done(LOG)
        if args[:2] == ["stack", "export"]:
            return _Done(json.dumps(exported))
        if args[:2] == ["stack", "output"]:
            return _Done(json.dumps({"pair": {"clusters": {"K1": {"topics": ["orders"]}}}}))
        return _Done("v3.274.1")

    monkeypatch.setattr(cmd_quickstart, "LocalPair", lambda **kw: _Pair())
    monkeypatch.setattr(cmd_quickstart, "engine_env", lambda: {})
    monkeypatch.setattr(cmd_quickstart, "ensure_stack", lambda env: None)
    monkeypatch.setattr(cmd_quickstart, "run_pulumi", run_pulumi)
    monkeypatch.setattr("kaa.cli.cmd_migrate.run_pulumi", run_pulumi)
    # The pair has everything the export lists, or (wiped) nothing at all.
    everything = {"topic": {"orders"}, "subject": {"orders-value"}, "connector": {"mm2-K1-K2-source"}}
    monkeypatch.setattr(cmd_quickstart, "pair_lister",
                        lambda pair: lambda kind, place: set() if wiped else everything[kind])
    monkeypatch.setattr(cmd_quickstart, "show_replication", lambda pair: None)
    log = tmp_path / "up.log"
    monkeypatch.setattr(cmd_quickstart, "log_path", lambda: log)
    assert cmd_quickstart.run(argparse.Namespace(skip_up=False, verbose=False)) == 0
    return calls, log.read_text()


def test_quickstart_refreshes_first_when_the_state_lists_what_the_pair_lacks(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    calls, log = _quickstart(monkeypatch, tmp_path, wiped=True)
    verbs = [c[0] for c in calls if c[0] in ("refresh", "up")]
    assert verbs == ["refresh", "up"]
    out = capsys.readouterr().out
    assert ("the local stack's Pulumi state lists 3 topics, subjects and connectors, but 3 of them are gone "
            "from the pair (1 topics, 1 subjects, 1 connectors; e.g. connector mm2-K1-K2-source at "
            "http://127.0.0.1:28083): the pair was wiped or changed out of band; running `pulumi refresh` first"
            ) in out
    assert "$ pulumi refresh --stack local" in log and "$ pulumi up --stack local" in log


def test_quickstart_prints_phases_and_counts_and_logs_the_diff_without_refreshing_a_matching_state(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    calls, log = _quickstart(monkeypatch, tmp_path, wiped=False)
    assert [c[0] for c in calls if c[0] in ("refresh", "up")] == ["up"]
    out = capsys.readouterr().out
    assert [line.split("]")[0] for line in out.splitlines() if line.startswith("[")] == [
        "[1/4", "[2/4", "[3/4", "[4/4"]
    assert ": + 191 created; 2 unchanged" in out
    assert "3,000 lines of diff" not in out and "3,000 lines of diff" in log
    assert "K1: 1 topics (orders)" in out and str(tmp_path / "up.log") in out


def test_quickstart_reports_a_failed_update_and_does_not_rerun_it(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[list[str]] = []
    with pytest.raises(KaaError) as failed:
        _quickstart(monkeypatch, tmp_path, wiped=False, fail_first_up=True, calls=calls)
    assert [c[0] for c in calls if c[0] == "up"] == ["up"]
    assert "pulumi up failed (exit 1)" in str(failed.value) and "error: ACL not found" in str(failed.value)


def test_quickstart_moves_an_old_layout_stack_to_acl_sets_before_the_update(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    calls, _ = _quickstart(monkeypatch, tmp_path, wiped=False, old_layout=True)
    verbs = [" ".join(c[:2]) for c in calls if c[0] in ("up", "stack")]
    assert verbs.index("stack import") < verbs.index("up --stack")
    assert "removed 1 per-binding ACL resources (kafka:index/acl:Acl) from the state only" in capsys.readouterr().out
    plain, _ = _quickstart(monkeypatch, tmp_path, wiped=False)
    assert not [c for c in plain if c[:2] == ["stack", "import"]]


def test_pulumi_logged_raises_with_the_error_lines_and_the_log_path(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(cmd_quickstart, "run_pulumi", lambda *a, **k: _Done("x\nerror: boom\n", 255))
    log = tmp_path / "l.log"
    with pytest.raises(KaaError, match=rf"pulumi up failed \(exit 255\); full output in {log}:\n  error: boom"):
        cmd_quickstart.pulumi_logged(["up"], {}, log, verbose=False)


def test_the_checked_types_are_the_ones_the_components_declare() -> None:
    from components.mirror_flows import MirrorConnector
    from components.registry_schemas import SchemaRegistrationPass
    from kaa.state_check import CONNECTOR_TYPE, SUBJECT_SET_TYPE

    assert f"pulumi-python:{SchemaRegistrationPass._resource_type_name}" == SUBJECT_SET_TYPE
    assert f"pulumi-python:{MirrorConnector._resource_type_name}" == CONNECTOR_TYPE


RACE_TEXT = (Path(__file__).parent / "engine_streams" / "kafka-connection-race-ci.txt").read_text()


@pytest.mark.parametrize("outputs, runs, fails", [
    ([(RACE_TEXT, 255), ("ok", 0)], 2, False),  # lost only the race: once more, and it converged
    ([(RACE_TEXT, 255), (RACE_TEXT, 255), ("ok", 0)], 2, True),  # once more only
    ([("x\nerror: boom\n", 255), ("ok", 0)], 1, True),  # any other failure: not again
])
def test_pulumi_logged_runs_a_command_that_lost_only_the_connection_race_once_more(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        outputs: list[tuple[str, int]], runs: int, fails: bool) -> None:
    ran: list[list[str]] = []

    def run_pulumi(args: list[str], *a: Any, **k: Any) -> _Done:
        ran.append(args)
        return _Done(*outputs[len(ran) - 1])
    monkeypatch.setattr(cmd_quickstart, "run_pulumi", run_pulumi)
    log = tmp_path / "l.log"
    if fails:
        with pytest.raises(KaaError, match="pulumi up failed"):
            cmd_quickstart.pulumi_logged(["up", "--yes"], {}, log, verbose=False)
    else:
        assert cmd_quickstart.pulumi_logged(["up", "--yes"], {}, log, verbose=False) == "ok"
    assert ran == [["up", "--yes"]] * runs
    assert log.read_text().count("$ pulumi up --yes") == runs
    assert ("running `pulumi up` once more" in capsys.readouterr().out) == (runs == 2)
