"""Drift comparison on hand-made live snapshots: a clean pair reports nothing, each difference exactly one change."""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from kaa.drift.drift_compare import (
    ClusterSnapshot,
    ConnectSnapshot,
    DriftOptions,
    KafkaSnapshot,
    LiveConnector,
    LiveVersion,
    RegistrySnapshot,
    TopicInfo,
    compare,
    flow_lags,
)
from kaa.drift.drift_report import KINDS, RENDERERS, Change, FlowLag, Report, Unreachable
from kaa.drift.drift_scan import leftover_note
from kaa.mirror.mm2_settings import jaas_config, remote_replication_factor, resolve_jaas
from kaa.redaction import SECRET_MASK, mask, scrub
from kaa.topology.acls import Acl
from kaa.topology.derive import derive
from kaa.topology.model import Topology
from kaa.topology.topic_configs import MM2_NOT_SYNCED

PASSWORD = "very-secret-mm2-password"
INTERNAL = ("__consumer_offsets", "_schemas", "connect-configs", "mm2-connect-offsets-internal")


def clean_snapshot(topology: Topology) -> dict[str, ClusterSnapshot]:
    """What a healthy pair holds for `topology`: the derived state, mirrored, with IDs in registration order."""
    states = derive(topology)
    rf = remote_replication_factor(topology)
    ids = {}
    for subject in states["K1"].subjects:
        ids[subject.subject] = [len(ids) * 10 + i + 1 for i in range(len(subject.versions))]
    out = {}
    for alias, state in states.items():
        topics = {t.name: TopicInfo(t.partitions, t.replication_factor) for t in topology.topics}
        configs: dict[str, dict[str, str]] = {t.name: dict(t.config) for t in topology.topics}
        topics["heartbeats"] = TopicInfo(1, 1)
        configs["heartbeats"] = {"cleanup.policy": "compact"}
        for remote in state.remote_topics:
            source = topics[remote.source_topic]
            topics[remote.name] = TopicInfo(source.partitions, rf if remote.source_topic != "heartbeats" else 1)
            configs[remote.name] = {k: v for k, v in configs[remote.source_topic].items() if k not in MM2_NOT_SYNCED}
        for name in (*INTERNAL, *state.mm2_internal_topics):
            topics.setdefault(name, TopicInfo(1, 1))
        kafka = KafkaSnapshot(topics, configs, frozenset(state.acls))
        registry = RegistrySnapshot(
            frozenset(s.subject for s in state.subjects),
            {s.subject: tuple(LiveVersion(i + 1, ids[s.subject][i], v.schema_type, v.text)
                              for i, v in enumerate(s.versions)) for s in state.subjects},
            {s.subject: s.compatibility for s in state.subjects},
        )
        connectors = {}
        for c in state.connectors:
            config = resolve_jaas(c.config, lambda a: jaas_config(topology, a, PASSWORD))
            tasks = () if c.kind == "checkpoint" else ("RUNNING",)
            connectors[c.name] = LiveConnector({**config, "name": c.name}, "RUNNING", tasks)
        out[alias] = ClusterSnapshot(kafka, registry, ConnectSnapshot(connectors))
    return out


def with_kafka(snap: dict[str, ClusterSnapshot], alias: str, **changes: Any) -> dict[str, ClusterSnapshot]:
    side = snap[alias]
    assert side.kafka is not None
    return {**snap, alias: replace(side, kafka=replace(side.kafka, **changes))}


def with_registry(snap: dict[str, ClusterSnapshot], alias: str, **changes: Any) -> dict[str, ClusterSnapshot]:
    side = snap[alias]
    assert side.registry is not None
    return {**snap, alias: replace(side, registry=replace(side.registry, **changes))}


def with_connector(snap: dict[str, ClusterSnapshot], alias: str, name: str,
                   connector: LiveConnector | None) -> dict[str, ClusterSnapshot]:
    side = snap[alias]
    assert side.connect is not None
    connectors = {k: v for k, v in side.connect.connectors.items() if k != name}
    if connector is not None:
        connectors[name] = connector
    return {**snap, alias: replace(side, connect=ConnectSnapshot(connectors))}


@pytest.fixture
def snap(local: Topology) -> dict[str, ClusterSnapshot]:
    return clean_snapshot(local)


def test_a_clean_pair_reports_nothing(local, snap):
    assert compare(local, snap) == []
    assert compare(local, snap, DriftOptions(all_acls=True)) == []


# --- topics ------------------------------------------------------------------------------------------------------

def test_a_topic_missing_on_one_cluster_is_one_change_and_its_remote_is_not_blamed(local, snap):
    k1 = snap["K1"].kafka
    topics = {k: v for k, v in k1.topics.items() if k != "orders"}
    assert compare(local, with_kafka(snap, "K1", topics=topics)) == [
        Change("topic", "orders", "+", {"partitions": 6, "replication_factor": 1}, None, "K1")]


