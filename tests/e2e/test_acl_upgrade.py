"""A stack deployed with one `kafka:index/acl:Acl` per binding (the layout before ACL sets) upgrades to ACL sets
with `kaa migrate` + `pulumi up` and loses nothing: while the update runs, a watcher asks both clusters again and
again whether every derived binding and topic is there; the update's steps create the sets and delete or replace
nothing; afterwards the live ACLs, topics, schema IDs and connectors are what they were, and a preview is clean.
Without the migration the update would delete every old binding after the sets adopt them, so a plain `pulumi
preview` or `pulumi up` stops first, naming `kaa migrate`, with nothing changed (checked too)."""
from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from kaa.acl_layout import OLD_ACL_TYPE, migrate_acl_layout
from kaa.clients.connect_client import ConnectClient
from kaa.clients.kafka_admin import KafkaAdmin
from kaa.clients.registry_client import RegistryClient
from kaa.local import LocalPair
from kaa.pulumi_engine import ROOT
from kaa.topology.acls import Acl
from kaa.topology.derive import derive
from kaa.topology.spec import load_topology
from tests.e2e.pulumi_stack import PulumiStack, remove_remote_twins

V1_PROGRAM = Path(__file__).parent / "acl_layout_v1" / "__main__.py"
# terraform-provider-kafka (the old layout's Acl) checks each new ACL is listed within 2 s; on a busy pair that
# check can fail although the ACL exists. Only the old layout's deployment may be rerun for it.
OLD_ACL_VISIBILITY = "was not visible in Kafka after"
ACL_SET_TYPE = "pulumi-python:dynamic/kafka-aa:AclSet"


@pytest.fixture(scope="module")
def stack(engine: dict[str, str], local_pair: LocalPair) -> Iterator[PulumiStack]:
    with tempfile.TemporaryDirectory(prefix="kaa-e2e-upgrade-") as tmp:
        s = PulumiStack(Path(tmp), engine, name="e2e-upgrade")
        s.init()
        yield s
        s.run("destroy", "--yes", "--skip-preview", check=False)
        remove_remote_twins(local_pair, s)


def use_program(stack: PulumiStack, program: Path) -> None:
    main = stack.project_dir / "__main__.py"
    main.unlink()
    main.symlink_to(program)


def resource_types(stack: PulumiStack) -> list[str]:
    exported = json.loads(stack.run("stack", "export").stdout)
    return [r["type"] for r in exported["deployment"]["resources"]]


class Watcher:
    """Asks both clusters, until stopped, whether every binding in `acls` and every topic in `topics` is live;
    keeps what it ever found missing."""

    def __init__(self, admins: dict[str, KafkaAdmin], acls: dict[str, set[Acl]], topics: dict[str, set[str]]):
        self.admins, self.acls, self.topics = admins, acls, topics
        self.missing: set[str] = set()
        self.rounds = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)

    def watch(self) -> None:
        while not self.stop.is_set():
            for alias, admin in self.admins.items():
                live_acls, live_topics = admin.acls(), set(admin.topics())
                self.missing |= {f"{alias}: {a.describe()}" for a in self.acls[alias] - live_acls}
                self.missing |= {f"{alias}: topic {t}" for t in self.topics[alias] - live_topics}
            self.rounds += 1

    def __enter__(self) -> Watcher:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)


