"""`kaa drift` on the real pair: clean reports nothing; each out-of-band change is reported exactly, nothing else.

The drift topology (`stacks/drift.yaml`: `dr-` names, principal `User:dr-mm2`, connectors `dr-mm2-*`) is applied
once per module and removed at the end. Each test makes one change behind the toolkit's back, waits (bounded)
for the report to be exactly the expected changes, undoes the change and waits until the pair is clean again.
"""
from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from kaa.clients.connect_client import ConnectClient
from kaa.clients.kafka_admin import KafkaAdmin
from kaa.clients.pair_access import ClusterAccess, PairAccess
from kaa.clients.registry_client import RegistryClient
from kaa.direct_apply import apply_connectors, apply_kafka, apply_topology
from kaa.drift.drift_compare import DriftOptions, acl_name
from kaa.drift.drift_report import RENDERERS, Change, Report
from kaa.drift.drift_scan import scan
from kaa.local import LocalPair
from kaa.topology.acls import Acl
from kaa.topology.derive import derive
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology
from tests.integration import topology_fixture as fx
from tests.integration.kafka_helpers import eventually, produce

ROOT = Path(__file__).resolve().parents[2]
STACK = Path(__file__).parent / "stacks" / "drift.yaml"
MM2_PASSWORD = "dr-mm2-secret"
SCOPE = DriftOptions(scope=r"dr-.*")  # other topologies share the pair: judge only our names
SETTLE = 60.0  # seconds for MM2 (5 s intervals) and the brokers to reach the state a test expects


@pytest.fixture(scope="module")
def topology() -> Topology:
    return load_topology(STACK, name="drift")


@pytest.fixture(scope="module")
def access(local_pair: LocalPair, topology: Topology) -> PairAccess:
    return PairAccess.from_status(local_pair.status_document(), {a: MM2_PASSWORD for a in topology.aliases})


@pytest.fixture(scope="module")
def applied(topology: Topology, access: PairAccess) -> Iterator[Topology]:
    fx.remove(topology, access)
    apply_topology(topology, access)
    settle(topology, access, [], "the freshly applied drift topology to be clean (remote topics created by MM2)")
    yield topology
    fx.remove(topology, access)


def report_of(topology: Topology, access: PairAccess, lag: bool = False) -> Report:
    report = scan(topology, access, SCOPE, lag=lag, timeout=10)
    assert report.unreachable == (), RENDERERS["table"](report)
    return report


def settle(topology: Topology, access: PairAccess, expected: list[Change], what: str,
           timeout: float = SETTLE) -> Report:
    """Scan until the report is exactly `expected`; fail with the last report when it never is."""
    deadline = time.monotonic() + timeout
    while True:
        report = report_of(topology, access)
        if list(report.changes) == expected:
            return report
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: expected {expected}, last report:\n{RENDERERS['table'](report)}")
        time.sleep(1.0)


@pytest.fixture
def undo(applied: Topology, access: PairAccess) -> Iterator[list[Callable[[], object]]]:
    """Steps that put the pair back; run after the test (even a failed one), then wait until it is clean."""
    steps: list[Callable[[], object]] = []
    yield steps
    for step in reversed(steps):
        step()
    settle(applied, access, [], "the pair to be clean again after undoing the change")


def admin(access: PairAccess, alias: str) -> KafkaAdmin:
    return KafkaAdmin(access[alias].kafka, alias)


def registry(access: PairAccess, alias: str) -> RegistryClient:
    return RegistryClient(access[alias].schema_registry)


def connect(access: PairAccess, alias: str) -> ConnectClient:
    return ConnectClient(access[alias].connect)


def wait_gone(access: PairAccess, alias: str, topic: str) -> None:
    eventually(lambda: topic not in admin(access, alias).topics(), 30, f"{topic} gone from {alias}'s metadata")


def wait_state(access: PairAccess, alias: str, name: str, state: str) -> None:
    def reached() -> bool:
        status = connect(access, alias).status(name) or {}
        states = [status.get("connector", {}).get("state")] + [t["state"] for t in status.get("tasks", [])]
        return all(s == state for s in states)

    eventually(reached, 30, f"{name} {state} on {alias}'s Connect")


# --- clean --------------------------------------------------------------------------------------------------------

