"""Creations and deletions larger than one request: KafkaAdmin splits them (KRaft refuses one request that makes
more than 10000 metadata records), and every item reaches the real cluster."""
from __future__ import annotations

from kaa.clients.kafka_admin import BATCH, KafkaAdmin
from kaa.topology.acls import Acl
from kaa.topology.model import Topic
from tests.integration.kafka_helpers import eventually

PRINCIPAL = "User:it-batch"


def test_more_acls_and_topics_than_one_request_are_created_and_deleted(
        kafka_settings: dict[str, dict[str, str]]) -> None:
    admin = KafkaAdmin(kafka_settings["K1"], "K1", timeout=60)
    acls = {Acl(PRINCIPAL, "TOPIC", "LITERAL", f"it-batch-{i:04d}", "READ", "*", "ALLOW")
            for i in range(2 * BATCH + 7)}
    topics = [Topic(f"it-batch-{i:04d}", 1, 1, {"retention.ms": "3600000"}) for i in range(BATCH + 3)]
    try:
        admin.create_acls(sorted(acls))
        admin.create_topics(topics)
        assert {a for a in admin.acls() if a.principal == PRINCIPAL} == acls
        eventually(lambda: {t.name for t in topics} <= set(admin.topics()), 30, f"{len(topics)} topics listed")
    finally:
        admin.delete_acls(sorted(acls))
        admin.delete_topics([t.name for t in topics])
    assert not {a for a in admin.acls() if a.principal == PRINCIPAL}
