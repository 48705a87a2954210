"""`kaa migrate` / the `kaa pulumi up` wrapper: the old per-binding ACL resources leave the state (only the
components' own, with every reference to them) and nothing else changes."""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kaa.acl_layout import migrate_acl_layout, old_layout_acls, summary, without_resources

CLUSTER = "urn:pulumi:s::kafka-active-active::kafka-aa:index:ActiveActivePair$kafka-aa:index:KafkaCluster"
OLD = [f"{CLUSTER}$kafka:index/acl:Acl::pair-K1-acl-billing-topic-literal-orders-{op}" for op in ("read", "describe")]
OWN = "urn:pulumi:s::kafka-active-active::kafka:index/acl:Acl::my-own-acl"  # a program's own Acl, not ours
TOPIC = f"{CLUSTER}$kafka:index/topic:Topic::pair-K1-topic-orders"
CONNECTOR = ("urn:pulumi:s::kafka-active-active::kafka-aa:index:ActiveActivePair$kafka-aa:index:MirrorFlows"
             "$pulumi-python:dynamic/kafka-aa:MirrorConnector::pair-mirror-mm2-k1-k2-source")


def document() -> dict[str, Any]:
    return {"version": 3, "deployment": {
        "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:abc"}},
        "resources": [
            {"urn": TOPIC, "type": "kafka:index/topic:Topic"},
            *({"urn": urn, "type": "kafka:index/acl:Acl", "parent": CLUSTER} for urn in OLD),
            {"urn": OWN, "type": "kafka:index/acl:Acl", "deletedWith": OLD[0]},
            {"urn": CONNECTOR, "type": "pulumi-python:dynamic/kafka-aa:MirrorConnector",
             "dependencies": [TOPIC, *OLD, OWN], "propertyDependencies": {"config": [OLD[1], TOPIC]}},
        ],
        "pending_operations": [{"resource": {"urn": OLD[1]}, "type": "deleting"}],
    }}


def test_only_the_components_per_binding_acls_are_old_layout():
    assert old_layout_acls(document()) == OLD
    assert old_layout_acls({"deployment": {"resources": [{"urn": TOPIC, "type": "kafka:index/topic:Topic"}]}}) == []


def test_the_old_resources_and_every_reference_to_them_leave_the_state_and_nothing_else():
    before = document()
    after = without_resources(before, OLD)
    resources = {r["urn"]: r for r in after["deployment"]["resources"]}
    assert list(resources) == [TOPIC, OWN, CONNECTOR]
    assert resources[CONNECTOR]["dependencies"] == [TOPIC, OWN]
    assert resources[CONNECTOR]["propertyDependencies"] == {"config": [TOPIC]}
    assert "deletedWith" not in resources[OWN]
    assert after["deployment"]["pending_operations"] == []
    assert after["deployment"]["secrets_providers"] == before["deployment"]["secrets_providers"]
    assert before == document(), "the input is left as it was"


class FakePulumi:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc, self.calls, self.imported = doc, [], None

    def __call__(self, args: Sequence[str]) -> str:
        self.calls.append(list(args))
        if list(args[:2]) == ["stack", "export"]:
            return json.dumps(self.doc)
        if list(args[:2]) == ["stack", "import"]:
            self.imported = json.loads(Path(args[args.index("--file") + 1]).read_text())
        return ""


def test_migrate_imports_the_state_without_the_old_acls_once():
    pulumi = FakePulumi(document())
    assert migrate_acl_layout(pulumi) == OLD
    assert pulumi.imported == without_resources(document(), OLD)
    again = FakePulumi(pulumi.imported)
    assert migrate_acl_layout(again) == [] and again.calls == [["stack", "export"]]


def test_a_dry_run_changes_nothing():
    pulumi = FakePulumi(document())
    assert migrate_acl_layout(pulumi, dry_run=True) == OLD
    assert pulumi.calls == [["stack", "export"]]
    assert summary("prod", OLD, dry_run=True).startswith("stack prod: would remove 2 per-binding ACL resources")
    assert summary(None, []) == "the selected stack: no per-binding ACL resources in the state; nothing to migrate"


def test_kaa_pulumi_up_migrates_first_and_preview_never_touches_the_state(monkeypatch, capsys):
    import argparse

    from kaa.cli import cmd_migrate, cmd_pulumi

    class Done:
        def __init__(self, stdout: str) -> None:
            self.stdout, self.stderr, self.returncode = stdout, "", 0

    calls: list[list[str]] = []
    fake = FakePulumi(document())

    def run_pulumi(args: list[str], env: Any = None, capture: bool = False, check: bool = True) -> Done:
        calls.append(list(args))
        return Done(fake([a for a in args if a not in ("--stack", "prod")]))

    execs: list[list[str]] = []
    monkeypatch.setattr(cmd_migrate, "run_pulumi", run_pulumi)
    monkeypatch.setattr(cmd_pulumi, "engine_env", lambda: {})
    monkeypatch.setattr(cmd_pulumi.os, "chdir", lambda path: None)
    monkeypatch.setattr(cmd_pulumi.os, "execvpe", lambda file, argv, env: execs.append(argv))
    monkeypatch.setattr(cmd_pulumi, "run_logged", lambda command, env: (execs.append(["pulumi", *command]), (0, ""))[1])
    cmd_pulumi.run(argparse.Namespace(args=["preview", "--stack", "prod", "--diff"]))
    parallel = ["--parallel", str(cmd_pulumi.PARALLEL["preview"])]  # the project's setting (kaa/pulumi_engine.py)
    assert calls == [] and execs == [["pulumi", "preview", *parallel, "--stack", "prod", "--diff"]]
    parallel = ["--parallel", str(cmd_pulumi.PARALLEL["up"])]
    cmd_pulumi.run(argparse.Namespace(args=["up", "--stack", "prod"]))
    assert [c[:2] for c in calls] == [["stack", "export"], ["stack", "import"]]
    assert all(c[-2:] == ["--stack", "prod"] for c in calls)
    assert execs[-1] == ["pulumi", "up", *parallel, "--stack", "prod"]
    assert fake.imported == without_resources(document(), OLD)
    assert "stack prod: removed 2 per-binding ACL resources" in capsys.readouterr().err


def test_an_empty_export_has_nothing_to_migrate_and_the_summary_says_what_was_done():
    """`pulumi stack export` of a stack never deployed prints nothing."""
    assert migrate_acl_layout(lambda args: "") == []
    assert summary("prod", OLD) == (
        "stack prod: removed 2 per-binding ACL resources (kafka:index/acl:Acl) from the state only; the live ACLs "
        "stay, and the next `pulumi up` adopts them into one ACL set per principal and cluster")