def test_extra_local_topics_are_reported_but_internal_and_remote_named_ones_are_not(local, snap):
    topics = {**snap["K2"].kafka.topics, "rogue": TopicInfo(1, 1), "connect-status": TopicInfo(1, 1),
              "__cluster_metadata": TopicInfo(1, 1), "K2.checkpoints.internal": TopicInfo(1, 1)}
    changes = compare(local, with_kafka(snap, "K2", topics=topics))
    assert changes == [Change("topic", "rogue", "-", None, {"partitions": 1, "replication_factor": 1}, "K2")]
    assert compare(local, with_kafka(snap, "K2", topics=topics), DriftOptions(scope="orders|pay.*")) == []


def test_partitions_replication_factor_and_set_configs_differ_from_the_spec(local, snap):
    k2 = snap["K2"].kafka
    topics = {**k2.topics, "payments": TopicInfo(5, 1), "customers": TopicInfo(3, 2)}
    configs = {**k2.configs, "orders": {**k2.configs["orders"], "retention.ms": "1000", "segment.ms": "600000"}}
    configs["K1.orders"] = {**configs["K1.orders"]}  # the remote mirrors K1's orders, untouched
    changes = compare(local, with_kafka(snap, "K2", topics=topics, configs=configs))
    assert changes == [
        Change("partitions", "payments", "~", 3, 5, "K2"),
        Change("replication-factor", "customers", "~", 1, 2, "K2"),
        Change("topic-config", "orders", "~", {"retention.ms": "604800000", "segment.ms": None},
               {"retention.ms": "1000", "segment.ms": "600000"}, "K2"),
        # K2's orders is the source of K2.orders on K1, whose MM2 has not synced the new values yet
        # K2's payments grew: its remote on K1 has fewer partitions until MM2 adds them
        Change("remote-partitions", "K2.payments", "~", 5, 3, "K1"),
        Change("remote-config", "K2.orders", "~", {"retention.ms": "1000", "segment.ms": "600000"},
               {"retention.ms": "604800000", "segment.ms": None}, "K1"),
    ]


def test_a_config_drift_mirrored_by_mm2_is_reported_once_on_the_source(local, snap):
    configs = {**snap["K2"].kafka.configs}
    configs["orders"] = {**configs["orders"], "retention.ms": "1000"}
    k1_configs = {**snap["K1"].kafka.configs, "K2.orders": {**snap["K1"].kafka.configs["K2.orders"],
                                                            "retention.ms": "1000"}}
    changed = with_kafka(with_kafka(snap, "K2", configs=configs), "K1", configs=k1_configs)
    assert compare(local, changed) == [
        Change("topic-config", "orders", "~", {"retention.ms": "604800000"}, {"retention.ms": "1000"}, "K2")]


def test_list_configs_compare_as_sets_and_unsynced_keys_never_count_on_remote_topics(local, snap):
    k1 = snap["K1"].kafka
    configs = {**k1.configs, "K2.customers": {**k1.configs["K2.customers"], "min.insync.replicas": "2",
                                              "unclean.leader.election.enable": "true"}}
    configs["orders"] = {**configs["orders"], "cleanup.policy": "delete"}
    assert compare(local, with_kafka(snap, "K1", configs=configs)) == []
    spec = replace(local, topics=tuple(
        replace(t, config={**t.config, "cleanup.policy": "delete,compact"}) if t.name == "shipments" else t
        for t in local.topics))
    spec_snap = clean_snapshot(spec)
    k1 = spec_snap["K1"].kafka
    swapped = {**k1.configs, "shipments": {**k1.configs["shipments"], "cleanup.policy": "compact,delete"}}
    assert compare(spec, with_kafka(spec_snap, "K1", configs=swapped)) == []


# --- remote topics -----------------------------------------------------------------------------------------------

def test_remote_topics_missing_unexpected_and_cycles(local, snap):
    k2 = snap["K2"].kafka
    topics = {k: v for k, v in k2.topics.items() if k != "K1.payments"}
    topics.update({"K1.legacy": TopicInfo(1, 1), "K1.K2.orders": TopicInfo(6, 1), "K2.orders": TopicInfo(6, 1),
                   "K1.checkpoints.internal": TopicInfo(1, 1)})
    changes = compare(local, with_kafka(snap, "K2", topics=topics))
    assert changes == [
        Change("remote-topic", "K1.payments", "+", "payments on K1", None, "K2"),
        Change("remote-topic", "K1.legacy", "-", None, {"partitions": 1, "replication_factor": 1}, "K2"),
        Change("cycle-topic", "K1.K2.orders", "-", None, {"partitions": 6, "replication_factor": 1}, "K2"),
        Change("cycle-topic", "K2.orders", "-", None, {"partitions": 6, "replication_factor": 1}, "K2"),
    ]
    assert [c.name for c in compare(local, with_kafka(snap, "K2", topics=topics), DriftOptions(scope="pay.*"))] \
        == ["K1.payments"]
    # an unexpected twin is what a dropped topic or a destroyed stack leaves: the report says how it goes
    (note,) = leftover_note(changes, "local")
    assert note.startswith("1 remote topic(s) no flow of the spec copies (K1.legacy): twins left by")
    assert "`scripts/kaa twins --stack local --yes` deletes them" in note
    assert leftover_note([c for c in changes if c.name != "K1.legacy"], "local") == ()


