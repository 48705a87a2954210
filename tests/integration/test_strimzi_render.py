"""The Strimzi render, checked with Strimzi's own model (io.strimzi:api at STRIMZI_VERSION) in a JVM.

scripts/strimzi-check/StrimziCheck.java reads each document into `KafkaMirrorMaker2` as the operator does and
fails on any key the model keeps as an additional property, on keys absent from the document's apiVersion and
on required keys left out. Needs a JDK and the jars scripts/setup-tools.sh fetches (cached; no local pair).
"""
from __future__ import annotations

import copy
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from kaa.mirror.mm2_render import render_strimzi
from kaa.topology.spec import load_topology
from kaa.versions import STRIMZI_VERSION

ROOT = Path(__file__).resolve().parents[2]
HOME = Path.home() / ".cache" / "kafka-active-active" / f"strimzi-api-{STRIMZI_VERSION}"
Doc = dict[str, Any]


@pytest.fixture(scope="module")
def strimzi_check() -> Callable[[str, Path], subprocess.CompletedProcess[str]]:
    setup = subprocess.run([str(ROOT / "scripts" / "setup-tools.sh"), "strimzi"], capture_output=True, text=True,
                           check=False)
    if setup.returncode != 0:
        pytest.fail(f"scripts/setup-tools.sh strimzi failed: {setup.stderr.strip()[-2000:]}", pytrace=False)
    pom = (ROOT / "scripts" / "strimzi-check" / "pom.xml").read_text()
    assert f"<strimzi.version>{STRIMZI_VERSION}</strimzi.version>" in pom  # the render and the check agree

    def run(text: str, tmp: Path) -> subprocess.CompletedProcess[str]:
        path = tmp / "mm2.yaml"
        path.write_text(text)
        return subprocess.run(["java", "-cp", f"{HOME}/lib/*:{HOME}/classes", "StrimziCheck", str(path)],
                              capture_output=True, text=True, timeout=120, check=False)

    return run


def _render(stack: str) -> str:
    """`prod+throughput` is prod with `mirror.profile: throughput` (client settings in connector and worker config)."""
    name, _, profile = stack.partition("+")
    topology = load_topology(ROOT / "stacks" / f"{name}.yaml")
    if profile:
        topology = replace(topology, mirror=replace(topology.mirror, profile=profile))
    return render_strimzi(topology)


@pytest.mark.parametrize("stack", ["local", "prod", "prod+throughput"])
def test_the_render_is_valid_for_strimzi(strimzi_check: Callable[[str, Path], subprocess.CompletedProcess[str]],
                                         tmp_path: Path, stack: str) -> None:
    text = _render(stack)
    result = strimzi_check(text, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].startswith(f"ok: 2 KafkaMirrorMaker2 resource(s) valid for Strimzi api {STRIMZI_VERSION}")
    # The one deprecated key is kept on purpose (heartbeats; Strimzi's v1 API has no heartbeat connector).
    deprecated = [line.split(":")[1].strip() for line in lines if line.startswith("deprecated:")]
    assert deprecated == ["doc[0].spec.mirrors[0].heartbeatConnector", "doc[1].spec.mirrors[0].heartbeatConnector"]
    # The check walked the secret references: SCRAM on both stacks, TLS trust on prod (SASL_SSL).
    for doc in yaml.safe_load_all(text):
        for cluster in (doc["spec"]["target"], doc["spec"]["mirrors"][0]["source"]):
            assert cluster["authentication"]["type"] == "scram-sha-512"
            assert set(cluster["authentication"]["passwordSecret"]) == {"secretName", "password"}
            assert ("tls" in cluster) == stack.startswith("prod")


def _prod_docs() -> list[Doc]:
    return list(yaml.safe_load_all(_render("prod")))


def _rename(node: Doc, old: str, new: str) -> None:
    node[new] = node.pop(old)


def _move(source: Doc, key: str, target: Doc) -> None:
    target[key] = source.pop(key)