def test_an_old_layout_stack_upgrades_to_acl_sets_without_losing_an_acl(stack: PulumiStack, local_pair: LocalPair):
    topology = load_topology(stack.spec_file, name=stack.name)
    state = derive(topology)
    admins = {a: KafkaAdmin(local_pair.client_settings(a)["kafka"], a) for a in topology.aliases}
    derived_acls = {a: set(state[a].acls) for a in topology.aliases}
    principals = {a.principal for s in state.values() for a in s.acls}

    # 1. Deploy with the previous layout: one Acl resource per binding.
    use_program(stack, V1_PROGRAM)
    first = stack.up(check=False)
    if first.returncode != 0:
        assert OLD_ACL_VISIBILITY in first.stdout + first.stderr, first.stdout[-4000:] + first.stderr[-2000:]
        stack.up()
    types = resource_types(stack)
    assert types.count(OLD_ACL_TYPE) == sum(len(s) for s in derived_acls.values()) and ACL_SET_TYPE not in types

    def ours(alias: str) -> set[Acl]:
        return {a for a in admins[alias].acls() if a.principal in principals}

    acls_before = {a: ours(a) for a in topology.aliases}
    assert all(derived_acls[a] <= acls_before[a] for a in topology.aliases)
    topics_before = {a: set(admins[a].topics()) for a in topology.aliases}
    registries = {a: RegistryClient(local_pair.client_settings(a)["schema_registry"]) for a in topology.aliases}
    ids_before = {a: {s.subject: [v.id for v in registries[a].all_versions(s.subject)] for s in state[a].subjects}
                  for a in topology.aliases}

    # 2. Today's program without the migration would delete every old binding after creating the sets: a user's
    # own `pulumi preview` and `pulumi up` stop before anything changes, naming the command that fixes it.
    use_program(stack, ROOT / "__main__.py")
    for command in (("preview",), ("up", "--yes", "--skip-preview")):
        refused = stack.run(*command, check=False)
        assert refused.returncode != 0, f"pulumi {command[0]} ran on an unmigrated state"
        said = refused.stdout + refused.stderr
        assert f"the state still holds {types.count(OLD_ACL_TYPE)} per-binding ACL resources" in said, said[-2000:]
        assert f"scripts/kaa migrate --stack {stack.name}" in said, said[-2000:]
    assert resource_types(stack) == types
    assert acls_before == {a: ours(a) for a in topology.aliases}, "the refused update touched a live ACL"

    # 3. Migrate (state only), then upgrade while a watcher checks every binding and topic stays live.
    def pulumi(args: Sequence[str]) -> str:
        return stack.run(*args).stdout

    removed = migrate_acl_layout(pulumi)
    assert len(removed) == types.count(OLD_ACL_TYPE)
    assert acls_before == {a: ours(a) for a in topology.aliases}, "the migration touched a live ACL"
    preview = stack.preview_json()
    ops = {s["urn"].split("::")[-1]: s["op"] for s in preview["steps"] if s.get("op") not in ("same", "read")}
    assert ops == {f"pair-{a}-acls-{p.split(':')[1]}": "create" for a in topology.aliases
                   for p in {acl.principal for acl in state[a].acls}}, ops
    tracked_topics = {a: {t.name for t in state[a].topics} for a in topology.aliases}
    with Watcher(admins, derived_acls, tracked_topics) as watcher:
        stack.up()
    assert watcher.rounds > 1, "the watcher did not look during the update"
    assert not watcher.missing, f"missing during the upgrade: {sorted(watcher.missing)[:10]}"
    last = json.loads(stack.run("stack", "history", "--json", "--page-size", "1").stdout)[0]
    assert (last["kind"], last["result"]) == ("update", "succeeded")
    assert last["resourceChanges"] == {"create": len(ops), "same": last["resourceChanges"].get("same")}, last

    # 4. Nothing changed on the pair; the state now holds sets only; a preview has nothing to do.
    types = resource_types(stack)
    assert OLD_ACL_TYPE not in types and types.count(ACL_SET_TYPE) == len(ops)
    assert acls_before == {a: ours(a) for a in topology.aliases}
    assert topics_before == {a: set(admins[a].topics()) for a in topology.aliases}
    assert ids_before == {a: {s.subject: [v.id for v in registries[a].all_versions(s.subject)]
                              for s in state[a].subjects} for a in topology.aliases}
    for alias in topology.aliases:
        connect = ConnectClient(local_pair.client_settings(alias)["connect"])
        for connector in state[alias].connectors:
            connect.wait_running(connector.name, timeout=60, require_tasks=connector.kind != "checkpoint")
    assert stack.run("preview", "--expect-no-changes", check=False).returncode == 0
