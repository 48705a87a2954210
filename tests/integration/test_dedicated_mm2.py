"""Kafka's own dedicated MirrorMaker (`org.apache.kafka.connect.mirror.MirrorMaker`), run from the toolkit's
properties render of tests/integration/stacks/dedicated.yaml (`mirror.runtime: dedicated`) on the shared pair.

The render holds only FileConfigProvider references; the test writes the password into a secrets file of its
own and a copy of the render that points there. MirrorMaker runs as the stack's MM2 principal (not a super user)
with exactly the ACLs the toolkit derives for dedicated mode, applied by the toolkit. The topic name gets a
per-run suffix, so the Connect-based MM2 of the other stacks (allow-lists of their own topics and groups) never
sees it; everything the run made is removed afterwards, including the workers' internal topics and groups.
"""
from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from confluent_kafka.admin import ScramMechanism, UserScramCredentialDeletion

from kaa.clients.connect_client import ConnectClient
from kaa.clients.kafka_admin import KafkaAdmin
from kaa.clients.kafka_groups import delete_groups, group_ids
from kaa.clients.pair_access import PairAccess
from kaa.direct_apply import apply_kafka
from kaa.leftover_removal import live_connectors, remove_leftovers
from kaa.local import LocalPair, configs
from kaa.local.java import find_java
from kaa.local.local_pair import KAFKA_MIN_JAVA
from kaa.local.runtime import load_runtime
from kaa.mirror.mm2_leftovers import mm2_topics
from kaa.mirror.mm2_records import decode_checkpoint, decode_heartbeat
from kaa.mirror.mm2_render import SECRETS_FILE, render_properties
from kaa.mirror.mm2_settings import flow_settings
from kaa.topology import naming
from kaa.topology.derive import derive
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology
from tests.integration.kafka_helpers import committed, consume, eventually, produce, topic_names

STACK = Path(__file__).parent / "stacks" / "dedicated.yaml"
MM2_PASSWORD = "ded-mm2-secret"
MIRROR_MAKER = "org.apache.kafka.connect.mirror.MirrorMaker"
GROUP = "ded-billing"
CONNECTORS = ("MirrorSourceConnector", "MirrorCheckpointConnector", "MirrorHeartbeatConnector")
FLOWS = [("K1", "K2"), ("K2", "K1")]


@dataclass(frozen=True)
class Run:
    topology: Topology
    access: PairAccess
    topic: str
    rendered: str
    log: Path
    started_ms: int


@pytest.fixture(scope="module")
def topology(local_pair: LocalPair) -> Topology:
    """The stack with the pair's own bootstrap servers and a per-run topic name (ded-orders-<id>): nothing a
    previous run left can match it."""
    base = load_topology(STACK)
    (orders,) = base.topics
    clusters = tuple(replace(c, bootstrap_servers=(local_pair.cluster(c.alias).bootstrap_servers,))
                     for c in base.clusters)
    return replace(base, clusters=(clusters[0], clusters[1]),
                   topics=(replace(orders, name=f"{orders.name}-{uuid.uuid4().hex[:8]}"),))


@pytest.fixture(scope="module")
def access(local_pair: LocalPair, topology: Topology) -> PairAccess:
    return PairAccess.from_status(local_pair.status_document(), {a: MM2_PASSWORD for a in topology.aliases})


def _remove(topology: Topology, access: PairAccess, topic: str) -> None:
    """The run's topics (local, remote, any cycle), the workers' internal topics and groups, the run's group,
    the principals' ACLs and the MM2 credential; MM2's own topics (heartbeats, checkpoints, offset syncs) unless a
    connector on the pair's Connect still uses them."""
    others = live_connectors(ConnectClient(access[a].connect) for a in topology.aliases)
    principals = {topology.mirror.principal} | {p for t in topology.topics for p in t.producers} | {
        c.principal for t in topology.topics for c in t.consumers}
    for alias in topology.aliases:
        other = topology.other(alias).alias
        admin = KafkaAdmin(access[alias].kafka, alias)
        names = set(admin.topics())
        ours = {n for n in names if n == topic or n.endswith(f".{topic}")} | set(naming.mm2_worker_topics(other))
        admin.delete_topics(sorted(ours & names))
        remove_leftovers(admin, mm2_topics(topology, alias), others)
        admin.delete_acls([a for a in admin.acls() if a.principal in principals])
        live_groups = set(group_ids(admin))
        delete_groups(admin, [g for g in (GROUP, naming.mm2_worker_group(other)) if g in live_groups])
        user = naming.principal_name(topology.mirror.principal)
        for future in admin.admin.alter_user_scram_credentials(
                [UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)], request_timeout=30).values():
            try:
                future.result()
            except Exception as exc:  # noqa: BLE001 - a user without a credential is already clean
                if "RESOURCE_NOT_FOUND" not in str(exc):
                    raise