def test_a_clean_pair_reports_nothing_in_every_format_and_exits_0(applied, access):
    report = report_of(applied, access, lag=True)
    assert report.changes == () and report.exit_code == 0
    assert [(f.flow, f.topics) for f in report.lag or ()] == [("K1->K2", 3), ("K2->K1", 3)]
    outputs = {}
    for fmt in ("", "--json", "--markdown"):
        cli = subprocess.run([str(ROOT / "scripts" / "kaa"), "drift", "--stack", str(STACK), "--local",
                              "--scope", "dr-.*", *([fmt] if fmt else [])],
                             capture_output=True, text=True, timeout=120)
        assert cli.returncode == 0, cli.stdout + cli.stderr
        assert MM2_PASSWORD not in cli.stdout and "admin-secret" not in cli.stdout
        outputs[fmt] = cli.stdout
    assert outputs[""].startswith("drift of stack drift (K1 and K2): no drift")
    assert json.loads(outputs["--json"])["clean"] is True
    assert outputs["--markdown"].startswith("### Drift: stack `drift` ✅ clean")


# --- topics -------------------------------------------------------------------------------------------------------

def test_a_config_altered_on_k2_is_reported_once_even_after_mm2_copies_it(applied, access, undo):
    admin(access, "K2").set_topic_configs({"dr-orders": {"retention.ms": "3600000"}})
    undo.append(lambda: admin(access, "K2").set_topic_configs({"dr-orders": {"retention.ms": "604800000"}}))
    # K2's dr-orders is the source of K2.dr-orders on K1: once MM2 synced it, only K2 differs from the spec.
    settle(applied, access, [Change("topic-config", "dr-orders", "~", {"retention.ms": "604800000"},
                                    {"retention.ms": "3600000"}, "K2")], "the altered config")


def test_a_twin_mm2_cannot_alter_is_reported_and_follows_its_source_once_mm2_may(applied, access, local_pair, undo):
    """MM2 (Kafka 4.1.2) logs "Could not alter configuration of topic <twin>." after every config sync, successful
    or not (KAFKA-20017: the warning has no `e != null` check), so its log cannot tell a twin left behind. A twin
    really left behind (here: the MM2 principal lost ALTER_CONFIGS on the remote topics) shows as a Denied in
    the target's authorizer log and as a `remote-config` change in `kaa drift`; given the grant back, MM2 copies
    the source's config within its sync interval (5 s) and the pair is clean again."""
    grant = Acl("User:dr-mm2", "TOPIC", "PREFIXED", "K1.", "ALTER_CONFIGS")
    assert grant in derive(applied)["K2"].acls
    [broker] = local_pair.services(("kafka",), ("K2",))
    [worker] = local_pair.services(("connect",), ("K2",))
    start = {p: p.stat().st_size for p in (broker.log_file, worker.log_file)}  # judge only what is logged now on

    def log_since_start(path: Path) -> str:
        with path.open("rb") as log:
            log.seek(start[path])
            return log.read().decode("utf-8", errors="replace")

    admin(access, "K2").delete_acls([grant])
    undo.append(lambda: admin(access, "K2").create_acls([grant]))
    admin(access, "K1").set_topic_configs({"dr-orders": {"retention.ms": "3600000"}})
    undo.append(lambda: admin(access, "K1").set_topic_configs({"dr-orders": {"retention.ms": "604800000"}}))
    settle(applied, access, [
        Change("topic-config", "dr-orders", "~", {"retention.ms": "604800000"}, {"retention.ms": "3600000"}, "K1"),
        Change("remote-config", "K1.dr-orders", "~", {"retention.ms": "3600000"}, {"retention.ms": "604800000"},
               "K2"),
        Change("acl", acl_name(grant), "+", vars_of(grant), None, "K2"),
    ], "the twin left behind")
    denied = ("Principal = User:dr-mm2 is Denied operation = ALTER_CONFIGS from host = 127.0.0.1 on resource = "
              "Topic:LITERAL:K1.dr-orders for request = IncrementalAlterConfigs")
    eventually(lambda: denied in log_since_start(broker.log_file), 30,
               "the Denied ALTER_CONFIGS of K1.dr-orders in K2's authorizer log")
    # MM2's own WARN for a real failure carries the exception on the next line (the false one never does).
    refused = ("WARN Could not alter configuration of topic K1.dr-orders. "
               "(org.apache.kafka.connect.mirror.MirrorSourceConnector)\n"
               "org.apache.kafka.common.errors.TopicAuthorizationException")
    eventually(lambda: refused in log_since_start(worker.log_file), 30,
               "MM2's WARN with the TopicAuthorizationException for K1.dr-orders in K2's Connect log")
    # Grant back (source still changed): MM2 carries retention.ms to the twin; only K1's own change is left.
    admin(access, "K2").create_acls([grant])
    settle(applied, access, [
        Change("topic-config", "dr-orders", "~", {"retention.ms": "604800000"}, {"retention.ms": "3600000"}, "K1"),
    ], "K1.dr-orders to follow its source once MM2 may alter it", timeout=20)
    assert admin(access, "K2").topic_configs(["K1.dr-orders"])["K1.dr-orders"]["retention.ms"] == "3600000"