def test_a_remote_topic_is_compared_with_its_source_not_with_the_spec(local, snap):
    k1, k2 = snap["K1"].kafka, snap["K2"].kafka
    k1_topics = {**k1.topics, "orders": TopicInfo(8, 1)}
    k2_topics = {**k2.topics, "K1.orders": TopicInfo(8, 3)}
    changed = with_kafka(with_kafka(snap, "K1", topics=k1_topics), "K2", topics=k2_topics)
    assert compare(local, changed) == [
        Change("partitions", "orders", "~", 6, 8, "K1"),
        Change("remote-replication-factor", "K1.orders", "~", 1, 3, "K2"),
    ]


# --- ACLs --------------------------------------------------------------------------------------------------------

def test_missing_and_extra_acls_of_the_topologys_principals(local, snap):
    k1 = snap["K1"].kafka
    gone = Acl("User:billing", "TOPIC", "LITERAL", "orders", "READ")
    assert gone in k1.acls
    extra = Acl("User:orders-svc", "TOPIC", "LITERAL", "K2.orders", "WRITE")
    unrelated = Acl("User:someone-else", "TOPIC", "LITERAL", "theirs", "READ")
    acls = (k1.acls - {gone}) | {extra, unrelated}
    changed = with_kafka(snap, "K1", acls=acls)
    assert compare(local, changed) == [
        Change("acl", "ALLOW User:billing READ on topic orders", "+",
               {"principal": "User:billing", "resource_type": "TOPIC", "pattern_type": "LITERAL",
                "resource_name": "orders", "operation": "READ", "host": "*", "permission": "ALLOW"}, None, "K1"),
        Change("acl", "ALLOW User:orders-svc WRITE on topic K2.orders", "-", None,
               {"principal": "User:orders-svc", "resource_type": "TOPIC", "pattern_type": "LITERAL",
                "resource_name": "K2.orders", "operation": "WRITE", "host": "*", "permission": "ALLOW"}, "K1"),
    ]
    every = compare(local, changed, DriftOptions(all_acls=True))
    assert [c.name for c in every if c.action == "-"] == ["ALLOW User:orders-svc WRITE on topic K2.orders",
                                                          "ALLOW User:someone-else READ on topic theirs"]


def test_dedicated_mm2_needs_its_worker_acls_and_no_connector_on_connect(local, snap):
    dedicated = replace(local, mirror=replace(local.mirror, runtime="dedicated"))
    assert compare(dedicated, clean_snapshot(dedicated)) == []
    changes = compare(dedicated, snap)  # the pair still as the connect runtime left it
    missing = {(c.cluster, c.name) for c in changes if c.kind == "acl" and c.action == "+"}
    assert missing == {
        (alias, f"ALLOW User:mm2 {op} on {what}")
        for alias, other in (("K1", "K2"), ("K2", "K1"))
        for what, ops in [(f"group {other}-mm2", ("READ",))] + [
            (f"topic mm2-{kind}.{other}.internal", ("READ", "WRITE", "CREATE", "DESCRIBE", "DESCRIBE_CONFIGS"))
            for kind in ("configs", "offsets", "status")]
        for op in ops
    }
    extra = sorted((c.cluster, c.name) for c in changes if c.kind == "connector")
    assert extra == sorted((t.upper(), f"mm2-{s}-{t}-{kind}") for s, t in (("k1", "k2"), ("k2", "k1"))
                           for kind in ("source", "checkpoint", "heartbeat"))
    assert {c.action for c in changes if c.kind == "connector"} == {"-"}
    assert len(changes) == len(missing) + len(extra)


# --- schemas -----------------------------------------------------------------------------------------------------

def test_a_subject_missing_in_one_registry_and_one_in_one_registry_only(local, snap):
    r2 = snap["K2"].registry
    changed = with_registry(snap, "K2", subjects=(r2.subjects - {"payments-key"}) | {"rogue-value"})
    assert compare(local, changed) == [
        Change("subject", "payments-key", "+", ["schemas/payments-key.avsc"], None, "K2"),
        Change("subject", "rogue-value", "-", None, "one registry only", "K2"),
    ]
    assert compare(local, changed, DriftOptions(scope="orders.*")) == [
        Change("subject", "payments-key", "+", ["schemas/payments-key.avsc"], None, "K2")]
    assert len(compare(local, changed, DriftOptions(scope="orders|rogue"))) == 2  # the subject's topic matches


