"""The Pulumi components under Pulumi's mocks: what they declare, per cluster, and how it is wired.

The real engine runs the same components in tests/e2e; here we check the shape quickly.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.providers.acl_set import acls_of
from kaa.topology.derive import derive
from tests.component_capture import declare_pair, is_secret, registered, start, unwrap_secret

ROOT = Path(__file__).resolve().parents[2]


def _build(runtime: str = "connect"):
    from kaa.topology.spec import load_topology

    topology = load_topology(ROOT / "stacks" / "local.yaml")
    topology = replace(topology, mirror=replace(topology.mirror, runtime=runtime))
    mocks, _ = start("local", topology.aliases)
    return mocks, declare_pair(topology), topology


@pytest.fixture()
def pair():
    return _build()


@pytest.fixture()
def dedicated_pair():
    return _build("dedicated")


@pulumi.runtime.test
def test_each_cluster_gets_its_topics_acls_and_provider(pair):
    mocks, component, topology = pair

    def check(_: Any) -> None:
        providers = mocks.of_type("providers:kafka")
        assert sorted(p.name for p in providers) == ["pair-K1-provider", "pair-K2-provider"]
        servers = {p.name: json.loads(p.inputs["bootstrapServers"]) for p in providers}
        assert servers == {"pair-K1-provider": ["127.0.0.1:19092"], "pair-K2-provider": ["127.0.0.1:29092"]}
        topics = mocks.of_type("kafka:index/topic:Topic")
        assert len(topics) == 2 * len(topology.topics)
        for topic in topics:
            alias = topic.name.split("-")[1]
            assert f"pulumi:providers:kafka::pair-{alias}-provider::" in topic.provider
        by_cluster = {
            a: sorted(t.inputs["name"] for t in topics if t.name.startswith(f"pair-{a}-")) for a in ("K1", "K2")
        }
        assert by_cluster["K1"] == by_cluster["K2"] == sorted(t.name for t in topology.topics)
        orders = {t.name: t.inputs for t in topics if t.inputs["name"] == "orders"}
        assert orders["pair-K1-topic-orders"] == orders["pair-K2-topic-orders"]
        assert orders["pair-K1-topic-orders"]["partitions"] == 6
        assert orders["pair-K1-topic-orders"]["config"]["retention.ms"] == "604800000"
        assert mocks.of_type("kafka:index/acl:Acl") == [], "ACLs come in one set per principal, not one per binding"
        sets = mocks.of_type("AclSet")
        for alias, state in derive(topology).items():
            mine = [s for s in sets if s.inputs["label"] == alias]
            assert all(s.name.startswith(f"pair-{alias}-acls-") for s in mine)
            principals = [s.inputs["principal"] for s in mine]
            assert sorted(principals) == sorted({a.principal for a in state.acls}), "one set per principal"
            declared = sorted(a for s in mine for a in acls_of(s.inputs))
            assert declared == sorted(state.acls), alias
            assert any(a.pattern_type == "PREFIXED" for a in declared), "MM2's remote-topic grant is PREFIXED"
            assert all(len(s.inputs["bindings"]) == len(acls_of(s.inputs)) for s in mine), "readable keys collide"
        scram = mocks.of_type("UserScramCredential")
        assert sorted(s.inputs["username"] for s in scram) == ["mm2", "mm2"]

    everything = [r.id for c in component.clusters.values()
                  for r in [*c.topics.values(), *c.acl_sets.values(), c.mm2_credential]]
    return pulumi.Output.all(*everything).apply(check)


@pulumi.runtime.test
def test_no_remote_topic_is_managed_and_producers_never_write_remote_topics(pair):
    mocks, component, _ = pair

    def check(_: Any) -> None:
        for topic in mocks.of_type("kafka:index/topic:Topic"):
            assert not topic.inputs["name"].startswith(("K1.", "K2.")), topic.inputs["name"]
        writes = [a for s in mocks.of_type("AclSet") for a in acls_of(s.inputs)
                  if a.operation == "WRITE" and a.principal != "User:mm2"]
        assert writes, "the producers' WRITE grants are declared"
        for acl in writes:
            assert not acl.resource_name.startswith(("K1.", "K2."))

    return pulumi.Output.all(*[a.id for c in component.clusters.values() for a in c.acl_sets.values()]).apply(check)


@pulumi.runtime.test
def test_connectors_run_on_the_connect_of_their_target(pair):
    mocks, component, _ = pair

    def check(_: Any) -> None:
        connectors = mocks.of_type("MirrorConnector")
        assert len(connectors) == 6
        for c in connectors:
            source, target = c.inputs["flow"].split("->")
            expected_url = {"K1": "http://127.0.0.1:18083", "K2": "http://127.0.0.1:28083"}[target]
            assert c.inputs["url"] == expected_url
            config = unwrap_secret(c.inputs["config"])
            assert config["target.cluster.alias"] == target
            assert config["source.cluster.alias"] == source

    return pulumi.Output.all(*[c.id for c in component.mirror.connectors.values()]).apply(check)


@pulumi.runtime.test
def test_dedicated_mm2_gets_its_worker_acls_and_no_connector(dedicated_pair):
    mocks, component, _ = dedicated_pair

    def check(_: Any) -> None:
        assert mocks.of_type("MirrorConnector") == []
        granted = {(s.inputs["label"], a.resource_type, a.resource_name, a.operation)
                   for s in mocks.of_type("AclSet") for a in acls_of(s.inputs) if a.principal == "User:mm2"}
        for alias, other in (("K1", "K2"), ("K2", "K1")):
            assert (alias, "GROUP", f"{other}-mm2", "READ") in granted
            for kind in ("configs", "offsets", "status"):
                for op in ("READ", "WRITE", "CREATE", "DESCRIBE", "DESCRIBE_CONFIGS"):
                    assert (alias, "TOPIC", f"mm2-{kind}.{other}.internal", op) in granted
            assert (alias, "GROUP", f"{alias}-mm2", "READ") not in granted  # each worker runs on its target

    return pulumi.Output.all(*[a.id for c in component.clusters.values() for a in c.acl_sets.values()]).apply(check)


@pulumi.runtime.test
def test_passwords_reach_connectors_and_providers_only_as_secrets(pair):
    _, component, topology = pair
    connector = component.mirror.connectors["mm2-k1-k2-source"]
    from components.pulumi_credentials import from_config

    creds = from_config(pulumi.Config(), topology.aliases)["K1"]

    async def check() -> None:
        assert await connector.config.is_secret()
        assert await creds.admin_password.is_secret()
        assert await creds.mm2_password.is_secret()
        config = await connector.config.future()
        assert 'password="K1-mm2-pw"' in config["source.cluster.sasl.jaas.config"]
        assert 'password="K2-mm2-pw"' in config["target.cluster.sasl.jaas.config"]
        assert 'password="K2-mm2-pw"' in config["producer.override.sasl.jaas.config"]

    return pulumi.Output.from_input(check())


@pulumi.runtime.test
def test_second_registry_expects_the_first_registrys_ids(pair):
    mocks, component, topology = pair
    subjects = [s.subject for t in topology.topics for s in t.subjects]

    def check(_: Any) -> None:
        assert not mocks.of_type("SchemaSubject")  # one resource per registry owns its subjects
        (k1,) = [r for r in mocks.of_type("SchemaRegistrationPass") if r.inputs["label"] == "K1"]
        (k2,) = [r for r in mocks.of_type("SchemaRegistrationPass") if r.inputs["label"] == "K2"]
        for r in (k1, k2):
            assert [s["subject"] for s in r.inputs["subjects"]] == subjects and r.inputs["owns_subjects"] is True
        assert k1.inputs.get("expected_ids") is None
        assert k2.inputs["expected_ids"] == mocks.outputs[k1.name]["ids"]

    outs = [ids for reg in component.registries.values() for ids in reg.ids.values()]
    return pulumi.Output.all(*outs).apply(check)


def test_the_mirror_waits_for_every_topic_acl_and_credential_of_both_clusters():
    """MM2 connectors start only once both clusters hold their topics, ACLs and the MM2 credential (else the
    first records meet missing grants)."""
    from kaa.topology.spec import load_topology

    registrations = registered(load_topology(ROOT / "stacks" / "local.yaml"))
    (flows,) = [r for r in registrations if r.typ == "kafka-aa:index:MirrorFlows"]
    needed = {r.urn for r in registrations
              if r.typ in ("kafka:index/topic:Topic", "pulumi-python:dynamic/kafka-aa:AclSet",
                           "kafka:index/userScramCredential:UserScramCredential")}
    assert len(needed) > 2 * 4 and needed <= set(flows.dependencies)
    connectors = [r for r in registrations if r.typ.endswith(":MirrorConnector")]
    assert len(connectors) == 6 and all(r.parent == flows.urn for r in connectors)


def test_each_registry_registers_in_one_ordered_pass_and_the_second_after_the_first():
    """One registration pass per registry holds every subject in the topology's order (ID parity needs the same
    order on both sides); the second registry's pass waits for the first's and expects its IDs. No subject is a
    resource of its own any more; the registry component's per-subject IDs come from its pass."""
    from kaa.topology.spec import load_topology

    topology = load_topology(ROOT / "stacks" / "local.yaml")
    registrations = registered(topology)
    assert not [r for r in registrations if r.typ.endswith(":SchemaSubject")]
    passes = {r.name: r for r in registrations if r.typ.endswith(":SchemaRegistrationPass")}
    order = [s.subject for t in topology.topics for s in t.subjects]
    assert sorted(passes) == ["pair-K1-schemas-pass", "pair-K2-schemas-pass"]
    for alias in ("K1", "K2"):
        assert [s["subject"] for s in passes[f"pair-{alias}-schemas-pass"].inputs["subjects"]] == order
    assert passes["pair-K1-schemas-pass"].urn in passes["pair-K2-schemas-pass"].dependencies
    assert passes["pair-K1-schemas-pass"].inputs.get("expected_ids") is None
    assert passes["pair-K2-schemas-pass"].inputs["expected_ids"] == {
        s: [900 + i for i in range(len(spec["schemas"]))]
        for spec in passes["pair-K1-schemas-pass"].inputs["subjects"] for s in [spec["subject"]]}
    assert not any("pair-K2-" in d for d in passes["pair-K1-schemas-pass"].dependencies)