def test_a_topic_deleted_on_k1(applied, access, undo):
    admin(access, "K1").delete_topics(["dr-audit"])
    undo.append(lambda: apply_kafka(applied, access))
    wait_gone(access, "K1", "dr-audit")
    settle(applied, access, [Change("topic", "dr-audit", "+", {"partitions": 1, "replication_factor": 1}, None,
                                    "K1")], "the deleted topic")


def test_an_extra_topic(applied, access, undo):
    admin(access, "K2").create_topics([replace(applied.topics[0], name="dr-extra", partitions=2, config={})])
    undo.append(lambda: admin(access, "K2").delete_topics(["dr-extra"]))
    settle(applied, access, [Change("topic", "dr-extra", "-", None, {"partitions": 2, "replication_factor": 1},
                                    "K2")], "the extra topic")


def test_a_remote_topic_deleted_while_its_flow_is_paused(applied, access, undo):
    # MM2 recreates a missing remote topic within one refresh (5 s): pause the flow's source connector first.
    source = "dr-mm2-k1-k2-source"
    connect(access, "K2").pause(source)
    undo.append(lambda: connect(access, "K2").resume(source))
    wait_state(access, "K2", source, "PAUSED")
    admin(access, "K2").delete_topics(["K1.dr-orders"])
    wait_gone(access, "K2", "K1.dr-orders")
    settle(applied, access, [
        Change("remote-topic", "K1.dr-orders", "+", "dr-orders on K1", None, "K2"),
        Change("connector-state", source, "~", "RUNNING", {"connector": "PAUSED", "tasks": ["PAUSED"]}, "K2"),
    ], "the deleted remote topic")


# --- ACLs ---------------------------------------------------------------------------------------------------------

def test_an_acl_removed(applied, access, undo):
    acl = Acl("User:dr-consumer", "TOPIC", "LITERAL", "dr-orders", "READ")
    assert acl in derive(applied)["K1"].acls
    admin(access, "K1").delete_acls([acl])
    undo.append(lambda: admin(access, "K1").create_acls([acl]))
    settle(applied, access, [Change("acl", acl_name(acl), "+", vars_of(acl), None, "K1")], "the removed ACL")


def test_an_extra_acl(applied, access, undo):
    acl = Acl("User:dr-producer", "TOPIC", "LITERAL", "K1.dr-orders", "WRITE")
    admin(access, "K2").create_acls([acl])
    undo.append(lambda: admin(access, "K2").delete_acls([acl]))
    settle(applied, access, [Change("acl", acl_name(acl), "-", None, vars_of(acl), "K2")], "the extra ACL")


def vars_of(acl: Acl) -> dict[str, str]:
    return {"principal": acl.principal, "resource_type": acl.resource_type, "pattern_type": acl.pattern_type,
            "resource_name": acl.resource_name, "operation": acl.operation, "host": acl.host,
            "permission": acl.permission}


# --- schemas ------------------------------------------------------------------------------------------------------

def avro(name: str) -> str:
    fields = [{"name": "id", "type": "string"}]
    return json.dumps({"type": "record", "name": name, "namespace": "dr", "fields": fields}, separators=(",", ":"))


def realign(access: PairAccess, subject: str, schema: str, registered_on: str, other: str) -> None:
    """Give the other registry the same write (registries hand out IDs from a counter), then drop the subject."""
    registry(access, other).register(subject, schema, "AVRO")
    for alias in (registered_on, other):
        registry(access, alias).delete_subject(subject, permanent=True)


def test_a_schema_registered_in_one_registry_only(applied, access, undo):
    subject, schema = f"dr-rogue-{uuid.uuid4().hex[:8]}-value", avro(f"Rogue{uuid.uuid4().hex[:8]}")
    registry(access, "K2").register(subject, schema, "AVRO")
    undo.append(lambda: realign(access, subject, schema, "K2", "K1"))
    settle(applied, access, [Change("subject", subject, "-", None, "one registry only", "K2")], "the rogue subject")


