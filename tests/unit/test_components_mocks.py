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

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"K1": {"adminUsername": "admin", "adminPassword": "k1-admin-pw", "mm2Password": "k1-mm2-pw"},
           "K2": {"adminUsername": "admin", "adminPassword": "k2-admin-pw", "mm2Password": "k2-mm2-pw"}}


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []
        self.outputs: dict[str, dict[str, Any]] = {}
        self.next_id = 100

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        outputs = dict(args.inputs)
        if args.typ.endswith("SchemaSubject"):
            outputs["ids"] = [self.next_id + i for i in range(len(args.inputs["schemas"]))]
            self.next_id += 10
        if args.typ.endswith("MirrorConnector"):
            outputs["state"] = "RUNNING"
        self.outputs[args.name] = outputs
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None

    def of_type(self, suffix: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [r for r in self.resources if r.typ.endswith(suffix)]


SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def unwrap_secret(value: Any) -> Any:
    """Mocks see secret inputs in their wire form {sig: SECRET_SIG, value: ...}."""
    if isinstance(value, dict) and SECRET_SIG in value.values():
        return value["value"]
    return value


def _build(runtime: str = "connect"):
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="kafka-active-active", stack="local", preview=False)
    pulumi.runtime.set_all_config(
        {"kafka-active-active:credentials": json.dumps(SECRETS)}, ["kafka-active-active:credentials"]
    )
    from components.active_pair import ActiveActivePair, ActiveActivePairArgs
    from components.pulumi_credentials import from_config
    from kaa.topology.spec import load_topology

    topology = load_topology(ROOT / "stacks" / "local.yaml")
    topology = replace(topology, mirror=replace(topology.mirror, runtime=runtime))
    component = ActiveActivePair("pair", ActiveActivePairArgs(topology, from_config(pulumi.Config(), topology.aliases)))
    return mocks, component, topology


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
        acls = mocks.of_type("kafka:index/acl:Acl")
        k1 = [a for a in acls if a.name.startswith("pair-K1-")]
        k2 = [a for a in acls if a.name.startswith("pair-K2-")]
        assert len(k1) == len(k2) == len(component.clusters["K1"].acls) > 0
        scram = mocks.of_type("UserScramCredential")
        assert sorted(s.inputs["username"] for s in scram) == ["mm2", "mm2"]

    everything = [r.id for c in component.clusters.values() for r in [*c.topics.values(), *c.acls, c.mm2_credential]]
    return pulumi.Output.all(*everything).apply(check)


@pulumi.runtime.test
def test_no_remote_topic_is_managed_and_producers_never_write_remote_topics(pair):
    mocks, component, _ = pair

    def check(_: Any) -> None:
        for topic in mocks.of_type("kafka:index/topic:Topic"):
            assert not topic.inputs["name"].startswith(("K1.", "K2.")), topic.inputs["name"]
        for acl in mocks.of_type("kafka:index/acl:Acl"):
            if acl.inputs["aclOperation"] == "Write" and acl.inputs["aclPrincipal"] != "User:mm2":
                assert not acl.inputs["aclResourceName"].startswith(("K1.", "K2."))

    return pulumi.Output.all(*[a.id for c in component.clusters.values() for a in c.acls]).apply(check)


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
        granted = {(a.name.split("-")[1], a.inputs["aclResourceType"], a.inputs["aclResourceName"],
                    a.inputs["aclOperation"]) for a in mocks.of_type("kafka:index/acl:Acl")
                   if a.inputs["aclPrincipal"] == "User:mm2"}
        for alias, other in (("K1", "K2"), ("K2", "K1")):
            assert (alias, "Group", f"{other}-mm2", "Read") in granted
            for kind in ("configs", "offsets", "status"):
                for op in ("Read", "Write", "Create", "Describe", "DescribeConfigs"):
                    assert (alias, "Topic", f"mm2-{kind}.{other}.internal", op) in granted
            assert (alias, "Group", f"{alias}-mm2", "Read") not in granted  # each worker runs on its target

    return pulumi.Output.all(*[a.id for c in component.clusters.values() for a in c.acls]).apply(check)


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
        assert 'password="k1-mm2-pw"' in config["source.cluster.sasl.jaas.config"]
        assert 'password="k2-mm2-pw"' in config["target.cluster.sasl.jaas.config"]
        assert 'password="k2-mm2-pw"' in config["producer.override.sasl.jaas.config"]

    return pulumi.Output.from_input(check())


@pulumi.runtime.test
def test_second_registry_expects_the_first_registrys_ids(pair):
    mocks, component, topology = pair
    subjects = [s.subject for t in topology.topics for s in t.subjects]

    def check(_: Any) -> None:
        k1 = [r for r in mocks.of_type("SchemaSubject") if r.inputs["label"] == "K1"]
        k2 = [r for r in mocks.of_type("SchemaSubject") if r.inputs["label"] == "K2"]
        assert [r.inputs["subject"] for r in k1] == subjects == [r.inputs["subject"] for r in k2]
        assert all(r.inputs.get("expectedIds", r.inputs.get("expected_ids")) is None for r in k1)
        k1_ids = {r.inputs["subject"]: mocks.outputs[r.name]["ids"] for r in k1}
        for r in k2:
            assert r.inputs["expected_ids"] == k1_ids[r.inputs["subject"]]

    outs = [s.ids for reg in component.registries.values() for s in reg.subjects.values()]
    return pulumi.Output.all(*outs).apply(check)