def test_the_topics_mm2_makes_are_two_resources_per_cluster_around_the_connectors():
    """Per cluster a guard and a reaper hold the twins of the flow into it and MM2's own topics there, whatever the
    number of topics. Every connector depends on both guards (created before it, deleted after it on destroy) and
    each reaper on every connector (updated after them, so a dropped twin goes once MM2 stopped copying it); no
    guard depends on a connector, no connector on a reaper. Their admin settings reach them only as a secret."""
    from kaa.mirror.mm2_leftovers import Leftover, mm2_topics, twins
    from kaa.topology.spec import load_topology

    topology = load_topology(ROOT / "stacks" / "local.yaml")
    registrations = registered(topology)
    assert not [r for r in registrations if r.typ.endswith(":MirrorLeftovers")]
    guards = {r.name: r for r in registrations if r.typ.endswith(":MirrorTwinGuard")}
    reapers = {r.name: r for r in registrations if r.typ.endswith(":MirrorTwinReaper")}
    assert sorted(guards) == ["pair-mirror-twins-guard-K1", "pair-mirror-twins-guard-K2"]
    assert sorted(reapers) == ["pair-mirror-twins-reaper-K1", "pair-mirror-twins-reaper-K2"]
    mirrored = [t.name for t in topology.mirrored_topics]
    assert mirrored
    for alias, other in (("K1", "K2"), ("K2", "K1")):
        for r in (guards[f"pair-mirror-twins-guard-{alias}"], reapers[f"pair-mirror-twins-reaper-{alias}"]):
            assert r.inputs["label"] == alias and r.inputs["stack"] == topology.name
            names = [t["name"] for t in r.inputs["topics"]]
            assert names[:len(mirrored)] == [f"{other}.{t}" for t in mirrored]
            held = [Leftover.from_props(t) for t in r.inputs["topics"]]  # (the mocks drop the None values)
            assert held == [*twins(topology, other, alias), *mm2_topics(topology, alias)]
            kafka = r.inputs["kafka"]
            assert is_secret(kafka) and unwrap_secret(kafka)["sasl.password"] == f"{alias}-admin-pw"
            servers = {"K1": "127.0.0.1:19092", "K2": "127.0.0.1:29092"}
            assert unwrap_secret(kafka)["bootstrap.servers"] == servers[alias]
            assert [c["url"] for c in unwrap_secret(r.inputs["connects"])] == [
                topology.cluster(a).connect for a in topology.aliases]
    assert [t["name"] for t in guards["pair-mirror-twins-guard-K2"].inputs["topics"]][len(mirrored):] == [
        "heartbeats", "K1.heartbeats", "K1.checkpoints.internal", "mm2-offset-syncs.K1.internal"]
    connectors = [r for r in registrations if r.typ.endswith(":MirrorConnector")]
    assert len(connectors) == 6
    guard_urns = {g.urn for g in guards.values()}
    reaper_urns = {r.urn for r in reapers.values()}
    for c in connectors:
        assert guard_urns <= set(c.dependencies), c.name
        assert not reaper_urns & set(c.dependencies), c.name
    for r in reapers.values():
        assert {c.urn for c in connectors} <= set(r.dependencies), r.name
    for g in guards.values():
        assert not {c.urn for c in connectors} & set(g.dependencies), g.name


def test_mm2_outside_connect_gets_no_leftover_resources(dedicated_pair):
    mocks, component, _ = dedicated_pair
    assert component.mirror.guards == {} and component.mirror.reapers == {}