def test_a_new_version_with_another_id_in_each_registry(local, snap):
    extra = '{"type":"record","name":"X","fields":[]}'
    versions = {}
    for alias, new_id in (("K1", 100), ("K2", 101)):
        registry = snap[alias].registry
        versions[alias] = {**registry.versions, "orders-value": (
            *registry.versions["orders-value"], LiveVersion(2, new_id, "AVRO", extra))}
    changed = with_registry(with_registry(snap, "K1", versions=versions["K1"]), "K2", versions=versions["K2"])
    first_id = snap["K1"].registry.versions["orders-value"][0].id
    live = [{"version": 1, "id": first_id, "schema": "schemas/orders-value-v1.avsc"}]
    assert compare(local, changed) == [
        Change("schema-versions", "orders-value", "~", ["schemas/orders-value-v1.avsc"],
               [*live, {"version": 2, "id": 100, "schema": None}], "K1"),
        Change("schema-versions", "orders-value", "~", ["schemas/orders-value-v1.avsc"],
               [*live, {"version": 2, "id": 101, "schema": None}], "K2"),
        Change("schema-id", "orders-value", "~", {"K1": {"v2": 100}}, {"K2": {"v2": 101}}, None),
    ]


def test_same_versions_with_different_ids_and_a_changed_compatibility(local, snap):
    r2 = snap["K2"].registry
    shifted = {**r2.versions, "customers-value": tuple(replace(v, id=v.id + 1) for v in r2.versions["customers-value"])}
    changed = with_registry(snap, "K2", versions=shifted, compatibility={**r2.compatibility, "orders-value": "NONE"})
    old = snap["K1"].registry.versions["customers-value"][0].id
    assert compare(local, changed) == [
        Change("schema-id", "customers-value", "~", {"K1": {"v1": old}}, {"K2": {"v1": old + 1}}, None),
        Change("compatibility", "orders-value", "~", "BACKWARD", "NONE", "K2"),
    ]


def test_a_version_whose_content_differs_from_the_spec_file(local, snap):
    r1 = snap["K1"].registry
    other = replace(r1.versions["payments-value"][0], schema='{"type":"record","name":"Other","fields":[]}')
    changed = with_registry(snap, "K1", versions={**r1.versions, "payments-value": (other,)})
    assert compare(local, changed) == [
        Change("schema-versions", "payments-value", "~", ["schemas/payments-value.avsc"],
               [{"version": 1, "id": other.id, "schema": None}], "K1")]


def test_registry_whitespace_does_not_count(local, snap):
    r1 = snap["K1"].registry
    v = r1.versions["orders-value"][0]
    pretty = json.dumps(json.loads(v.schema), indent=4)
    assert compare(local, with_registry(snap, "K1", versions={**r1.versions, "orders-value": (
        replace(v, schema=pretty),)})) == []


# --- the mirror --------------------------------------------------------------------------------------------------

def test_connector_missing_paused_failed_and_extra(local, snap):
    source = snap["K2"].connect.connectors["mm2-k1-k2-source"]
    changed = with_connector(snap, "K2", "mm2-k1-k2-heartbeat", None)
    changed = with_connector(changed, "K2", "mm2-k1-k2-source", replace(source, state="PAUSED", tasks=("PAUSED",)))
    checkpoint = snap["K1"].connect.connectors["mm2-k2-k1-checkpoint"]
    changed = with_connector(changed, "K1", "mm2-k2-k1-checkpoint", replace(checkpoint, tasks=("FAILED",)))
    changed = with_connector(changed, "K1", "mm2-k1-k2-source", source)  # the K1->K2 flow on the wrong worker
    changed = with_connector(changed, "K1", "other-k1-k2-source", source)  # another topology's: not ours
    assert compare(local, changed) == [
        Change("connector", "mm2-k1-k2-source", "-", None, "RUNNING", "K1"),
        Change("connector", "mm2-k1-k2-heartbeat", "+", "heartbeat", None, "K2"),
        Change("connector-state", "mm2-k2-k1-checkpoint", "~", "RUNNING",
               {"connector": "RUNNING", "tasks": ["FAILED"]}, "K1"),
        Change("connector-state", "mm2-k1-k2-source", "~", "RUNNING", {"connector": "PAUSED", "tasks": ["PAUSED"]},
               "K2"),
    ]


def test_a_source_connector_without_tasks_is_not_running(local, snap):
    source = snap["K2"].connect.connectors["mm2-k1-k2-source"]
    changed = with_connector(snap, "K2", "mm2-k1-k2-source", replace(source, tasks=()))
    assert [c.kind for c in compare(local, changed)] == ["connector-state"]


