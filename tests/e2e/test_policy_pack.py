"""The policy pack through the real engine: `pulumi preview --policy-pack policy`.

The shipped stacks pass (advisory findings allowed outside prod); each scenario stack breaks one policy and its
preview fails naming the policy and the resource. Scenario stacks use their own topic names (`pol-...`), MM2
principal and connector prefix. Previews of new stacks create nothing; only the destructive scenario applies a
few of its resources (`up --target`: its two topics per cluster) to have a current state to compare with, writes
one record, and destroys them at the end.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kaa.local import LocalPair
from kaa.pulumi_engine import ROOT
from tests.e2e.pulumi_stack import CREDENTIALS, PulumiStack
from tests.integration.kafka_helpers import produce

POLICY_PACK = ROOT / "policy"
SCENARIOS = Path(__file__).parent / "policy_stacks"
VIOLATION = re.compile(r"^\s+- \[(?P<level>\w+)\]\s+(?P<policy>[\w-]+)\s+\((?P<type>.+): (?P<name>[^\s:]+)\)$")


class IsolatedStack(PulumiStack):
    """A throw-away stack of a copy of a Pulumi project (its Pulumi.yaml and __main__.py) in the work folder.

    `pulumi stack init` writes the stack's encryption salt into `Pulumi.<stack>.yaml` beside Pulumi.yaml; running a
    copy keeps that file (and any clash with a user's own `Pulumi.local.yaml`) out of the source tree. The program
    imports the toolkit through PYTHONPATH, as do the dynamic providers it starts.
    """

    def __init__(self, workdir: Path, env: dict[str, str], name: str, project: Path, spec: Path, spec_file: str,
                 config: dict[str, str] | None = None):
        super().__init__(workdir, env, name=name, spec=spec)
        self.spec_file = self.spec_dir / spec_file
        self.project_dir = workdir / "isolated-project"
        self.project_dir.mkdir()
        manifest = yaml.safe_load((project / "Pulumi.yaml").read_text())
        manifest["runtime"]["options"]["virtualenv"] = str(ROOT / ".venv")
        (self.project_dir / "Pulumi.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
        shutil.copy(project / "__main__.py", self.project_dir / "__main__.py")
        self.project = str(manifest["name"])
        self.config = config or {}
        self.env["PYTHONPATH"] = str(ROOT)

    def run(self, *args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return super().run(*args, "--cwd", str(self.project_dir), check=check, timeout=timeout)

    def init(self) -> None:
        subprocess.run(["pulumi", "stack", "init", self.name, "--non-interactive", "--cwd", str(self.project_dir)],
                       env=self.env, text=True, capture_output=True, check=True)
        self.run("config", "set", "stackFile", str(self.spec_file))
        for key, value in self.config.items():
            self.run("config", "set", key, value)
        for alias in ("K1", "K2"):
            for key, value in CREDENTIALS.items():
                secret = "--secret" if "Password" in key else "--plaintext"
                self.run("config", "set", "--path", f"credentials.{alias}.{key}", secret, value)

    def urn(self, chain: str, name: str) -> str:
        return f"urn:pulumi:{self.name}::{self.project}::{chain}::{name}"


def shipped_stack(workdir: Path, env: dict[str, str], name: str) -> IsolatedStack:
    # dev and prod point at example endpoints that do not exist here: the pack needs no live cluster.
    return IsolatedStack(workdir, env, f"pol-{name}", ROOT, ROOT / "stacks", f"{name}.yaml",
                         {"skipReachabilityCheck": "true"})


def scenario_stack(workdir: Path, env: dict[str, str], scenario: str, spec_file: str = "pol.yaml",
                   name: str | None = None) -> IsolatedStack:
    return IsolatedStack(workdir, env, name or f"pol-{scenario}-{Path(spec_file).stem}", SCENARIOS, SCENARIOS,
                         spec_file, {"scenario": scenario})


def policy_preview(stack: PulumiStack) -> tuple[int, str, list[dict[str, str]]]:
    """Exit code, output and the violations the engine printed (level, policy, type, resource name)."""
    result = stack.run("preview", "--policy-pack", str(POLICY_PACK), check=False)
    output = result.stdout + result.stderr
    found = [m.groupdict() for m in map(VIOLATION.match, output.splitlines()) if m]
    return result.returncode, output, found


def mandatory(violations: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(v["policy"], v["name"]) for v in violations if v["level"] == "mandatory"}


@pytest.fixture()
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="kaa-policy-") as tmp:
        yield Path(tmp)


# --- the shipped stacks pass ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["local", "dev", "prod"])
def test_the_shipped_stacks_pass_the_pack(name: str, engine: dict[str, str], workdir: Path):
    stack = shipped_stack(workdir, engine, name)
    stack.init()
    code, output, violations = policy_preview(stack)
    assert code == 0, output[-4000:]
    assert "kafka-active-active@v0.1.0" in output
    assert not mandatory(violations), violations
    if name == "prod":
        assert violations == [], "prod is the reference: durable, encrypted, secret"
    else:  # outside prod, durability and security only advise
        assert {v["policy"] for v in violations} <= {"durability", "security"}
    assert not list(ROOT.glob("Pulumi.pol-*.yaml")), "stack files must stay out of the source tree"


# --- each scenario breaks one policy ----------------------------------------------------------------------------
SCENARIO_CASES = [
    ("remote-named-topic", "pol.yaml", "topic-prefixes", "pair-K2-topic-K1.pol-orders",
     "is MM2's remote copy of K1's 'pol-orders'"),
    ("one-sided-topic", "pol.yaml", "cluster-parity", "pair-K1-topic-pol-lonely", "exists on K1 only"),
    ("unmirrored-topic", "pol.yaml", "mirroring", "pair-K1-topic-pol-customers", "is not mirrored to K2"),
    ("remote-writer", "pol.yaml", "consumer-access", "pair-K2-acl-pol-orders-svc-topic-literal-k1.pol-orders-write",
     "User:pol-orders-svc may WRITE 'K1.pol-orders'"),
    ("plain-credentials", "pol.yaml", "secret-credentials", "pair-K1-provider", "gets its SASL password as plain text"),
    ("compliant", "pol-prod.yaml", "durability", "pair-K1-topic-pol-orders", "has replication factor 1"),
]


@pytest.mark.parametrize(("scenario", "spec", "policy", "resource", "message"), SCENARIO_CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in SCENARIO_CASES])
def test_a_violating_stack_fails_naming_the_policy_and_the_resource(scenario, spec, policy, resource, message,
                                                                   engine: dict[str, str], workdir: Path):
    stack = scenario_stack(workdir, engine, scenario, spec)
    stack.init()
    code, output, violations = policy_preview(stack)
    assert code != 0, output[-4000:]
    assert (policy, resource) in mandatory(violations), (violations, output[-4000:])
    assert message in output


def test_the_compliant_scenario_passes(engine: dict[str, str], workdir: Path):
    """The baseline the scenarios change: the same topology unchanged passes (so each failure is the change's)."""
    stack = scenario_stack(workdir, engine, "compliant")
    stack.init()
    code, output, violations = policy_preview(stack)
    assert code == 0 and not mandatory(violations), output[-4000:]


# --- destructive changes need a current state ---------------------------------------------------------------
@pytest.fixture()
def applied(engine: dict[str, str], local_pair: LocalPair, workdir: Path) -> Iterator[IsolatedStack]:
    """The scenario stack with only its topics applied on the real pair (`up --target`), destroyed afterwards."""
    stack = scenario_stack(workdir, engine, "compliant", name="pol-destructive")
    stack.init()
    pair_chain = "kafka-aa:index:ActiveActivePair"
    targets = [stack.urn(pair_chain, "pair")]
    for alias in ("K1", "K2"):
        cluster_chain = f"{pair_chain}$kafka-aa:index:KafkaCluster"
        targets.append(stack.urn(cluster_chain, f"pair-{alias}"))
        targets += [stack.urn(f"{cluster_chain}$kafka:index/topic:Topic", f"pair-{alias}-topic-{t}")
                    for t in ("pol-orders", "pol-customers")]
    try:
        stack.up(*[arg for urn in targets for arg in ("--target", urn)])
        yield stack
    finally:
        stack.run("destroy", "--yes", "--skip-preview", check=False)


def test_destructive_changes_are_reported_before_the_update(applied: IsolatedStack, local_pair: LocalPair):
    settings = dict(local_pair.client_settings("K1")["kafka"])
    produce(settings, "pol-customers", [{"key": b"c1", "value": b"kept"}])

    def change(doc: dict[str, Any]) -> None:
        doc["topics"]["pol-orders"]["partitions"] = 1  # from 2
        del doc["topics"]["pol-customers"]  # holds a record on K1, none on K2

    applied.edit_spec(change)
    code, output, violations = policy_preview(applied)
    assert code != 0, output[-4000:]
    assert mandatory(violations) >= {("destructive-changes", "pair-K1-topic-pol-orders"),
                                     ("destructive-changes", "pair-K2-topic-pol-orders")}, violations
    assert "partitions decrease from 2 to 1" in output
    assert ("topic 'pol-customers' on K1 (resource pair-K1-topic-pol-customers) would be deleted: it is no longer "
            "declared; it holds 1 record(s)") in output
    assert "topic 'pol-customers' on K2" not in output  # empty there: deleting it loses nothing
    listed = yaml.safe_load(applied.spec_file.read_text())
    assert "pol-customers" not in listed["topics"]
