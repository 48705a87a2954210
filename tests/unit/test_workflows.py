"""The GitHub workflows under .github/workflows/: the PR preview does what it says (read as YAML).

actionlint over the workflows and the comment script run under Node are in tests/tools/test_workflow_tools.py.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kaa.clients.pair_access import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"


def preview() -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS / "preview.yml").read_text(encoding="utf-8"))
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


def test_preview_runs_on_pull_requests_touching_the_topology() -> None:
    paths = preview()["on"]["pull_request"]["paths"]
    assert set(paths) == {"stacks/**", "components/**", "kaa/**", "policy/**"}


def test_preview_runs_each_stack_with_full_history() -> None:
    job = preview()["jobs"]["preview"]
    assert job["strategy"]["matrix"]["stack"] == ["local", "dev", "prod"]
    assert job["strategy"]["fail-fast"] is False
    checkout = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0


def test_preview_steps_and_sticky_comment() -> None:
    steps = preview()["jobs"]["preview"]["steps"]
    runs = "\n".join(str(s.get("run", "")) for s in steps)
    for command in ("scripts/setup.sh python", "scripts/setup.sh pulumi", 'scripts/kaa validate "stacks/$STACK.yaml"',
                    'scripts/kaa diff --stack "$STACK" --base "origin/$BASE_REF" --format markdown',
                    'scripts/kaa pulumi preview --stack "$STACK" --diff', "--policy-pack policy", "::add-mask::"):
        assert command in runs, command
    by_id = {s["id"]: s for s in steps if "id" in s}
    assert by_id["validate"]["continue-on-error"] and by_id["preview"]["continue-on-error"]
    comment = next(s for s in steps if str(s.get("uses", "")).startswith("actions/github-script@"))
    assert comment["if"] == "always()"
    script = comment["with"]["script"]
    assert "<!-- kaa-preview:${stack} -->" in script and "updateComment" in script and "createComment" in script
    assert "<details" in script and "scrub" in script
    gate = steps[-1]
    assert gate["if"] == "always()" and "VALIDATE_OUTCOME" in gate["run"] and "exit \"$status\"" in gate["run"]


def test_no_secret_is_echoed() -> None:
    """Secrets reach steps only through env and are masked before use; none is interpolated into a command."""
    for step in preview()["jobs"]["preview"]["steps"]:
        assert "${{ secrets." not in str(step.get("run", "")), step.get("name")
        assert "${{ secrets." not in str(step.get("with", {}).get("script", "")), step.get("name")


def drift() -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS / "drift.yml").read_text(encoding="utf-8"))
    document["on"] = document.pop(True, document.get("on"))
    return document


# Every credential the CLI reads from the environment (kaa/clients/pair_access.SETTINGS) reaches both workflows
# from a repository secret: plain values as KAA_<ALIAS>_<NAME>, files as PEM text (KAA_<ALIAS>_<KIND>_PEM) that
# scripts/ci/tls-files.sh writes out. MM2's password is not read by drift or the pre-flight.
def _expected(matrix_key: str) -> tuple[dict[str, str], dict[str, str]]:
    plain, pems = {}, {}
    for alias in ("K1", "K2"):
        for setting, (suffix, _) in SETTINGS.items():
            if setting == "mm2_password":
                continue
            name = f"{alias}_{suffix.removesuffix('_FILE')}_PEM" if suffix.endswith("_FILE") else f"{alias}_{suffix}"
            into = pems if suffix.endswith("_FILE") else plain
            into[f"KAA_{name}"] = f"${{{{ secrets[format('KAA_{{0}}_{name}', {matrix_key})] }}}}"
    return plain, pems


def _tls_step(steps: list[dict[str, Any]]) -> dict[str, Any]:
    return next(s for s in steps if s.get("run") == "scripts/ci/tls-files.sh")


def test_drift_gets_every_credential_from_secrets_through_env() -> None:
    job = drift()["jobs"]["drift"]
    plain, pems = _expected("matrix.secrets")
    assert {k: v for k, v in job["env"].items() if k.startswith("KAA_")} == plain
    steps = job["steps"]
    tls = _tls_step(steps)
    assert tls["env"] == pems
    assert steps.index(tls) < next(i for i, s in enumerate(steps) if s.get("id") == "drift")
    for step in steps:
        assert "secrets" not in str(step.get("run", "")), step.get("name")


def test_preview_gets_every_credential_from_secrets_through_env() -> None:
    steps = preview()["jobs"]["preview"]["steps"]
    plain, pems = _expected("matrix.stack")
    by_id = {s["id"]: s for s in steps if "id" in s}
    assert {k: v for k, v in by_id["preview"]["env"].items() if k.startswith("KAA_")} == plain
    tls = _tls_step(steps)
    assert tls["env"] == pems and steps.index(tls) < steps.index(by_id["preview"])
