"""The GitHub workflows under .github/workflows/: the PR preview does what it says (read as YAML).

actionlint over the workflows and the comment script run under Node are in tests/tools/test_workflow_tools.py.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

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
