"""Names MM2 gives and reserves (DefaultReplicationPolicy, separator '.')."""
from __future__ import annotations

import pytest

from kaa.topology import naming

ALIASES = ("K1", "K2")


@pytest.mark.parametrize(
    ("topic", "source"),
    [
        ("orders", None),
        ("heartbeats", None),
        ("K1.orders", "K1"),
        ("K2.heartbeats", "K2"),
        ("K2.checkpoints.internal", "K2"),
        ("K1.K2.orders", "K1"),  # two hops: the first segment is the last source
        ("orders.v1", "orders"),  # dots in local names are tolerated but parse as a source
        ("orders-v1", None),
        ("orders_v1", None),
    ],
)
def test_topic_source_is_the_first_segment_when_there_are_two_or_more(topic: str, source: str | None) -> None:
    assert naming.topic_source(topic) == source


def test_topic_source_uses_the_configured_separator() -> None:
    assert naming.topic_source("K1_orders", "_") == "K1"
    assert naming.topic_source("K1.orders", "_") is None


def test_remote_topic_round_trips_through_topic_source() -> None:
    remote = naming.remote_topic("K1", "orders")
    assert remote == "K1.orders"
    assert naming.topic_source(remote) == "K1"
    assert naming.remote_topic("K2", "orders", "_") == "K2_orders"


@pytest.mark.parametrize(
    "topic",
    [
        "heartbeats",
        "_schemas",
        "connect-configs",
        "connect-offsets",
        "connect-status",
        "connect-cluster-configs",
        "mm2-offset-syncs.K1.internal",
        "mm2-configs.K2.internal",
        "K1.checkpoints.internal",
        "mm2-connect-offsets-internal",
        "__consumer_offsets",
        "__transaction_state",
        "orders.replica",
    ],
)
def test_reserved_reason_names_internal_topics(topic: str) -> None:
    reason = naming.reserved_reason(topic)
    assert reason is not None
    assert reason.strip() == reason and reason


@pytest.mark.parametrize(
    "topic", ["orders", "payments", "orders-v2", "orders_internal_audit", "internal-orders", "K1.orders", "schemas"]
)
def test_reserved_reason_accepts_ordinary_names(topic: str) -> None:
    # K1.orders is not *reserved*: the alias prefix is a separate rule (remote_prefix_alias).
    assert naming.reserved_reason(topic) is None


def test_reserved_reason_explains_each_kind() -> None:
    assert naming.reserved_reason("heartbeats") == "is an MM2/Connect/registry internal topic name"
    assert naming.reserved_reason("__consumer_offsets") == "starts with __ (Kafka internal topics)"
    assert naming.reserved_reason("mm2-offset-syncs.K1.internal") == (
        "ends with .internal/-internal (MM2 and Connect internal topics)"
    )
    assert naming.reserved_reason("mm2-anything") == "starts with mm2- (MM2 offset-syncs and dedicated-mode topics)"
    assert naming.reserved_reason("connect-anything") == "starts with connect- (Kafka Connect's topics)"


@pytest.mark.parametrize(
    ("topic", "alias"),
    [
        ("K1.orders", "K1"),
        ("K2.orders", "K2"),
        ("K2.heartbeats", "K2"),
        ("K1.", "K1"),
        ("orders", None),
        ("K1orders", None),
        ("K1-orders", None),
        ("K10.orders", None),  # another alias that merely starts with K1
        ("k1.orders", None),  # aliases are case-sensitive, as in MM2
        ("orders.K1", None),
    ],
)
def test_remote_prefix_alias(topic: str, alias: str | None) -> None:
    assert naming.remote_prefix_alias(topic, ALIASES) == alias


def test_remote_prefix_alias_uses_the_configured_separator() -> None:
    assert naming.remote_prefix_alias("K1_orders", ALIASES, "_") == "K1"
    assert naming.remote_prefix_alias("K1.orders", ALIASES, "_") is None
    assert naming.remote_prefix_alias("K1.orders", ()) is None


def test_mm2_internal_and_connector_names() -> None:
    assert naming.offset_syncs_topic("K2") == "mm2-offset-syncs.K2.internal"
    assert naming.checkpoints_topic("K1") == "K1.checkpoints.internal"
    # Kafka 4.1.2's DefaultReplicationPolicy with replication.policy.separator=_ (and
    # replication.policy.internal.topic.separator.enabled at its default, true) names them with the separator
    assert naming.offset_syncs_topic("K2", "_") == "mm2-offset-syncs_K2_internal"
    assert naming.checkpoints_topic("K1", "_") == "K1_checkpoints_internal"
    assert naming.connector_name("K1", "K2", "source") == "mm2-k1-k2-source"
    assert naming.principal_name("User:mm2") == "mm2"


@pytest.mark.parametrize("principal", ["User:mm2", "User:orders-svc", "User:CN=app,O=corp"])
def test_principal_pattern_accepts_users(principal: str) -> None:
    assert naming.PRINCIPAL.match(principal)


@pytest.mark.parametrize("principal", ["mm2", "User:", "User:*", "User: mm2", "Group:mm2", "User:a:b"])
def test_principal_pattern_rejects_others(principal: str) -> None:
    assert not naming.PRINCIPAL.match(principal)


@pytest.mark.parametrize(("topic", "problem", "fix"), [
    (".", "is '.' or '..', which Kafka refuses as a topic name", "use a name with a letter or digit"),
    ("..", "is '.' or '..', which Kafka refuses as a topic name", "use a name with a letter or digit"),
    ("", "is empty", "use 1-249 of a-z A-Z 0-9 . _ -"),
    ("t" * 250, "has 250 characters, Kafka allows at most 249", "shorten it to at most 249 characters"),
    ("a b/c", "contains ' ' '/', which Kafka refuses in topic names", "use only a-z A-Z 0-9 . _ -"),
])
def test_topic_names_kafka_refuses(topic: str, problem: str, fix: str) -> None:
    assert naming.illegal_topic_name(topic) == (problem, fix)


@pytest.mark.parametrize("topic", ["...", "a", "t" * 249, "Orders.v2_x-1", "_x"])
def test_topic_names_kafka_accepts(topic: str) -> None:
    assert naming.illegal_topic_name(topic) is None
