"""Fixtures of the integration tests: the real local pair (Kafka, Connect, registry per cluster).

The session starts the pair through `LocalPair` when it is not running and reuses it when it is; it leaves the
pair running afterwards (`kaa local down` stops it). A part that cannot start fails the run with the reason and
the tail of its log: these tests are never skipped.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kaa.clients.registry_client import RegistryClient  # noqa: E402
from kaa.errors import LocalPairError  # noqa: E402
from kaa.local import LocalPair  # noqa: E402
from kaa.schemas.schema_sync import align_id_counters  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/integration needs the real pair."""
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def local_pair() -> Iterator[LocalPair]:
    pair = LocalPair(progress=sys.stderr)
    try:
        pair.up()
    except LocalPairError as exc:
        pytest.fail(f"the local pair could not start: {exc}", pytrace=False)
    # A reused pair may carry an earlier session's one-sided registrations: start from registries in step.
    registries = [RegistryClient(pair.client_settings(a)["schema_registry"]) for a in pair.aliases]
    align_id_counters(*registries)
    yield pair


@pytest.fixture(scope="session")
def kafka_settings(local_pair: LocalPair) -> dict[str, dict[str, str]]:
    """confluent-kafka settings per alias, as the admin user (a local default, not a secret)."""
    return {alias: dict(local_pair.client_settings(alias)["kafka"]) for alias in local_pair.aliases}


@pytest.fixture(scope="session")
def registry_urls(local_pair: LocalPair) -> dict[str, str]:
    return {alias: str(local_pair.client_settings(alias)["schema_registry"]) for alias in local_pair.aliases}


@pytest.fixture(scope="session")
def connect_urls(local_pair: LocalPair) -> dict[str, str]:
    return {alias: str(local_pair.client_settings(alias)["connect"]) for alias in local_pair.aliases}