BREAKS: dict[str, tuple[Callable[[Doc], None], str]] = {
    "misspelt mirror key": (lambda d: _rename(d["spec"]["mirrors"][0], "topicsPattern", "topicPattern"),
                            "doc[0].spec.mirrors[0].topicPattern: unknown property"),
    "misspelt SCRAM secret key": (
        lambda d: _rename(d["spec"]["target"]["authentication"]["passwordSecret"], "secretName", "secretname"),
        "doc[0].spec.target.authentication.passwordSecret.secretname: unknown property"),
    "SCRAM password misplaced": (
        lambda d: _move(d["spec"]["mirrors"][0]["source"]["authentication"], "passwordSecret",
                        d["spec"]["mirrors"][0]["source"]),
        "doc[0].spec.mirrors[0].source.passwordSecret: unknown property"),
    "TLS certificates misplaced": (
        lambda d: _move(d["spec"]["target"]["tls"], "trustedCertificates", d["spec"]["target"]),
        "doc[0].spec.target.trustedCertificates: unknown property"),
    "TLS secret key misspelt": (
        lambda d: _rename(d["spec"]["mirrors"][0]["source"]["tls"]["trustedCertificates"][0], "pattern", "patern"),
        "doc[0].spec.mirrors[0].source.tls.trustedCertificates[0].patern: unknown property"),
    "worker group on the source": (lambda d: _move(d["spec"]["target"], "groupId", d["spec"]["mirrors"][0]["source"]),
                                   "doc[0].spec.mirrors[0].source.groupId: unknown property"),
    "required storage topic missing": (lambda d: d["spec"]["target"].pop("configStorageTopic"),
                                       "doc[0].spec.target.configStorageTopic: required by Strimzi's v1beta2 API"),
    "connector key at the mirror": (lambda d: _move(d["spec"]["mirrors"][0]["sourceConnector"], "tasksMax",
                                                    d["spec"]["mirrors"][0]),
                                    "doc[0].spec.mirrors[0].tasksMax: unknown property"),
    "v1 has no heartbeat connector": (lambda d: d.update(apiVersion="kafka.strimzi.io/v1"),
                                      "doc[0].spec.mirrors[0].heartbeatConnector: not in Strimzi's v1 API"),
}


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_a_broken_render_fails_the_check(strimzi_check: Callable[[str, Path], subprocess.CompletedProcess[str]],
                                         tmp_path: Path, case: str) -> None:
    docs = _prod_docs()
    broken = copy.deepcopy(docs[0])
    breaker, expected = BREAKS[case]
    breaker(broken)
    result = strimzi_check(yaml.safe_dump_all([broken, docs[1]], sort_keys=False), tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stdout.splitlines() if line.startswith("error:")]
    assert any(line.startswith(f"error: {expected}") for line in errors), errors
    assert all(line.startswith("error: doc[0].") for line in errors), errors  # the intact document passes


@pytest.mark.parametrize(("case", "types"), [("tls", {"K1": "scram-sha-512", "K2": "plain"}),
                                              ("mtls", {"K1": "tls", "K2": "scram-sha-256"})])
def test_the_tls_renders_are_valid_for_strimzi(strimzi_check: Callable[[str, Path], subprocess.CompletedProcess[str]],
                                               tmp_path: Path, case: str, types: dict[str, str]) -> None:
    """tests/golden/render/tls (SCRAM-SHA-512 and PLAIN over TLS) and mtls (a client certificate on an SSL
    cluster, SCRAM-SHA-256 on the other), trusted certificates on every cluster."""
    text = render_strimzi(load_topology(ROOT / "tests" / "golden" / "render" / case / "stack.yaml", name=case))
    result = strimzi_check(text, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("ok: 2 KafkaMirrorMaker2 resource(s) valid")
    found = {c["alias"]: c["authentication"]["type"] for doc in yaml.safe_load_all(text)
             for c in (doc["spec"]["target"], doc["spec"]["mirrors"][0]["source"])}
    assert found == types
