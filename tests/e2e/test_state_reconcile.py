"""`make up` after a wipe, through the real engine: the quickstart's state check sees that the stack's
resources are gone from the pair, refreshes, and the next `pulumi up` recreates them.

The shared pair is never wiped: this stack's own topics, subjects and connectors are deleted out of band, which
is what a wipe does to them (ACLs and the SCRAM credential stay, as the check does not look at them).
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaa.cli.cmd_quickstart import pair_lister, reconcile_state
from kaa.clients.connect_client import ConnectClient
from kaa.clients.kafka_admin import KafkaAdmin
from kaa.clients.registry_client import RegistryClient
from kaa.local import LocalPair
from kaa.topology.derive import derive
from kaa.topology.spec import load_topology
from kaa.up_summary import outputs_summary, update_counts
from tests.e2e.pulumi_stack import PulumiStack, remove_remote_twins
from tests.integration.kafka_helpers import eventually

PREFIX = "e2e-wipe-"


def _own_names(doc: dict[str, Any]) -> None:
    doc["topics"] = {PREFIX + name: topic for name, topic in doc["topics"].items()}
    doc["mirror"] = {**doc["mirror"], "name_prefix": "e2e-wipe-mm2", "principal": "User:e2e-wipe-mm2"}


@pytest.fixture(scope="module")
def stack(engine: dict[str, str], local_pair: LocalPair) -> Iterator[PulumiStack]:
    with tempfile.TemporaryDirectory(prefix="kaa-e2e-wipe-") as tmp:
        s = PulumiStack(Path(tmp), engine, name="wipe")
        s.edit_spec(_own_names)
        s.init()
        try:
            yield s
        finally:
            s.run("destroy", "--yes", "--skip-preview", check=False)
            remove_remote_twins(local_pair, s)


def _live(pair: LocalPair, stack: PulumiStack) -> dict[str, set[str]]:
    """What of this stack exists on the pair: topics, subjects and connectors, tagged by cluster."""
    state = derive(load_topology(stack.spec_file, name="wipe"))
    out: dict[str, set[str]] = {"topic": set(), "subject": set(), "connector": set()}
    for alias, cluster in state.items():
        settings = pair.client_settings(alias)
        topics = KafkaAdmin(settings["kafka"], alias).topics()
        out["topic"] |= {f"{alias}:{t.name}" for t in cluster.topics if t.name in topics}
        subjects = set(RegistryClient(settings["schema_registry"]).subjects())
        out["subject"] |= {f"{alias}:{s.subject}" for s in cluster.subjects if s.subject in subjects}
        connectors = set(ConnectClient(settings["connect"]).connectors())
        out["connector"] |= {f"{alias}:{c.name}" for c in cluster.connectors if c.name in connectors}
    return out


def _wipe_own(pair: LocalPair, stack: PulumiStack) -> None:
    state = derive(load_topology(stack.spec_file, name="wipe"))
    for alias, cluster in state.items():
        settings = pair.client_settings(alias)
        connect = ConnectClient(settings["connect"])
        for connector in cluster.connectors:
            connect.delete(connector.name)
        registry = RegistryClient(settings["schema_registry"])
        for subject in cluster.subjects:
            registry.delete_subject(subject.subject, permanent=True)
        KafkaAdmin(settings["kafka"], alias).delete_topics([t.name for t in cluster.topics])


def test_a_wiped_stack_is_named_refreshed_and_recreated(stack: PulumiStack, local_pair: LocalPair,
                                                        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = stack.up()
    created = _live(local_pair, stack)
    assert all(created.values()), f"pulumi up did not create everything: {created}"
    # What `make up` prints of a real update and of the real stack outputs.
    counts = update_counts(first.stdout)
    assert counts and any(line.endswith(" created") for line in counts), first.stdout[-2000:]
    summary = outputs_summary(stack.outputs())
    assert summary[0].startswith("K1: 2 topics (e2e-wipe-e2e-customers, e2e-wipe-e2e-orders)"), summary
    assert "K1 registry: 2 subjects, schema IDs e2e-wipe-e2e-customers-value [" in summary[2], summary
    assert summary[4].startswith("K1 Connect: 3 MM2 connectors, 3 RUNNING"), summary
    log = tmp_path / "up.log"
    lister = pair_lister(local_pair)
    assert reconcile_state("wipe", stack.env, lister, log, False, cwd=stack.project_dir) is None
    assert not log.exists() or "refresh" not in log.read_text()

    _wipe_own(local_pair, stack)
    eventually(lambda: not any(_live(local_pair, stack).values()), timeout=60, what="the stack's parts gone")
    divergence = reconcile_state("wipe", stack.env, lister, log, False, cwd=stack.project_dir)
    total = sum(len(v) for v in created.values())
    assert divergence is not None and f"but {total} of them are gone from the pair" in divergence
    assert "running `pulumi refresh` first" in capsys.readouterr().out
    assert "$ pulumi refresh --stack wipe" in log.read_text()
    # After the refresh the state agrees with the (empty) pair, and an update recreates everything.
    assert reconcile_state("wipe", stack.env, lister, log, False, cwd=stack.project_dir) is None
    stack.up()
    assert _live(local_pair, stack) == created


def test_the_stack_leaves_nothing_behind(stack: PulumiStack, local_pair: LocalPair) -> None:
    """Runs last in this module: after destroy and the twins' removal, none of the stack's names remain."""
    stack.run("destroy", "--yes", "--skip-preview")
    remove_remote_twins(local_pair, stack)
    state = derive(load_topology(stack.spec_file, name="wipe"))
    for alias, cluster in state.items():
        names = {t.name for t in cluster.topics} | {r.name for r in cluster.remote_topics}
        admin = KafkaAdmin(local_pair.client_settings(alias)["kafka"], alias)

        def gone(admin: KafkaAdmin = admin, names: set[str] = names) -> bool:
            return names.isdisjoint(admin.topics())

        eventually(gone, timeout=60, what=f"the stack's topics and remote twins gone from {alias}")