def test_connector_config_compared_with_secrets_masked_and_passwords_by_presence(local, snap):
    source = snap["K2"].connect.connectors["mm2-k1-k2-source"]
    jaas = source.config["source.cluster.sasl.jaas.config"]
    config = {**source.config, "tasks.max": "4", "source.cluster.sasl.jaas.config": jaas.replace(PASSWORD, "other"),
              "target.cluster.sasl.jaas.config": jaas.replace('username="mm2"', 'username="root"'),
              "ssl.key.password": PASSWORD}
    config.pop("offset.lag.max")
    changed = with_connector(snap, "K2", "mm2-k1-k2-source", replace(source, config=config))
    changes = compare(local, changed)
    assert len(changes) == 1 and changes[0].kind == "connector-config"
    before, after = changes[0].before, changes[0].after
    assert set(before) == {"tasks.max", "target.cluster.sasl.jaas.config", "offset.lag.max", "ssl.key.password"}
    assert (before["tasks.max"], after["tasks.max"]) == ("1", "4")
    assert (before["offset.lag.max"], after["offset.lag.max"]) == ("100", None)
    assert after["target.cluster.sasl.jaas.config"].endswith(f'username="root" password="{SECRET_MASK}";')
    assert (before["ssl.key.password"], after["ssl.key.password"]) == (None, SECRET_MASK)
    report = Report("local", local.aliases, tuple(changes))
    for render in RENDERERS.values():
        text = render(report)
        assert PASSWORD not in text and "other" not in text.replace("another", "")


def test_mask_keeps_module_and_user_but_never_the_password():
    jaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="mm2" password="p@ss";'
    assert mask("sasl.jaas.config", jaas) == jaas.replace("p@ss", SECRET_MASK)
    assert mask("x.sasl.jaas.config", "Module required username=u password=p;") == \
        f'Module required username=u password="{SECRET_MASK}";'
    assert mask("x.sasl.jaas.config", "${file:/etc/secrets:jaas}") == SECRET_MASK
    assert mask("ssl.truststore.password", "abc") == SECRET_MASK
    assert mask("tasks.max", "1") == "1"
    assert scrub("user p@ss and p@ss", ["p@ss", ""]) == "user *** and ***"


# --- parts that could not be read, lag ---------------------------------------------------------------------------

def test_an_unreadable_part_skips_only_the_comparisons_that_need_it(local, snap):
    partial = {**snap, "K2": replace(snap["K2"], kafka=None, registry=None)}
    assert compare(local, partial) == []
    r1 = snap["K1"].registry
    partial = {**partial, "K1": replace(partial["K1"], registry=replace(r1, subjects=r1.subjects - {"orders-value"}))}
    assert compare(local, partial) == [Change("subject", "orders-value", "+", ["schemas/orders-value-v1.avsc"],
                                              None, "K1")]
    report = Report("local", local.aliases, (), (Unreachable("Kafka cluster K2", "did not answer"),))
    assert report.exit_code == 2
    assert "UNREACHABLE Kafka cluster K2: did not answer" in RENDERERS["table"](report)
    assert json.loads(RENDERERS["json"](report))["unreachable"] == [
        {"part": "Kafka cluster K2", "message": "did not answer"}]


def test_replication_lag_per_flow_from_end_offsets(local, snap):
    ends = {"K1": {"orders": (10, 10, 10, 0, 0, 0), "K2.orders": (5,) * 6, "payments": (1, 1, 1)},
            "K2": {"orders": (0,) * 6, "K1.orders": (10, 7, 10, 0, 0, 0), "K1.payments": (1, 1, 1)}}
    lagged = with_kafka(with_kafka(snap, "K1", end_offsets=ends["K1"]), "K2", end_offsets=ends["K2"])
    assert flow_lags(local, lagged) == (FlowLag("K1", "K2", 2, 3, "orders", 3), FlowLag("K2", "K1", 1, 0, None, 0))
    assert flow_lags(local, snap) is None
    assert compare(local, lagged, DriftOptions(max_lag=2)) == [Change("replication-lag", "K1->K2", "~", 2, 3, "K2")]
    assert compare(local, lagged, DriftOptions(max_lag=3)) == []


# --- rendering ---------------------------------------------------------------------------------------------------

def test_every_kind_describes_itself_and_the_renderers_count_by_action(local):
    samples = [
        Change("topic", "t", "+", {"partitions": 1, "replication_factor": 1}, None, "K1"),
        Change("topic-config", "t", "~", {"a": "1"}, {"a": None}, "K2"),
        Change("schema-id", "s", "~", {"K1": {"v1": 1}}, {"K2": {"v1": 2}}, None),
        Change("schema-versions", "s", "~", ["a.avsc"], [{"version": 1, "id": 3, "schema": None}], "K1"),
        Change("connector-state", "c", "~", "RUNNING", {"connector": "PAUSED", "tasks": ["PAUSED"]}, "K1"),
        Change("replication-lag", "K1->K2", "~", 1, 9, "K2"),
    ]
    shown = {c.kind for c in samples}
    generic = [Change(k, "n", "~", {"a": "1"}, {"a": "2"}, "K1") for k in KINDS if k.endswith("config")]
    generic += [Change(k, "n", a, "x", "y", "K1") for k in KINDS for a in ("+", "-")
                if k not in shown and not k.endswith("config")]
    report = Report("local", local.aliases, (*samples, *generic), lag=(FlowLag("K1", "K2", 2, 9, "t", 9),))
    for change in report.changes:
        assert change.describe()
    table = RENDERERS["table"](report)
    assert table.splitlines()[0].startswith(f"drift of stack local (K1 and K2): {len(report.changes)} change(s)")
    assert "+ missing (in the spec, not live)" in table and "K1->K2: 9 records over 2 topics" in table
    assert "v1: K1 1 vs K2 2" in table and "PAUSED with tasks [0 PAUSED]" in table
    markdown = RENDERERS["markdown"](report)
    assert markdown.startswith("### Drift: stack `local` ⚠️ drift") and "| `~` | topic-config | K2 | `t` |" in markdown
    doc = json.loads(RENDERERS["json"](report))
    assert doc["exit_code"] == 1 and doc["changes"][0]["part"] == "topics"
    assert doc["counts"]["~"] == sum(c.action == "~" for c in report.changes)
    clean = Report("local", local.aliases, ())
    assert clean.exit_code == 0 and "no drift" in RENDERERS["table"](clean)
    assert "✅ clean" in RENDERERS["markdown"](clean)


