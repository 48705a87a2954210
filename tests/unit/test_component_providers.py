"""The dynamic providers' own decisions: what a connector's diff sees, and that deleting a registry's pass deletes
its subjects the way the stack says (soft by default; permanent, after the soft delete, only with
`schema_registry.delete: permanent`), then their compatibility level, while the legacy per-subject resource's
delete sends nothing; against a recording HTTP server on loopback."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from components.providers.connector import ConnectorProvider
from components.providers.schema_pass import SchemaPassProvider
from components.providers.schema_subject import SchemaSubjectProvider
from tests.unit.loopback_server import Recorder, recorder, serve

CONFIG = {"connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector", "tasks.max": "1",
          "topics": "orders", "source.cluster.sasl.jaas.config": 'x required username="mm2" password="a";'}
OLDS = {"label": "K2", "url": "http://k2:8083", "name": "mm2-k1-k2-source", "config": CONFIG, "auth": None}


def test_a_connector_config_change_is_an_update_in_place() -> None:
    for key, value in (("tasks.max", "4"), ("topics", r"orders, orders\.v2"),
                       ("source.cluster.sasl.jaas.config", 'x required username="mm2" password="b";')):
        diff = ConnectorProvider().diff("K2/mm2-k1-k2-source", OLDS, {**OLDS, "config": {**CONFIG, key: value}})
        assert (diff.changes, diff.replaces) == (True, []), key
    removed = {k: v for k, v in CONFIG.items() if k != "topics"}
    assert ConnectorProvider().diff("id", OLDS, {**OLDS, "config": removed}).changes is True


def test_a_connector_moved_or_renamed_is_replaced_new_first() -> None:
    for key, value in (("url", "http://elsewhere:8083"), ("name", "mm2-k1-k2-source-2")):
        diff = ConnectorProvider().diff("id", OLDS, {**OLDS, key: value})
        assert (diff.changes, diff.replaces, diff.delete_before_replace) == (True, [key], False)


def test_the_name_connect_adds_to_a_config_is_no_change() -> None:
    diff = ConnectorProvider().diff("id", {**OLDS, "config": {**CONFIG, "name": "mm2-k1-k2-source"}}, OLDS)
    assert diff.changes is False


@pytest.fixture
def recording() -> type[Recorder]:
    return recorder()


@pytest.fixture
def registry(recording: type[Recorder]) -> Iterator[str]:
    with serve(recording) as url:
        yield f"{url}/apis/ccompat/v7"


def test_deleting_a_subject_is_soft_by_default_and_clears_its_compatibility(
        registry: str, recording: type[Recorder]) -> None:
    props: dict[str, Any] = {"label": "K1", "url": registry, "subjects": [{"subject": "orders-value"}], "auth": None}
    SchemaPassProvider().delete("K1/registration-pass", props)
    assert recording.served == [
        ("DELETE", "/apis/ccompat/v7/subjects/orders-value"),
        ("DELETE", "/apis/ccompat/v7/config/orders-value"),
    ]


def test_deleting_a_subject_permanently_only_when_the_stack_says_so(
        registry: str, recording: type[Recorder]) -> None:
    props: dict[str, Any] = {"label": "K1", "url": registry, "subjects": [{"subject": "orders-value"}], "auth": None,
                             "permanent_delete": True}
    SchemaPassProvider().delete("K1/registration-pass", props)
    assert recording.served == [
        ("DELETE", "/apis/ccompat/v7/subjects/orders-value"),
        ("DELETE", "/apis/ccompat/v7/subjects/orders-value?permanent=true"),
        ("DELETE", "/apis/ccompat/v7/config/orders-value"),
    ]


def test_the_legacy_subject_resource_leaves_the_live_subject_alone(registry: str, recording: type[Recorder]) -> None:
    """Stacks made before the pass owned its subjects drop their `SchemaSubject` resources on the next update;
    the engine then calls this delete, and the subject (now the pass's) must stay."""
    for permanent in (False, True):
        props = {"label": "K1", "url": registry, "subject": "orders-value", "auth": None, "permanent_delete": permanent}
        SchemaSubjectProvider().delete("K1/orders-value", props)
    assert recording.served == []