def _mirror_maker_command(properties: Path, log4j2: Path) -> list[str]:
    runtime = load_runtime()
    java = find_java(KAFKA_MIN_JAVA, "KAA_KAFKA_JAVA_HOME", "MirrorMaker 2")
    return [java, "-Xmx384m", *configs.JVM_COMMON, f"-Dlog4j2.configurationFile={log4j2}", "-cp",
            runtime.kafka_classpath, MIRROR_MAKER, str(properties)]


def _log_tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.is_file() else "(no log)"


@pytest.fixture(scope="module")
def run(topology: Topology, access: PairAccess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    (orders,) = topology.topics
    work = tmp_path_factory.mktemp("dedicated-mm2")
    _remove(topology, access, orders.name)  # a crashed earlier run's workers' topics and groups
    apply_kafka(topology, access)
    assert derive(topology)["K1"].connectors == ()  # dedicated: nothing goes on the pair's Connect
    rendered = render_properties(topology)
    # Credentials at run time only: a secrets file of the test's own, and a copy of the render that points there.
    secrets = work / "mm2-secrets.properties"
    secrets.write_text("".join(f"{alias}.password={MM2_PASSWORD}\n" for alias in topology.aliases))
    secrets.chmod(0o600)
    properties = work / "mm2.properties"
    properties.write_text(rendered.replace(SECRETS_FILE, str(secrets)))
    log4j2 = work / "log4j2.properties"
    log4j2.write_text("status = warn\nappender.out.type = Console\nappender.out.name = STDOUT\n"
                      "appender.out.layout.type = PatternLayout\nappender.out.layout.pattern = [%d] %p %m (%c)%n\n"
                      "rootLogger.level = INFO\nrootLogger.appenderRef.out.ref = STDOUT\n")
    log = work / "mirror-maker.log"
    started_ms = int(time.time() * 1000)
    with log.open("w") as out:
        process = subprocess.Popen(_mirror_maker_command(properties, log4j2), stdout=out, stderr=subprocess.STDOUT,
                                   cwd=work, start_new_session=True)
    try:
        for source, target in FLOWS:
            remote = naming.remote_topic(source, orders.name)
            produce(access[source].kafka, orders.name, [{"value": b"warm-up", "partition": 0}])
            try:
                eventually(lambda r=remote, t=target: process.poll() is None and r in topic_names(access[t].kafka)
                           or process.poll() is not None, 120, f"{remote} created on {target} by MirrorMaker")
            except AssertionError as exc:
                raise AssertionError(f"{exc}\nMirrorMaker log:\n{_log_tail(log)}") from None
            assert process.poll() is None, f"MirrorMaker exited ({process.returncode}):\n{_log_tail(log)}"
        yield Run(topology, access, orders.name, rendered, log, started_ms)
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)
        _remove(topology, access, orders.name)


def test_the_render_holds_references_only_and_mm2_is_not_a_super_user(run: Run) -> None:
    assert MM2_PASSWORD not in run.rendered
    for alias in run.topology.aliases:
        assert f'username="ded-mm2" password="${{file:{SECRETS_FILE}:{alias}.password}}"' in run.rendered
    assert run.topology.mirror.principal == "User:ded-mm2"
    assert run.topology.mirror.principal not in configs.SUPER_USERS
    assert MM2_PASSWORD not in run.log.read_text(errors="replace")


def test_mirror_maker_reads_the_render_as_written(run: Run) -> None:
    """Java's properties reader drops a backslash before any other character: the regexes must survive it."""
    text = run.log.read_text(errors="replace")
    exclude = flow_settings(run.topology)["source"]["topics.exclude"]
    assert f"\ttopics.exclude = [{exclude}]" in text, "MirrorMaker did not log the rendered topics.exclude"


@pytest.mark.parametrize(("source", "target"), FLOWS)
def test_records_replicate_with_key_headers_and_timestamp(run: Run, source: str, target: str) -> None:
    stamp = int(time.time() * 1000) - 60_000
    marker = f"{source}-{time.monotonic_ns()}"
    records = [{"key": f"k{i}".encode(), "value": f"{marker}-{i}".encode(), "partition": i % 3,
                "headers": [("event-id", f"{marker}-{i}".encode()), ("origin", source.encode())],
                "timestamp": stamp + i} for i in range(6)]
    produce(run.access[source].kafka, run.topic, records)
    remote = naming.remote_topic(source, run.topic)
    seen = [m for m in consume(run.access[target].kafka, [remote], count=200, timeout=60)
            if m.value().decode().startswith(marker)]
    assert len(seen) == 6, f"expected 6 records in {remote} on {target}, saw {len(seen)}"
    by_value = {m.value().decode(): m for m in seen}
    for i, record in enumerate(records):
        message = by_value[record["value"].decode()]
        assert message.key() == record["key"]
        assert message.partition() == record["partition"]
        assert message.timestamp()[1] == stamp + i
        assert dict(message.headers()) == dict(record["headers"])


def test_no_cycle_topics_appear(run: Run) -> None:
    for source, _ in FLOWS:
        produce(run.access[source].kafka, run.topic, [{"value": b"cycle-check", "partition": 0}])
    time.sleep(12)  # more than two topic-refresh intervals (5 s): a cycle would have been created by now
    for alias in run.topology.aliases:
        other = run.topology.other(alias).alias
        ours = sorted(n for n in topic_names(run.access[alias].kafka) if n.endswith(run.topic))
        assert ours == sorted([run.topic, naming.remote_topic(other, run.topic)]), (alias, ours)