# --- the command and the workflow --------------------------------------------------------------------------------

def test_kaa_drift_without_credentials_names_the_variables_and_exits_2(monkeypatch, capsys):
    from kaa.cli import main

    for alias in ("K1", "K2"):
        for what in ("USERNAME", "PASSWORD"):
            monkeypatch.delenv(f"KAA_{alias}_ADMIN_{what}", raising=False)
    assert main(["drift", "--stack", "dev"]) == 2
    err = capsys.readouterr().err
    # the admin user names come from Pulumi.dev.yaml (plain config values): only the passwords are missing
    assert "missing credentials for stack dev: set KAA_K1_ADMIN_PASSWORD, KAA_K2_ADMIN_PASSWORD or Pulumi config" in err
    assert main(["drift", "--stack", "dev", "--scope", "("]) == 2
    assert "--scope '(' is not a regular expression" in capsys.readouterr().err


def test_the_drift_workflow_runs_every_stack_on_a_schedule_and_fails_on_drift():
    import yaml

    from tests.conftest import ROOT

    doc = yaml.safe_load((ROOT / ".github" / "workflows" / "drift.yml").read_text(encoding="utf-8"))
    on = doc.get("on", doc.get(True))
    assert on["schedule"][0]["cron"] and "workflow_dispatch" in on
    job = doc["jobs"]["drift"]
    assert [m["stack"] for m in job["strategy"]["matrix"]["include"]] == ["dev", "prod"]
    assert job["strategy"]["fail-fast"] is False
    for alias in ("K1", "K2"):
        for what in ("USERNAME", "PASSWORD"):
            assert "secrets[" in job["env"][f"KAA_{alias}_ADMIN_{what}"]
    run = "\n".join(str(s.get("run", "")) for s in job["steps"])
    assert "scripts/setup.sh python" in run
    assert 'scripts/kaa drift --stack "$STACK" --markdown > report.md' in run
    assert '>> "$GITHUB_STEP_SUMMARY"' in run and 'exit "$code"' in run


# --- every task, every version, every partition ------------------------------------------------------------------

@pytest.mark.parametrize("tasks", [("RUNNING", "FAILED"), ("FAILED", "RUNNING"), ("RUNNING", "RUNNING", "PAUSED")])
def test_every_task_of_a_connector_must_run(local, snap, tasks):
    source = snap["K2"].connect.connectors["mm2-k1-k2-source"]
    changed = with_connector(snap, "K2", "mm2-k1-k2-source", replace(source, tasks=tasks))
    assert compare(local, changed) == [Change("connector-state", "mm2-k1-k2-source", "~", "RUNNING",
                                              {"connector": "RUNNING", "tasks": list(tasks)}, "K2")]


def test_a_connector_with_several_running_tasks_is_clean(local, snap):
    source = snap["K2"].connect.connectors["mm2-k1-k2-source"]
    changed = with_connector(snap, "K2", "mm2-k1-k2-source", replace(source, tasks=("RUNNING",) * 4))
    assert compare(local, changed) == []


def _two_versions(topology: Topology) -> Topology:
    """`orders-value` with a second version (a copy of payments-value's schema)."""
    payments = next(s for t in topology.topics for s in t.subjects if s.subject == "payments-value")
    return replace(topology, topics=tuple(replace(t, subjects=tuple(
        replace(s, versions=(*s.versions, payments.versions[0])) if s.subject == "orders-value" else s
        for s in t.subjects)) for t in topology.topics))


def test_schema_versions_registered_in_another_order_are_drift(local):
    topology = _two_versions(local)
    snap = clean_snapshot(topology)
    assert compare(topology, snap) == []
    r1 = snap["K1"].registry
    first, second = r1.versions["orders-value"]
    swapped = (replace(first, schema=second.schema), replace(second, schema=first.schema))
    changed = with_registry(snap, "K1", versions={**r1.versions, "orders-value": swapped})
    assert compare(topology, changed) == [Change(
        "schema-versions", "orders-value", "~", ["schemas/orders-value-v1.avsc", "schemas/payments-value.avsc"],
        [{"version": 1, "id": first.id, "schema": "schemas/payments-value.avsc"},
         {"version": 2, "id": second.id, "schema": "schemas/orders-value-v1.avsc"}], "K1")]


