"""Smoke checks of the local pair: it is what the other integration tests and `pulumi up --stack local` rely on.

Each test cleans up what it made (smoke topics, its connector), so the names of the `local` stack (`orders`, ...)
stay free for `pulumi up --stack local`. The restart and wipe checks run on a second, throwaway pair on other
ports so the shared pair keeps its data.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import (
    AdminClient,
    NewTopic,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from kaa.clients.connect_client import ConnectClient
from kaa.clients.kafka_admin import KafkaAdmin
from kaa.errors import LocalPairError
from kaa.leftover_removal import live_connectors, remove_leftovers, stop_connectors
from kaa.local import LocalPair, configs
from kaa.local.endpoints import LOCAL_STACK
from kaa.local.process import is_running, port_open, read_pid
from kaa.mirror.mm2_leftovers import Leftover
from kaa.topology import naming

ROOT = Path(__file__).resolve().parents[2]
KAA = ROOT / "scripts" / "kaa"
MIRROR_CONNECTORS = {
    "org.apache.kafka.connect.mirror.MirrorSourceConnector",
    "org.apache.kafka.connect.mirror.MirrorCheckpointConnector",
    "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector",
}
SR_JSON = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
RUN = uuid.uuid4().hex[:8]


# ---- helpers -------------------------------------------------------------------------------------------------


def create_topic(settings: dict[str, str], name: str, partitions: int = 1, exist_ok: bool = False) -> None:
    admin = AdminClient(settings)  # keep a reference: a collected client fails its pending futures
    futures = admin.create_topics([NewTopic(name, partitions, 1)], operation_timeout=30)
    try:
        futures[name].result(timeout=60)
    except KafkaException as exc:
        if not (exist_ok and exc.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS):
            raise


def delete_topic(settings: dict[str, str], name: str) -> None:
    admin = AdminClient(settings)
    futures = admin.delete_topics([name], operation_timeout=30)
    futures[name].result(timeout=60)


def topic_names(settings: dict[str, str]) -> set[str]:
    return set(AdminClient(settings).list_topics(timeout=20).topics)


def produce(settings: dict[str, str], topic: str, values: list[bytes]) -> list[KafkaError | None]:
    """Produce and wait; returns each record's delivery error (None when written)."""
    errors: list[KafkaError | None] = []
    producer = Producer({**settings, "acks": "all", "enable.idempotence": True, "message.timeout.ms": 20000})
    for value in values:
        producer.produce(topic, value=value, on_delivery=lambda err, _msg: errors.append(err))
    producer.flush(30)
    return errors


def consume_until(settings: dict[str, str], topic: str, wanted: set[bytes], timeout: float) -> set[bytes]:
    """Read `topic` from the beginning until every wanted value was seen or `timeout` passed."""
    consumer = Consumer(
        {
            **settings,
            "group.id": f"kaa-smoke-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "topic.metadata.refresh.interval.ms": 2000,
        }
    )
    consumer.subscribe([topic])
    seen: set[bytes] = set()
    deadline = time.monotonic() + timeout
    try:
        while not wanted <= seen and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
                    continue
                raise KafkaException(msg.error())
            seen.add(msg.value())
    finally:
        consumer.close()
    return seen & wanted


def avro_schema(name: str) -> str:
    """Compact, fixed text: Apicurio deduplicates schemas across subjects by their exact text."""
    record = {
        "type": "record",
        "name": name,
        "namespace": "dev.kaa.smoke",
        "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "long"}],
    }
    return json.dumps(record, separators=(",", ":"))