def test_a_config_change_reaches_the_remote_topic(run: Run) -> None:
    """Config sync alters the remote topic on the target: the derived ALTER_CONFIGS on the remote prefix."""
    KafkaAdmin(run.access["K1"].kafka, "K1").set_topic_configs({run.topic: {"retention.ms": "43200000"}})
    remote = naming.remote_topic("K1", run.topic)
    target = KafkaAdmin(run.access["K2"].kafka, "K2")
    eventually(lambda: target.topic_configs([remote])[remote].get("retention.ms") == "43200000", 60,
               f"retention.ms of {remote} synced to 43200000", interval=2)


def _status(run: Run, source: str, target: str) -> dict[str, str]:
    """Latest state per key of the worker's status topic (mm2-status.<source>.internal on the target)."""
    status_topic = naming.mm2_worker_topics(source)[2]
    latest: dict[str, str] = {}
    for message in consume(run.access[target].kafka, [status_topic], count=10_000, timeout=8):
        key = message.key().decode()
        if message.value() and key.startswith(("status-connector-", "status-task-")):
            latest[key] = json.loads(message.value())["state"]
    return latest


@pytest.mark.parametrize(("source", "target"), FLOWS)
def test_the_workers_run_their_three_connectors_and_heartbeats_flow(run: Run, source: str, target: str) -> None:
    # The checkpoint connector gets a task only once a group it checkpoints exists (the next test makes one).
    wanted = [f"status-connector-{c}" for c in CONNECTORS] + [f"status-task-{c}-0" for c in CONNECTORS
                                                                if c != "MirrorCheckpointConnector"]

    def running() -> dict[str, str] | None:
        states = _status(run, source, target)
        return states if all(states.get(key) == "RUNNING" for key in wanted) else None

    states = eventually(running, 60, f"{source}->{target} connectors and tasks RUNNING", interval=3)
    assert set(states.values()) == {"RUNNING"}, states
    # The heartbeat connector of target->source writes `heartbeats` on the source; source->target replicates it.
    remote = naming.remote_topic(source, "heartbeats")
    beats = [decode_heartbeat(m.key(), m.value()) for m in consume(run.access[target].kafka, [remote], count=5000,
                                                                   timeout=15)]
    fresh = [b for b in beats if b.timestamp_ms >= run.started_ms]
    assert fresh, f"no heartbeat emitted since MirrorMaker started arrived in {remote} on {target}"
    assert {(b.source, b.target) for b in fresh} <= {(source, target), (target, source)}


@pytest.mark.parametrize(("source", "target"), FLOWS)
def test_checkpoints_flow_and_offsets_are_translated(run: Run, source: str, target: str) -> None:
    produce(run.access[source].kafka, run.topic, [{"value": f"offset-{i}".encode(), "partition": 0}
                                                  for i in range(300)])
    remote = naming.remote_topic(source, run.topic)
    eventually(lambda: len(consume(run.access[target].kafka, [remote], count=300, timeout=5)) >= 300, 60,
               f"300 records in {remote} on {target}", interval=2)
    read = consume(run.access[source].kafka, [run.topic], count=150, group=GROUP, commit=True, timeout=60)
    assert len(read) == 150
    upstream = committed(run.access[source].kafka, GROUP, run.topic, 3)
    assert upstream, f"{GROUP} committed nothing on {source}"

    checkpoints_topic = naming.checkpoints_topic(source)

    def checkpointed() -> list[object]:
        records = consume(run.access[target].kafka, [checkpoints_topic], count=100_000, timeout=5)
        decoded = [decode_checkpoint(m.key(), m.value()) for m in records]
        return [c for c in decoded if c.group == GROUP and c.topic == remote]

    checkpoints = eventually(checkpointed, 90, f"checkpoints of {GROUP} on {remote} in {checkpoints_topic}",
                             interval=3)
    assert any(c.upstream_offset == upstream.get(c.partition) for c in checkpoints), (checkpoints, upstream)

    def translated() -> dict[int, int] | None:
        offsets = committed(run.access[target].kafka, GROUP, remote, 3)
        return offsets if offsets.get(0, 0) > 0 else None

    offsets = eventually(translated, 90, f"{GROUP}'s offsets synced to {remote} on {target}", interval=2)
    for partition, offset in offsets.items():
        assert 0 < offset <= upstream.get(partition, 0) + 1, (partition, offset, upstream)


def test_the_workers_keep_their_config_in_the_derived_internal_topics(run: Run) -> None:
    """MirrorMaker created its workers' topics on each target as the MM2 principal: the derived ACLs allow it."""
    for source, target in FLOWS:
        names = topic_names(run.access[target].kafka)
        assert set(naming.mm2_worker_topics(source)) <= names, (target, sorted(n for n in names if "mm2" in n))