def test_lag_counts_every_partition_including_those_the_remote_topic_lacks(local, snap):
    ends = {"K1": {"orders": (4, 5, 6, 7, 8, 9), "payments": (0, 0, 0)},
            "K2": {"orders": (0,) * 6, "K1.orders": (4, 5), "K1.payments": (0, 0, 0)}}
    lagged = with_kafka(with_kafka(snap, "K1", end_offsets=ends["K1"]), "K2", end_offsets=ends["K2"])
    (k1_k2, _) = flow_lags(local, lagged)
    assert (k1_k2.records, k1_k2.worst_topic, k1_k2.worst_records) == (6 + 7 + 8 + 9, "orders", 30)
    behind_everywhere = with_kafka(lagged, "K2", end_offsets={**ends["K2"], "K1.orders": (3, 4, 5, 6, 7, 8)})
    assert flow_lags(local, behind_everywhere)[0].records == 6


def test_remote_topics_of_topics_with_different_replication_factors_take_the_largest(local):
    mixed = replace(local, topics=tuple(replace(t, replication_factor=2 if t.name == "orders" else 1)
                                        for t in local.topics))
    snap = clean_snapshot(mixed)
    assert {snap["K2"].kafka.topics[f"K1.{t.name}"].replication_factor for t in mixed.topics} == {2}
    assert compare(mixed, snap) == []
    own_factor = with_kafka(snap, "K2", topics={**snap["K2"].kafka.topics, "K1.payments": TopicInfo(3, 1)})
    assert compare(mixed, own_factor) == [Change("remote-replication-factor", "K1.payments", "~", 2, 1, "K2")]


# --- what the first mutation run of drift_compare left alive -----------------------------------------------------

def test_an_acl_from_one_host_is_named_with_its_host(local, snap):
    pinned = Acl("User:billing", "TOPIC", "LITERAL", "orders", "READ", host="10.0.0.7")
    changed = with_kafka(snap, "K1", acls=snap["K1"].kafka.acls | {pinned})
    assert [c.name for c in compare(local, changed)] == ["ALLOW User:billing READ on topic orders from 10.0.0.7"]


def test_a_missing_cleanup_policy_is_drift_not_a_crash(local, snap):
    k1 = snap["K1"].kafka
    configs = {**k1.configs, "orders": {k: v for k, v in k1.configs["orders"].items() if k != "cleanup.policy"}}
    assert compare(local, with_kafka(snap, "K1", configs=configs)) == [
        Change("topic-config", "orders", "~", {"cleanup.policy": "delete"}, {"cleanup.policy": None}, "K1"),
        Change("remote-config", "K1.orders", "~", {"cleanup.policy": None}, {"cleanup.policy": "delete"}, "K2")]


def test_a_registered_schema_that_does_not_parse_differs_from_the_spec(local, snap):
    r1 = snap["K1"].registry
    broken = replace(r1.versions["orders-value"][0], schema="{not json")
    changed = with_registry(snap, "K1", versions={**r1.versions, "orders-value": (broken,)})
    assert compare(local, changed) == [Change("schema-versions", "orders-value", "~", ["schemas/orders-value-v1.avsc"],
                                              [{"version": 1, "id": broken.id, "schema": None}], "K1")]


def test_remote_names_follow_the_topologys_separator(local):
    underscored = replace(local, mirror=replace(local.mirror, separator="_"))
    snap = clean_snapshot(underscored)
    assert "K1_orders" in snap["K2"].kafka.topics and compare(underscored, snap) == []
    topics = {**snap["K1"].kafka.topics, "K2_audit": TopicInfo(1, 1)}
    assert [(c.kind, c.name) for c in compare(underscored, with_kafka(snap, "K1", topics=topics))] == [
        ("remote-topic", "K2_audit")]


@pytest.mark.parametrize("unread", ["K1 offsets", "K2 offsets", "K1 cluster", "K2 cluster"])
def test_lag_is_unknown_when_either_side_could_not_be_read(local, snap, unread):
    ends = {"K1": {"orders": (1,) * 6}, "K2": {"K1.orders": (1,) * 6}}
    both = with_kafka(with_kafka(snap, "K1", end_offsets=ends["K1"]), "K2", end_offsets=ends["K2"])
    alias, what = unread.split()
    side = both[alias]
    broken = {**both, alias: replace(side, kafka=None if what == "cluster" else replace(side.kafka, end_offsets=None))}
    assert flow_lags(local, broken) is None


def test_heartbeats_do_not_count_as_lag(local, snap):
    ends = {"K1": {"orders": (1,) * 6, "heartbeats": (500,)}, "K2": {"K1.orders": (1,) * 6, "K1.heartbeats": (0,)}}
    lagged = with_kafka(with_kafka(snap, "K1", end_offsets=ends["K1"]), "K2", end_offsets=ends["K2"])
    assert flow_lags(local, lagged)[0] == FlowLag("K1", "K2", 1, 0, None, 0)


