"""The drill's application stand-ins: a producer of numbered, keyed records and a consumer that remembers every
record it saw, each on its own thread, with bounded stops.

Every record's value is its event id (`K1-a-000042`): consumers de-duplicate and count on it, as real
consumers should on an event-id header (which the records carry too).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer

KEYS = 12  # distinct keys: records of one key keep their order within a partition


class NumberedProducer(threading.Thread):
    """Produces `<prefix>-<n>` at `rate` records/s with acks=all and idempotence until stopped."""

    def __init__(self, prefix: str, settings: Mapping[str, str], topic: str, rate: float,
                 limit: int | None = None, message_timeout_ms: int = 5000):
        super().__init__(name=f"produce-{prefix}", daemon=True)
        self.prefix, self.topic, self.rate, self.limit = prefix, topic, rate, limit
        self.producer = Producer({**settings, "acks": "all", "enable.idempotence": True, "linger.ms": 5,
                                  "message.timeout.ms": message_timeout_ms, "log_level": 0})
        self.acked: set[str] = set()
        self.failed: set[str] = set()
        self.sent = 0
        self.last_ack_at: float | None = None
        self.error: str | None = None
        self._halt = threading.Event()

    def _delivered(self, err: KafkaError | None, msg: Message) -> None:
        event = bytes(msg.value() or b"").decode()
        if err is None:
            self.acked.add(event)
            self.last_ack_at = time.monotonic()
        else:
            self.failed.add(event)

    def run(self) -> None:
        next_at = time.monotonic()
        while not self._halt.is_set() and (self.limit is None or self.sent < self.limit):
            event = f"{self.prefix}-{self.sent:06d}"
            try:
                self.producer.produce(self.topic, key=f"key-{self.sent % KEYS}".encode(), value=event.encode(),
                                      headers=[("event-id", event.encode())], on_delivery=self._delivered)
            except BufferError:
                self.producer.poll(0.1)
                continue
            except KafkaException as exc:
                self.error = str(exc.args[0])
                return
            self.sent += 1
            self.producer.poll(0)
            next_at += 1.0 / self.rate
            self._halt.wait(max(0.0, next_at - time.monotonic()))

    def halt(self) -> None:
        """Stop producing new records (the delivery of those in flight goes on)."""
        self._halt.set()
        self.join(10)

    def finish(self, timeout: float) -> int:
        """Halt and wait up to `timeout` s for outstanding deliveries; returns how many are still undecided."""
        self.halt()
        return int(self.producer.flush(timeout))


@dataclass(frozen=True)
class Seen:
    event: str
    topic: str
    partition: int
    offset: int


class RecordingConsumer(threading.Thread):
    """Consumes a subscription (a regex) as `group`, remembers every record and commits every `commit_every` s.

    `stop()` commits and leaves like a well-behaved application; `crash()` stops at once and commits nothing,
    like one that lost its cluster."""

    def __init__(self, name: str, settings: Mapping[str, str], group: str, pattern: str,
                 commit_every: float = 1.0):
        super().__init__(name=f"consume-{name}", daemon=True)
        self.pattern, self.commit_every = pattern, commit_every
        self.consumer = Consumer({**settings, "group.id": group, "auto.offset.reset": "earliest",
                                  "enable.auto.commit": False, "session.timeout.ms": 10000, "log_level": 0})
        self.seen: list[Seen] = []
        self.first_at: float | None = None
        self.commit_errors: list[str] = []
        self._halt = threading.Event()
        self._commit_on_stop = True

    def run(self) -> None:
        self.consumer.subscribe([self.pattern])
        last_commit, uncommitted = time.monotonic(), False
        try:
            while not self._halt.is_set():
                msg = self.consumer.poll(0.2)
                if msg is not None and msg.error() is None:
                    if self.first_at is None:
                        self.first_at = time.monotonic()
                    self.seen.append(Seen(bytes(msg.value() or b"").decode(), str(msg.topic()),
                                          int(msg.partition() or 0), int(msg.offset() or 0)))
                    uncommitted = True
                if uncommitted and time.monotonic() - last_commit >= self.commit_every:
                    uncommitted = not self._commit()
                    last_commit = time.monotonic()
            if self._commit_on_stop and uncommitted:
                self._commit()
        finally:
            self.consumer.close()

    def _commit(self) -> bool:
        try:
            self.consumer.commit(asynchronous=False)
            return True
        except KafkaException as exc:
            self.commit_errors.append(str(exc.args[0]))
            return False

    def stop(self, timeout: float = 15.0) -> None:
        self._halt.set()
        self.join(timeout)

    def crash(self, timeout: float = 5.0) -> None:
        self._commit_on_stop = False
        self._halt.set()
        self.join(timeout)  # closing may wait on a coordinator that is gone: never longer than `timeout`

    def events(self) -> set[str]:
        return {s.event for s in self.seen}