def test_a_new_version_with_a_different_id(applied, access, undo):
    tag = uuid.uuid4().hex[:8]
    filler_subject, filler = f"dr-filler-{tag}-value", avro(f"Filler{tag}")
    orders = next(t for t in applied.topics if t.name == "dr-orders")
    spec_v1 = orders.subjects[0].versions[0].text
    newer = {**json.loads(spec_v1)}
    newer["fields"] = [*newer["fields"], {"name": f"note{tag}", "type": ["null", "string"], "default": None}]
    text = json.dumps(newer, separators=(",", ":"))
    # K2 takes an unrelated write first, so the same new version gets another ID there than on K1.
    registry(access, "K2").register(filler_subject, filler, "AVRO")
    registry(access, "K2").delete_subject(filler_subject, permanent=True)
    undo.append(lambda: realign(access, filler_subject, filler, "K2", "K1"))
    ids = {alias: registry(access, alias).register("dr-orders-value", text, "AVRO") for alias in ("K1", "K2")}
    undo.append(lambda: [registry(access, a).delete_version("dr-orders-value", 2, permanent=True)
                         for a in ("K1", "K2")])
    assert ids["K1"] != ids["K2"], ids
    first = {a: registry(access, a).version("dr-orders-value", 1).id for a in ("K1", "K2")}
    assert first["K1"] == first["K2"]
    spec = ["../../../stacks/schemas/orders-value-v1.avsc"]
    live = {a: [{"version": 1, "id": first[a], "schema": spec[0]}, {"version": 2, "id": ids[a], "schema": None}]
            for a in ("K1", "K2")}
    settle(applied, access, [
        Change("schema-versions", "dr-orders-value", "~", spec, live["K1"], "K1"),
        Change("schema-versions", "dr-orders-value", "~", spec, live["K2"], "K2"),
        Change("schema-id", "dr-orders-value", "~", {"K1": {"v2": ids["K1"]}}, {"K2": {"v2": ids["K2"]}}, None),
    ], "the new version with another ID")


def test_a_compatibility_level_changed(applied, access, undo):
    registry(access, "K1").set_compatibility("dr-orders-value", "NONE")
    undo.append(lambda: registry(access, "K1").set_compatibility("dr-orders-value", "BACKWARD"))
    settle(applied, access, [Change("compatibility", "dr-orders-value", "~", "BACKWARD", "NONE", "K1")],
           "the changed compatibility")


# --- the mirror ---------------------------------------------------------------------------------------------------

def test_a_paused_connector_and_the_lag_it_leaves(applied, access, undo):
    source = "dr-mm2-k1-k2-source"
    eventually(lambda: all(f.records == 0 for f in report_of(applied, access, lag=True).lag or ()), SETTLE,
               "no replication lag before the test")
    connect(access, "K2").pause(source)
    undo.append(lambda: connect(access, "K2").resume(source))
    wait_state(access, "K2", source, "PAUSED")
    produce(access["K1"].kafka, "dr-orders", [{"value": f"lag-{i}".encode(), "partition": i % 3} for i in range(20)])
    report = settle(applied, access, [Change("connector-state", source, "~", "RUNNING",
                                             {"connector": "PAUSED", "tasks": ["PAUSED"]}, "K2")],
                    "the paused connector")
    lag = {f.flow: f for f in report_of(applied, access, lag=True).lag or ()}
    assert (lag["K1->K2"].records, lag["K1->K2"].worst_topic) == (20, "dr-orders")
    assert lag["K2->K1"].records == 0
    assert report.exit_code == 1


def test_a_deleted_connector(applied, access, undo):
    name = "dr-mm2-k2-k1-heartbeat"
    connect(access, "K1").delete(name)
    undo.append(lambda: apply_connectors(applied, access))
    settle(applied, access, [Change("connector", name, "+", "heartbeat", None, "K1")], "the deleted connector")


# --- unreachable parts --------------------------------------------------------------------------------------------

def test_an_unreachable_part_is_named_and_exits_2(applied, access):
    k2 = access["K2"]
    broken = PairAccess({**access.clusters, "K2": ClusterAccess(
        k2.kafka, "http://127.0.0.1:9/apis/ccompat/v7", "http://127.0.0.1:9", k2.mm2_password)})
    report = scan(applied, broken, SCOPE, timeout=5)
    assert sorted(u.part for u in report.unreachable) == [
        "Kafka Connect of K2 (http://127.0.0.1:9)", "schema registry of K2 (http://127.0.0.1:9/apis/ccompat/v7)"]
    assert report.exit_code == 2
    assert report.changes == ()  # the parts that answered are still compared: K1 and both clusters are clean