def test_every_topic_is_compared_after_a_missing_one(local, snap):
    k1 = snap["K1"].kafka
    topics = {k: v for k, v in k1.topics.items() if k != "customers"}  # the first topic in the spec's order
    topics["shipments"] = TopicInfo(3, 1)
    assert [(c.kind, c.name, c.cluster) for c in compare(local, with_kafka(snap, "K1", topics=topics))] == [
        ("topic", "customers", "K1"), ("partitions", "shipments", "K1"), ("remote-partitions", "K1.shipments", "K2")]


def test_a_topic_or_remote_topic_without_any_config_read(local, snap):
    k1, k2 = snap["K1"].kafka, snap["K2"].kafka
    k1_configs = {k: v for k, v in k1.configs.items() if k != "payments"}
    k2_configs = {k: v for k, v in k2.configs.items() if k != "K1.orders"}
    changed = with_kafka(with_kafka(snap, "K1", configs=k1_configs), "K2", configs=k2_configs)
    assert [(c.kind, c.name, c.cluster) for c in compare(local, changed)] == [
        ("topic-config", "payments", "K1"), ("remote-config", "K1.orders", "K2"),
        ("remote-config", "K1.payments", "K2")]


def test_every_remote_topic_is_compared_after_a_missing_source_or_remote(local, snap):
    k1, k2 = snap["K1"].kafka, snap["K2"].kafka
    without_source = with_kafka(snap, "K1", topics={k: v for k, v in k1.topics.items() if k != "customers"})
    remote_topics = {k: v for k, v in k2.topics.items() if k != "K1.orders"}
    remote_topics["K1.shipments"] = TopicInfo(5, 1)
    changed = with_kafka(without_source, "K2", topics=remote_topics)
    assert [(c.kind, c.name, c.cluster) for c in compare(local, changed)] == [
        ("topic", "customers", "K1"), ("remote-topic", "K1.orders", "K2"), ("remote-partitions", "K1.shipments", "K2")]


def test_every_connector_is_compared_after_a_missing_one_and_extras_of_either_flow_are_ours(local, snap):
    source = snap["K2"].connect.connectors["mm2-k1-k2-source"]
    heartbeat = snap["K2"].connect.connectors["mm2-k1-k2-heartbeat"]
    changed = with_connector(snap, "K2", "mm2-k1-k2-source", None)  # the first derived connector
    changed = with_connector(changed, "K2", "mm2-k1-k2-heartbeat", replace(heartbeat, config={
        **heartbeat.config, "emit.heartbeats.interval.seconds": "60"}))
    changed = with_connector(changed, "K2", "mm2-k2-k1-source", source)  # the other flow's, on the wrong worker
    assert sorted((c.kind, c.name, c.action, c.cluster) for c in compare(local, changed)) == [
        ("connector", "mm2-k1-k2-source", "+", "K2"), ("connector", "mm2-k2-k1-source", "-", "K2"),
        ("connector-config", "mm2-k1-k2-heartbeat", "~", "K2")]


def test_a_subject_gone_from_one_registry_and_a_version_in_one_only(local, snap):
    r1, r2 = snap["K1"].registry, snap["K2"].registry
    gone = with_registry(snap, "K2", subjects=r2.subjects - {"customers-value"},
                         versions={k: v for k, v in r2.versions.items() if k != "customers-value"})
    extra = LiveVersion(2, 999, "AVRO", '{"type":"record","name":"X","fields":[]}')
    changed = with_registry(gone, "K1", versions={**r1.versions, "orders-value": (*r1.versions["orders-value"], extra)})
    assert [(c.kind, c.name, c.cluster) for c in compare(local, changed)] == [
        ("subject", "customers-value", "K2"), ("schema-versions", "orders-value", "K1")]


def test_lag_is_reported_beside_every_other_change(local, snap):
    ends = {"K1": {"orders": (9,) * 6}, "K2": {"K1.orders": (0,) * 6}}
    lagged = with_kafka(with_kafka(snap, "K1", end_offsets=ends["K1"]), "K2", end_offsets=ends["K2"])
    topics = {k: v for k, v in lagged["K1"].kafka.topics.items() if k != "payments"}
    changed = with_kafka(lagged, "K1", topics=topics)
    assert [(c.kind, c.name) for c in compare(local, changed, DriftOptions(max_lag=10))] == [
        ("topic", "payments"), ("replication-lag", "K1->K2")]


def test_extra_remote_topics_after_one_out_of_scope(local, snap):
    topics = {**snap["K2"].kafka.topics, "K1.aaa": TopicInfo(1, 1), "K1.zzz": TopicInfo(1, 1)}
    changed = with_kafka(snap, "K2", topics=topics)
    assert [c.name for c in compare(local, changed, DriftOptions(scope="zzz"))] == ["K1.zzz"]
