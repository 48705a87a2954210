"""The GitHub workflows pass actionlint, and the PR preview's comment script does what it says under Node.

actionlint is built once from the Go module proxy by scripts/setup-tools.sh (cached under $KAA_CACHE/bin); the
test fails, never skips, when it cannot be installed.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.tools.tool_setup import setup_tool

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
CACHE = Path(os.environ.get("KAA_CACHE", Path.home() / ".cache" / "kafka-active-active"))


@pytest.fixture(scope="module")
def actionlint() -> Path:
    setup_tool("actionlint")
    binary = CACHE / "bin" / "actionlint"
    if not os.access(binary, os.X_OK):
        pytest.fail(f"scripts/setup-tools.sh actionlint ran but {binary} is not executable")
    return binary


def test_workflows_pass_actionlint(actionlint: Path) -> None:
    files = sorted(str(p) for p in WORKFLOWS.glob("*.y*ml"))
    assert files, "no workflow under .github/workflows/"
    done = subprocess.run([str(actionlint), "-no-color", *files], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, f"actionlint found problems:\n{done.stdout}{done.stderr}"


def preview() -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS / "preview.yml").read_text(encoding="utf-8"))
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


HARNESS = r"""
const fs = require('fs');
const calls = [];
const existing = JSON.parse(process.env.EXISTING);
const github = {
  paginate: async () => existing,
  rest: { issues: {
    listComments: () => {},
    updateComment: async (args) => calls.push(['update', args]),
    createComment: async (args) => calls.push(['create', args]),
  } },
};
const context = { repo: { owner: 'o', repo: 'r' },
                  payload: { pull_request: { number: 7, head: { sha: '0123456789abcdef' } } } };
const core = { warning: (m) => calls.push(['warning', m]), summary: { addRaw: () => ({ write: async () => {} }) } };
const script = fs.readFileSync(process.env.SCRIPT, 'utf8');
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('github', 'context', 'core', 'require', script)(github, context, core, require)
  .then(() => console.log(JSON.stringify(calls)));
"""


def run_comment_script(tmp_path: Path, existing: list[dict[str, Any]], **env: str) -> list[Any]:
    step = next(s for s in preview()["jobs"]["preview"]["steps"]
                if str(s.get("uses", "")).startswith("actions/github-script@"))
    (tmp_path / "script.js").write_text(step["with"]["script"], encoding="utf-8")
    (tmp_path / "harness.js").write_text(HARNESS, encoding="utf-8")
    full_env = {"PATH": os.environ["PATH"], "STACK": "prod", "SCRIPT": str(tmp_path / "script.js"),
                "EXISTING": json.dumps(existing), **env}
    done = subprocess.run(["node", "harness.js"], cwd=tmp_path, env=full_env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    calls: list[Any] = json.loads(done.stdout)
    return calls


def test_comment_is_created_then_updated_and_scrubbed(tmp_path: Path) -> None:
    (tmp_path / "validate.txt").write_text("stacks/prod.yaml: valid\n")
    (tmp_path / "diff.md").write_text("### Topology diff of stack `prod`\n")
    (tmp_path / "preview.txt").write_text("Previewing update (prod) with passphrase hunter2-secret\n")
    outcomes = {"VALIDATE_OUTCOME": "success", "DIFF_OUTCOME": "success", "PREVIEW_OUTCOME": "failure",
                "CREDENTIALS": "no", "SCRUB_1": "hunter2-secret"}
    ((action, args),) = run_comment_script(tmp_path, [], **outcomes)
    body = args["body"]
    assert action == "create" and args["issue_number"] == 7
    assert body.startswith("<!-- kaa-preview:prod -->\n## PR preview: stack `prod`")
    assert "### Topology diff of stack `prod`" in body and "<details><summary>⚠️ pulumi preview did not run" in body
    assert "no credentials" in body and "hunter2-secret" not in body and "***" in body
    others = [{"id": 1, "body": "<!-- kaa-preview:dev -->"}, {"id": 2, "body": "<!-- kaa-preview:prod -->\nold"}]
    ((action, args),) = run_comment_script(tmp_path, others, **outcomes)
    assert (action, args["comment_id"]) == ("update", 2)


def test_comment_shows_a_failed_validation(tmp_path: Path) -> None:
    (tmp_path / "validate.txt").write_text("stacks/prod.yaml: topics[K1.orders]: starts with the cluster alias\n")
    (tmp_path / "diff-error.txt").write_text("kaa: unknown git ref 'origin/main'\n")
    outcomes = {"VALIDATE_OUTCOME": "failure", "DIFF_OUTCOME": "failure", "PREVIEW_OUTCOME": "failure",
                "CREDENTIALS": "yes", "POLICY": "failed"}
    ((_, args),) = run_comment_script(tmp_path, [], **outcomes)
    body = args["body"]
    assert "❌ `kaa validate stacks/prod.yaml` failed" in body and "topics[K1.orders]" in body
    assert "`kaa diff` failed" in body and "a mandatory policy failed" in body


def test_preview_installs_pulumi_with_the_official_action_and_builds_nothing() -> None:
    steps = yaml.safe_load((WORKFLOWS / "preview.yml").read_text())["jobs"]["preview"]["steps"]
    uses = [str(s.get("uses", "")) for s in steps]
    action = next(s for s in steps if str(s.get("uses", "")).startswith("pulumi/actions@"))
    supported = subprocess.run([str(ROOT / "scripts" / "setup-pulumi.sh"), "--supports",
                                str(action["with"]["pulumi-version"])]).returncode
    assert supported == 0, "the workflow's Pulumi version is outside what setup-pulumi.sh accepts (it would build)"
    kafka = re.search(r"(?m)^pulumi-kafka==(\S+)$", (ROOT / "requirements.txt").read_text())
    runs = [str(s.get("run", "")) for s in steps]
    assert kafka and f"pulumi plugin install resource kafka {kafka.group(1)}" in runs
    assert not [u for u in uses if u.startswith("actions/setup-go@")], "no Go toolchain: nothing is built"
    order = [i for i, s in enumerate(steps) if "pulumi/actions@" in str(s.get("uses", ""))
             or "scripts/setup.sh pulumi" in str(s.get("run", ""))]
    assert len(order) == 2 and order[0] < order[1]
