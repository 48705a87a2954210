"""Consumer groups and offsets on one cluster, for failover: a group's state and committed offsets, committing
new ones, end offsets, offsets at a time, and reading a topic's records (or only its newest) with bounded waits.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka import ConsumerGroupTopicPartitions as GroupPartitions
from confluent_kafka.admin import OffsetSpec

from kaa.clients.kafka_admin import KafkaAdmin, KafkaAdminError
from kaa.errors import UnreachableError

Key = tuple[str, int]


@dataclass(frozen=True)
class RawRecord:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None


def _error_name(exc: KafkaException) -> str:
    error = exc.args[0]
    return str(error.name()) if hasattr(error, "name") else str(error)


def group_state(admin: KafkaAdmin, group: str) -> tuple[str, int]:
    """(state, member count); a group the cluster does not know is DEAD with 0 members."""
    future = admin.admin.describe_consumer_groups([group], request_timeout=admin.timeout)[group]
    try:
        description = future.result()
    except KafkaException as exc:
        raise KafkaAdminError(f"describe group {group} on {admin.label}: {exc.args[0]}") from exc
    return description.state.name, len(description.members)


def committed(admin: KafkaAdmin, group: str) -> dict[Key, int]:
    """Every offset `group` committed on this cluster (topic, partition) -> offset."""
    future = admin.admin.list_consumer_group_offsets([GroupPartitions(group)], request_timeout=admin.timeout)[group]
    try:
        result = future.result()
    except KafkaException as exc:
        raise KafkaAdminError(f"list offsets of group {group} on {admin.label}: {exc.args[0]}") from exc
    return {(tp.topic, tp.partition): tp.offset for tp in result.topic_partitions or [] if tp.offset >= 0}


def commit(admin: KafkaAdmin, group: str, offsets: Mapping[Key, int]) -> None:
    """Set `group`'s offsets; the broker refuses while the group has members (UNKNOWN_MEMBER_ID)."""
    if not offsets:
        return
    request = GroupPartitions(group, [TopicPartition(t, p, o) for (t, p), o in sorted(offsets.items())])
    future = admin.admin.alter_consumer_group_offsets([request], request_timeout=admin.timeout)[group]
    try:
        result = future.result()
    except KafkaException as exc:
        raise KafkaAdminError(f"commit offsets of group {group} on {admin.label}: {_error_name(exc)}; "
                              "the group must have no active member") from exc
    failed = [f"{tp.topic}[{tp.partition}]: {tp.error}" for tp in result.topic_partitions or [] if tp.error]
    if failed:
        raise KafkaAdminError(f"commit offsets of group {group} on {admin.label}: {', '.join(failed)}")


def group_ids(admin: KafkaAdmin) -> list[str]:
    try:
        listing = admin.admin.list_consumer_groups(request_timeout=admin.timeout).result()
    except KafkaException as exc:
        raise KafkaAdminError(f"list groups on {admin.label}: {exc.args[0]}") from exc
    return sorted(g.group_id for g in listing.valid)


def delete_groups(admin: KafkaAdmin, groups: list[str]) -> None:
    """Delete consumer groups (with their committed offsets); one the cluster does not know is fine."""
    if not groups:
        return
    for group, future in admin.admin.delete_consumer_groups(groups, request_timeout=admin.timeout).items():
        try:
            future.result()
        except KafkaException as exc:
            if _error_name(exc) != "GROUP_ID_NOT_FOUND":
                raise KafkaAdminError(f"delete group {group} on {admin.label}: {exc.args[0]}") from exc


def _list_offsets(admin: KafkaAdmin, spec: OffsetSpec, partitions: Mapping[str, int]) -> dict[Key, int]:
    request = {TopicPartition(t, p): spec for t, count in partitions.items() for p in range(count)}
    if not request:
        return {}
    out = {}
    for tp, future in admin.admin.list_offsets(request, request_timeout=admin.timeout).items():
        try:
            out[(tp.topic, tp.partition)] = future.result().offset
        except KafkaException as exc:
            raise KafkaAdminError(f"list offsets of {tp.topic}[{tp.partition}] on {admin.label}: "
                                  f"{exc.args[0]}") from exc
    return out


