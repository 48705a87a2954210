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


def _pair_snapshot(pair: LocalPair) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    from kaa.clients.connect_client import ConnectClient
    from kaa.clients.kafka_admin import KafkaAdmin

    settings = {a: pair.client_settings(a) for a in pair.aliases}
    return ({a: set(KafkaAdmin(s["kafka"], a).topics()) for a, s in settings.items()},
            {a: set(ConnectClient(s["connect"]).connectors()) for a, s in settings.items()})


@pytest.fixture(scope="session", autouse=True)
def pair_left_as_found(local_pair: LocalPair) -> Iterator[None]:
    """The tier leaves the shared pair as it found it, whether its tests pass or fail: after the session, any
    connector or topic that appeared and is still there (a twin, MM2's own topics no connector uses any more) is
    removed, and the session fails naming it, so a test that leaks is caught. What the `local` Pulumi stack may
    create meanwhile (the lead's pair) is not counted; neither is a MM2 topic a live connector still uses."""
    from kaa.clients.connect_client import ConnectClient
    from kaa.clients.kafka_admin import KafkaAdmin
    from kaa.leftover_removal import live_connectors, stop_connectors
    from kaa.local.endpoints import LOCAL_STACK
    from kaa.mirror.mm2_leftovers import kept_by, mm2_topics
    from kaa.topology.derive import derive
    from kaa.topology.spec import load_topology

    topics_before, connectors_before = _pair_snapshot(local_pair)
    yield
    local = load_topology(LOCAL_STACK)
    state = derive(local)
    topics_after, connectors_after = _pair_snapshot(local_pair)
    leaks: list[str] = []
    for alias in local_pair.aliases:
        client = ConnectClient(local_pair.client_settings(alias)["connect"])
        spare = {c.name for c in state[alias].connectors}
        new = sorted(connectors_after[alias] - connectors_before[alias] - spare)
        stop_connectors(client, new)
        leaks += [f"connector {n} on {alias}'s Connect" for n in new]
    connectors = live_connectors(ConnectClient(local_pair.client_settings(a)["connect"]) for a in local_pair.aliases)
    for alias in local_pair.aliases:
        own = {t.name for t in state[alias].topics} | {r.name for r in state[alias].remote_topics}
        mm2 = {m.name: m for m in mm2_topics(local, alias)}
        new = topics_after[alias] - topics_before[alias] - own
        new = {t for t in new if not t.startswith("_")}
        new = {t for t in new if t not in mm2 or kept_by(mm2[t], connectors) is None}
        if new:
            KafkaAdmin(local_pair.client_settings(alias)["kafka"], alias).delete_topics(sorted(new))
            leaks += [f"topic {t} on {alias}" for t in sorted(new)]
    if leaks:
        pytest.fail("the integration tier left these on the shared pair (now removed): " + ", ".join(leaks),
                    pytrace=False)
