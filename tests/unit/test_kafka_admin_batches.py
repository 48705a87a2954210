"""KafkaAdmin's ACL writes (kaa/clients/kafka_admin.py) name each binding once per request, in batches of BATCH:
confluent_kafka's AdminClient refuses a CreateAcls or DeleteAcls request that names a binding twice
(`ValueError: duplicate ACL binding filters not allowed`), and callers pass overlapping sets, e.g. a set's old and
new bindings together. The fake client below runs the real client's duplicate check on each request."""
from __future__ import annotations

from typing import Any

from confluent_kafka.admin import AdminClient

from kaa.clients.kafka_admin import BATCH, KafkaAdmin
from kaa.topology.acls import Acl


class CheckingClient:
    """Records each ACL request; refuses one naming a binding twice, as AdminClient does before sending."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, list[Any]]] = []

    def _request(self, kind: str, items: list[Any]) -> dict[Any, Any]:
        if AdminClient._has_duplicates(items):
            raise ValueError(f"duplicate ACL {kind} not allowed")
        self.requests.append((kind, items))
        return {}

    def create_acls(self, bindings: list[Any], request_timeout: float) -> dict[Any, Any]:
        return self._request("bindings", bindings)

    def delete_acls(self, filters: list[Any], request_timeout: float) -> dict[Any, Any]:
        return self._request("binding filters", filters)


def admin_with(client: CheckingClient) -> KafkaAdmin:
    admin = KafkaAdmin({"bootstrap.servers": "127.0.0.1:1"}, "K1")
    admin.admin = client  # type: ignore[assignment]
    return admin


def acls(names: range, operation: str = "READ") -> list[Acl]:
    return [Acl("User:app", "TOPIC", "LITERAL", f"t-{i:04d}", operation) for i in names]


def test_overlapping_bindings_are_deleted_once_each_in_batches() -> None:
    old, new = acls(range(BATCH + 20)), acls(range(10, BATCH + 30))  # overlap in one request if sent as given
    client = CheckingClient()
    admin_with(client).delete_acls([*old, *new])
    sent = [f for kind, batch in client.requests for f in batch]
    assert len(sent) == BATCH + 30 and len(set(sent)) == BATCH + 30
    assert [len(batch) for _, batch in client.requests] == [BATCH, 30]


def test_overlapping_bindings_are_created_once_each() -> None:
    client = CheckingClient()
    admin_with(client).create_acls([*acls(range(5)), *acls(range(3, 8)), *acls(range(2), "WRITE")])
    assert [len(batch) for _, batch in client.requests] == [10]