def end_offsets(admin: KafkaAdmin, partitions: Mapping[str, int]) -> dict[Key, int]:
    """The end (next) offset of every partition of these topics ({topic: partition count}), one request."""
    return _list_offsets(admin, OffsetSpec.latest(), partitions)  # type: ignore[no-untyped-call]


def offsets_for_time(admin: KafkaAdmin, partitions: Mapping[str, int], timestamp_ms: int) -> dict[Key, int]:
    """Per partition, the first offset whose record timestamp is >= `timestamp_ms` (the end when none is)."""
    at = _list_offsets(admin, OffsetSpec.for_timestamp(timestamp_ms), partitions)
    missing = {k for k, v in at.items() if v < 0}
    if missing:
        ends = end_offsets(admin, {t: partitions[t] for t, _ in missing})
        at.update({k: ends[k] for k in missing})
    return at


def reachable(settings: Mapping[str, str], label: str, timeout: float) -> str | None:
    """None when the cluster answers a metadata request within `timeout` seconds, else why not."""
    try:
        KafkaAdmin({**settings, "log_level": "0"}, label, timeout).topics()
    except UnreachableError as exc:
        return str(exc)
    return None


def _consumer(settings: Mapping[str, str]) -> Consumer:
    return Consumer({**settings, "group.id": "kaa-failover-reader", "enable.auto.commit": False,
                     "enable.partition.eof": True, "log_level": "0"})


def _read(settings: Mapping[str, str], starts: Mapping[Key, int], ends: Mapping[Key, int],
          timeout: float, what: str) -> list[RawRecord]:
    """Records of each partition from `starts` up to (not including) `ends`."""
    todo = {k: e for k, e in ends.items() if e > starts.get(k, 0)}
    if not todo:
        return []
    consumer = _consumer(settings)
    out: list[RawRecord] = []
    try:
        consumer.assign([TopicPartition(t, p, starts.get((t, p), 0)) for (t, p) in todo])
        deadline = time.monotonic() + timeout
        while todo and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            error = msg.error()
            topic, partition, offset = str(msg.topic()), int(msg.partition() or 0), int(msg.offset() or 0)
            if error is not None:
                if error.code() != KafkaError._PARTITION_EOF:
                    raise KafkaAdminError(f"read {what}: {error}")
                todo.pop((topic, partition), None)  # at the end (a compacted or transactional log may skip offsets)
                continue
            out.append(RawRecord(topic, partition, offset, msg.timestamp()[1], msg.key(), msg.value()))
            if (topic, partition) in todo and offset + 1 >= todo[(topic, partition)]:
                del todo[(topic, partition)]
        if todo:
            raise UnreachableError(f"read {what}: not at the end after {timeout:.0f} s "
                                   f"({', '.join(f'{t}[{p}]' for t, p in sorted(todo))})")
    finally:
        consumer.close()
    return out


def read_topic(admin: KafkaAdmin, settings: Mapping[str, str], topic: str, partitions: int,
               timeout: float) -> list[RawRecord]:
    """Every record of `topic` up to its end offsets when called (a compacted topic: its latest per key)."""
    ends = end_offsets(admin, {topic: partitions})
    starts = _list_offsets(admin, OffsetSpec.earliest(), {topic: partitions})  # type: ignore[no-untyped-call]
    return _read(settings, starts, ends, timeout, f"{topic} on {admin.label}")


def read_newest(admin: KafkaAdmin, settings: Mapping[str, str], topic: str, partitions: int,
                timeout: float) -> list[RawRecord]:
    """The newest record of each partition of `topic` (none for an empty partition)."""
    ends = end_offsets(admin, {topic: partitions})
    starts = _list_offsets(admin, OffsetSpec.earliest(), {topic: partitions})  # type: ignore[no-untyped-call]
    begin = {k: max(starts.get(k, 0), end - 1) for k, end in ends.items()}
    return _read(settings, begin, ends, timeout, f"{topic} on {admin.label}")
