"""Producing and consuming on the real pair, as any principal, with bounded waits."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition

from kaa.clients.kafka_admin import KafkaAdmin

T = TypeVar("T")


def as_user(settings: Mapping[str, str], user: str, password: str) -> dict[str, str]:
    return {**settings, "sasl.username": user, "sasl.password": password}


def produce(settings: Mapping[str, str], topic: str, records: list[dict[str, Any]]) -> list[Message]:
    """Produce records ({key, value, headers, timestamp, partition}) and return the delivered messages."""
    producer = Producer({**settings, "acks": "all", "enable.idempotence": True})
    delivered: list[Message] = []
    errors: list[KafkaError] = []

    def on_delivery(err: KafkaError | None, msg: Message) -> None:
        (errors.append(err) if err else delivered.append(msg))

    for r in records:
        kwargs = {k: r[k] for k in ("key", "value", "headers", "timestamp", "partition") if k in r}
        producer.produce(topic, on_delivery=on_delivery, **kwargs)
    producer.flush(30)
    if errors:
        raise RuntimeError(f"produce to {topic} failed: {errors[0]}")
    return delivered


def consume(
    settings: Mapping[str, str],
    topics: list[str],
    count: int,
    timeout: float = 60.0,
    group: str | None = None,
    commit: bool = False,
) -> list[Message]:
    """Read `count` records from the start of `topics` (or the group's position); fail on any error."""
    consumer = Consumer(
        {
            **settings,
            "group.id": group or f"it-probe-{time.monotonic_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe(topics)
    out: list[Message] = []
    deadline = time.monotonic() + timeout
    try:
        while len(out) < count and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise RuntimeError(f"consume {topics} failed: {msg.error()}")
            out.append(msg)
        if commit and out:
            consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    return out


def committed(settings: Mapping[str, str], group: str, topic: str, partitions: int) -> dict[int, int]:
    consumer = Consumer({**settings, "group.id": group, "enable.auto.commit": False})
    try:
        tps = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=15)
    finally:
        consumer.close()
    return {tp.partition: tp.offset for tp in tps if tp.offset >= 0}


def eventually(check: Callable[[], T | None], timeout: float, what: str, interval: float = 1.0) -> T:
    """Poll `check` until it returns something truthy; fail saying what did not happen."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} did not happen within {timeout:.0f}s (last: {last!r})")


def topic_names(settings: Mapping[str, str]) -> set[str]:
    return set(KafkaAdmin(settings).topics())
