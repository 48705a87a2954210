"""MirrorMaker 2's own record formats, decoded without a JVM: checkpoints and heartbeats.

Both are written with Kafka's protocol types (`org.apache.kafka.common.protocol.types`), big-endian, no
framing beyond what each field carries: INT16/INT32/INT64 are two's-complement integers of 2/4/8 bytes, and
STRING is an INT16 length followed by that many UTF-8 bytes. Every value starts with a header struct holding
an INT16 `version`; MM2 (up to Kafka 4.1) only writes version 0.

Checkpoint (`org.apache.kafka.connect.mirror.Checkpoint`), topic `<source>.checkpoints.internal` on the target,
one record per (group, remote topic, partition) each time the translation moves:
    key    group: STRING, topic: STRING, partition: INT32
           `topic` is already the target's name (`K1.orders`), the partition the same number as upstream.
    value  version: INT16 (=0), upstreamOffset: INT64, offset: INT64, metadata: STRING
           `upstreamOffset` is the group's committed offset on the source, `offset` its translation on the
           target: the nearest earlier offset sync + 1 (exact when the group sits on a sync), never ahead.

Heartbeat (`org.apache.kafka.connect.mirror.Heartbeat`), topic `heartbeats` on a flow's target, replicated
like any topic, so `<source>.heartbeats` on the target proves records travel source -> target:
    key    sourceClusterAlias: STRING, targetClusterAlias: STRING
    value  version: INT16 (=0), timestamp: INT64 (ms since the epoch, when the heartbeat was emitted)

Pure functions only (no client): the callers read the bytes.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

SUPPORTED_VERSION = 0


class RecordFormatError(ValueError):
    """Bytes that are not a version-0 MM2 checkpoint or heartbeat."""


@dataclass(frozen=True)
class Checkpoint:
    group: str
    topic: str  # the remote topic on the target, e.g. K1.orders
    partition: int
    upstream_offset: int
    downstream_offset: int
    metadata: str = ""


@dataclass(frozen=True)
class Heartbeat:
    source: str
    target: str
    timestamp_ms: int


class _Reader:
    def __init__(self, data: bytes, what: str):
        self.data, self.pos, self.what = data, 0, what

    def _take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise RecordFormatError(f"{self.what}: truncated at byte {self.pos} (needs {size} more)")
        chunk = self.data[self.pos:self.pos + size]
        self.pos += size
        return chunk

    def int16(self) -> int:
        return int(struct.unpack(">h", self._take(2))[0])

    def int32(self) -> int:
        return int(struct.unpack(">i", self._take(4))[0])

    def int64(self) -> int:
        return int(struct.unpack(">q", self._take(8))[0])

    def string(self) -> str:
        size = self.int16()
        if size < 0:
            raise RecordFormatError(f"{self.what}: negative string length {size}")
        try:
            return self._take(size).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RecordFormatError(f"{self.what}: string is not UTF-8 ({exc})") from None

    def version(self) -> None:
        version = self.int16()
        if version != SUPPORTED_VERSION:
            raise RecordFormatError(f"{self.what}: unknown version {version} (this decoder reads version 0)")


def decode_checkpoint(key: bytes, value: bytes) -> Checkpoint:
    k = _Reader(key, "checkpoint key")
    group, topic, partition = k.string(), k.string(), k.int32()
    v = _Reader(value, "checkpoint value")
    v.version()
    return Checkpoint(group, topic, partition, v.int64(), v.int64(), v.string())


def decode_heartbeat(key: bytes, value: bytes) -> Heartbeat:
    k = _Reader(key, "heartbeat key")
    source, target = k.string(), k.string()
    v = _Reader(value, "heartbeat value")
    v.version()
    return Heartbeat(source, target, v.int64())


def _string(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack(">h", len(raw)) + raw


def encode_checkpoint(checkpoint: Checkpoint) -> tuple[bytes, bytes]:
    """(key, value) as MM2 writes them; for tests and fixtures."""
    key = _string(checkpoint.group) + _string(checkpoint.topic) + struct.pack(">i", checkpoint.partition)
    value = (struct.pack(">hqq", SUPPORTED_VERSION, checkpoint.upstream_offset, checkpoint.downstream_offset)
             + _string(checkpoint.metadata))
    return key, value


def encode_heartbeat(heartbeat: Heartbeat) -> tuple[bytes, bytes]:
    return _string(heartbeat.source) + _string(heartbeat.target), struct.pack(">hq", SUPPORTED_VERSION,
                                                                             heartbeat.timestamp_ms)