def register(registry: str, subject: str, schema: str) -> int:
    response = requests.post(
        f"{registry}/subjects/{subject}/versions",
        json={"schema": schema, "schemaType": "AVRO"},
        headers=SR_JSON,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


def wait_for_connector(connect: str, name: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = requests.get(f"{connect}/connectors/{name}/status", timeout=10)
        if response.status_code == 200:
            status = response.json()
            states = [status["connector"]["state"], *(task["state"] for task in status["tasks"])]
            if "FAILED" in states:
                pytest.fail(f"connector {name} failed: {json.dumps(status)[:3000]}")
            if status["tasks"] and all(state == "RUNNING" for state in states):
                return status
        time.sleep(1)
    pytest.fail(f"connector {name} not RUNNING after {timeout} s: {status}")


# ---- the shared pair -----------------------------------------------------------------------------------------


def test_status_json_gives_client_settings_for_both_clusters(local_pair: LocalPair) -> None:
    # A Connect worker's /health answers late while it rebalances (earlier tests add and remove connectors).
    deadline = time.monotonic() + 90
    while not local_pair.is_healthy() and time.monotonic() < deadline:
        time.sleep(2)
    result = subprocess.run([sys.executable, str(KAA), "local", "status", "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc == local_pair.status_document()
    assert doc["clusters"]["K1"] == {
        "healthy": True,
        "kafka": {
            "bootstrap.servers": "127.0.0.1:19092",
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": "admin",
            "sasl.password": "admin-secret",
        },
        "schema_registry": "http://127.0.0.1:18081/apis/ccompat/v7",
        "connect": "http://127.0.0.1:18083",
    }
    assert doc["clusters"]["K2"]["kafka"]["bootstrap.servers"] == "127.0.0.1:29092"
    assert doc["clusters"]["K2"]["healthy"] is True


def test_second_up_is_a_no_op(local_pair: LocalPair) -> None:
    before = {(s.alias, s.service): s.pid for s in local_pair.status()}
    began = time.monotonic()
    after = {(s.alias, s.service): s.pid for s in local_pair.up()}
    assert time.monotonic() - began < 10
    assert after == before
    assert all(pid is not None for pid in after.values())


def test_logs_command_prints_tails(local_pair: LocalPair) -> None:
    result = subprocess.run(
        [sys.executable, str(KAA), "local", "logs", "--service", "kafka", "--cluster", "K1", "-n", "5"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"==> {local_pair.state_dir / 'K1' / 'kafka' / 'kafka.log'} <==")


def test_connect_workers_offer_the_mirror_connectors(connect_urls: dict[str, str]) -> None:
    for alias, connect in connect_urls.items():
        plugins = {p["class"] for p in requests.get(f"{connect}/connector-plugins", timeout=10).json()}
        assert plugins >= MIRROR_CONNECTORS, f"{alias}: {sorted(plugins)}"


def test_admin_creates_produces_and_consumes(kafka_settings: dict[str, dict[str, str]]) -> None:
    k1 = kafka_settings["K1"]
    topic = f"smoke-{RUN}"
    create_topic(k1, topic, partitions=3)
    try:
        values = [f"{RUN}-{i}".encode() for i in range(5)]
        assert produce(k1, topic, values) == [None] * 5
        assert consume_until(k1, topic, set(values), timeout=60) == set(values)
        assert topic not in topic_names(kafka_settings["K2"]), "topics are per cluster; nothing mirrors smoke-*"
    finally:
        delete_topic(k1, topic)


def test_user_without_acls_is_denied(kafka_settings: dict[str, dict[str, str]]) -> None:
    k1 = kafka_settings["K1"]
    topic = f"smoke-acl-{RUN}"
    user, password = f"smoke-noacl-{RUN}", "noacl-secret"
    admin = AdminClient(k1)
    upsert = UserScramCredentialUpsertion(
        user, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password.encode()
    )
    admin.alter_user_scram_credentials([upsert])[user].result(timeout=30)
    create_topic(k1, topic)
    try:
        stranger = {**k1, "sasl.username": user, "sasl.password": password}
        errors: list[KafkaError | None] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the new credential reaches the broker's cache within moments
            errors = produce(stranger, topic, [b"denied"])
            if errors and errors[0] is not None and errors[0].code() != KafkaError._AUTHENTICATION:
                break
            time.sleep(1)
        assert errors and errors[0] is not None
        assert errors[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, errors[0]
        assert topic not in topic_names(stranger), "DESCRIBE is denied too: the topic is invisible"
        assert topic in topic_names(k1)
    finally:
        delete_topic(k1, topic)
        admin.alter_user_scram_credentials([UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)])[
            user
        ].result(timeout=30)


def test_mirror_source_connector_copies_a_topic_from_k1_to_k2(
    kafka_settings: dict[str, dict[str, str]], connect_urls: dict[str, str]
) -> None:
    """K1->K2 runs on K2's Connect (next to its target); its producer writes K2 as admin via producer.override.*."""
    k1, k2 = kafka_settings["K1"], kafka_settings["K2"]
    topic = "smoke-orders"  # not `orders`: the local Pulumi stack owns that name on this shared pair
    create_topic(k1, topic, partitions=6, exist_ok=True)
    admin_jaas = configs.ADMIN.jaas()
    sasl = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-512", "sasl.jaas.config": admin_jaas}
    name = "smoke-mm2-k1-k2-source"
    config = {
        "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
        "tasks.max": "1",
        "source.cluster.alias": "K1",
        "target.cluster.alias": "K2",
        "source.cluster.bootstrap.servers": k1["bootstrap.servers"],
        "target.cluster.bootstrap.servers": k2["bootstrap.servers"],
        **{f"source.cluster.{key}": value for key, value in sasl.items()},
        **{f"target.cluster.{key}": value for key, value in sasl.items()},
        **{f"producer.override.{key}": value for key, value in sasl.items()},
        "topics": topic,
        "replication.policy.class": "org.apache.kafka.connect.mirror.DefaultReplicationPolicy",
        "replication.factor": "1",
        "offset-syncs.topic.replication.factor": "1",
        "sync.topic.acls.enabled": "false",
        "refresh.topics.interval.seconds": "5",
        "key.converter": configs.BYTE_ARRAY_CONVERTER,
        "value.converter": configs.BYTE_ARRAY_CONVERTER,
        "header.converter": configs.BYTE_ARRAY_CONVERTER,
    }
    connect = connect_urls["K2"]
    response = requests.put(f"{connect}/connectors/{name}/config", json=config, timeout=30)
    assert response.status_code in (200, 201), response.text
    try:
        wait_for_connector(connect, name)
        marker = f"order-{RUN}-{uuid.uuid4().hex[:6]}".encode()
        assert produce(k1, topic, [marker]) == [None]
        assert consume_until(k2, f"K1.{topic}", {marker}, timeout=120) == {marker}
    finally:
        remove_smoke_flow(k1, k2, connect, name, topic)


def remove_smoke_flow(k1: dict[str, str], k2: dict[str, str], connect: str, name: str, topic: str) -> None:
    """Leave the pair as found: stop the connector (its tasks may still create the twin until Connect has
    forgotten it), then delete the topic, its twin and the offset syncs the connector made, unless another
    connector still uses them; fail if any is left."""
    stop_connectors(ConnectClient(connect), [name])
    others = live_connectors([ConnectClient(connect)])
    remove_leftovers(KafkaAdmin(k2, "K2"), [Leftover(f"K1.{topic}", "K2", "K1", "K2", topic)], others)
    remove_leftovers(KafkaAdmin(k1, "K1"), [Leftover(topic, "K1", "K1", "K2", topic),
                                            Leftover(naming.offset_syncs_topic("K2"), "K1", "K1", "K2")], others)
    left = (topic_names(k1) & {topic}) | (topic_names(k2) & {f"K1.{topic}"})
    assert not left, f"the smoke flow left {sorted(left)} on the pair"


def test_same_schema_gets_the_same_id_on_both_registries(registry_urls: dict[str, str]) -> None:
    """The toolkit writes both registries in lockstep, so the IDs in replicated messages resolve on both sides."""
    schema = avro_schema(f"Order{RUN}")
    subjects = [f"smoke-{RUN}-value", f"smoke-{RUN}-copy-value"]
    try:
        ids = {alias: register(url, subjects[0], schema) for alias, url in registry_urls.items()}
        assert ids["K1"] == ids["K2"], f"schema IDs differ between the registries: {ids}"
        for alias, url in registry_urls.items():
            # Confluent semantics: one ID per schema, whatever the subject; re-registering is a no-op.
            assert register(url, subjects[1], schema) == ids[alias]
            assert register(url, subjects[0], schema) == ids[alias]
            fetched = requests.get(f"{url}/schemas/ids/{ids[alias]}", timeout=10).json()
            assert json.loads(fetched["schema"]) == json.loads(schema)
            assert requests.get(f"{url}/subjects/{subjects[0]}/versions", timeout=10).json() == [1]
    finally:
        for url in registry_urls.values():
            for subject in subjects:
                requests.delete(f"{url}/subjects/{subject}", timeout=10)
                requests.delete(f"{url}/subjects/{subject}", params={"permanent": "true"}, timeout=10)


# ---- a throwaway pair: restart keeps data, wipe removes it, failures clean up -------------------------------


def shifted_stack(tmp: Path, offset: int) -> Path:
    """stacks/local.yaml with every port moved by `offset`, so a second pair can run beside the shared one.

    Keep the result below 32768: above it, an outgoing connection's ephemeral port can take a port we bind.
    """
    doc = yaml.safe_load(LOCAL_STACK.read_text())

    def shift(address: str) -> str:
        head, _, port = address.rpartition(":")
        tail = ""
        if "/" in port:
            port, slash, rest = port.partition("/")
            tail = slash + rest
        return f"{head}:{int(port) + offset}{tail}"

    clusters = {
        alias: {
            "bootstrap_servers": [shift(c["bootstrap_servers"][0])],
            "schema_registry": shift(c["schema_registry"]),
            "connect": shift(c["connect"]),
        }
        for alias, c in doc["clusters"].items()
    }
    path = tmp / "local.yaml"
    path.write_text(yaml.safe_dump({"clusters": clusters}))
    return path


@pytest.fixture
def spare_pair(tmp_path: Path, local_pair: LocalPair) -> Iterator[LocalPair]:
    pair = LocalPair(tmp_path / "state", stack_file=shifted_stack(tmp_path, 2000), progress=sys.stderr)
    try:
        yield pair
    finally:
        pair.down(wipe=True)


def test_restart_keeps_topics_and_schemas_and_wipe_removes_them(spare_pair: LocalPair) -> None:
    try:
        spare_pair.up()
    except LocalPairError as exc:
        pytest.fail(f"the spare pair could not start: {exc}", pytrace=False)
    k1 = spare_pair.client_settings("K1")["kafka"]
    registry = spare_pair.client_settings("K2")["schema_registry"]
    create_topic(k1, "kept")
    schema_id = register(registry, "kept-value", avro_schema("Kept"))
    pids = [s.pid for s in spare_pair.status()]

    stopped = spare_pair.down()
    assert len(stopped) == 6
    assert not any(pid is not None and is_running(pid) for pid in pids)
    assert not spare_pair.is_healthy()

    spare_pair.up()
    assert "kept" in topic_names(k1)
    assert register(registry, "kept-value", avro_schema("Kept")) == schema_id
    assert requests.get(f"{registry}/subjects", timeout=10).json() == ["kept-value"]

    spare_pair.down(wipe=True)
    assert not spare_pair.state_dir.exists()
    ports = [port for cluster in spare_pair.clusters for port in (cluster.kafka_port, cluster.registry_port)]
    assert not any(port_open("127.0.0.1", port) for port in ports)


def test_failed_start_stops_what_it_started_and_shows_the_log(
    spare_pair: LocalPair, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(configs.HEAP, "kafka", "1k")  # the JVM refuses to start with a 1 KiB heap
    with pytest.raises(LocalPairError) as failure:
        spare_pair.up()
    message = str(failure.value)
    assert "kafka" in message and "exited during start-up" in message
    assert "kafka.log" in message and "heap" in message.lower()
    for service in spare_pair.services():
        pid = read_pid(service.pid_file)
        assert pid is None or not is_running(pid), f"{service.key} left running"
