"""`kaa diff` over a real git repository (spawns git): the working tree, two refs, a new stack, errors."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from kaa.cli import main
from kaa.topodiff.topology_diff import ADD, diff_topologies
from kaa.topology.spec import load_topology

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = ROOT / "tests" / "golden" / "diff"


# --- kaa diff over git ---------------------------------------------------------------------------------------

def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A git repository whose first commit holds the schema-evolution case's base as stacks/demo.yaml."""
    case = CASES_DIR / "schema-evolution"
    (tmp_path / "stacks" / "schemas").mkdir(parents=True)
    for schema in (case / "schemas").iterdir():
        (tmp_path / "stacks" / "schemas" / schema.name).write_text(schema.read_text())
    (tmp_path / "stacks" / "shared.yaml").write_text((case / "base.yaml").read_text())
    (tmp_path / "stacks" / "demo.yaml").write_text("extends: shared.yaml\nenvironment: dev\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def test_kaa_diff_against_the_working_tree(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = repo / "stacks" / "demo.yaml"
    assert main(["diff", "--stack", str(stack), "--base", "main"]) == 0
    assert capsys.readouterr().out.endswith("No change.\n")
    (repo / "stacks" / "shared.yaml").write_text((CASES_DIR / "schema-evolution" / "head.yaml").read_text())
    assert main(["diff", "--stack", str(stack), "--base", "main", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["base"], document["head"], document["summary"]["risky"]) == ("main", "working tree", 2)
    assert main(["diff", "--stack", str(stack), "--base", "main", "--fail-on-risk"]) == 1


def test_kaa_diff_between_two_refs(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "stacks" / "shared.yaml").write_text((CASES_DIR / "schema-evolution" / "head.yaml").read_text())
    git(repo, "commit", "-q", "-am", "head")
    (repo / "stacks" / "shared.yaml").write_text("this working tree is not read\n")
    stack = repo / "stacks" / "demo.yaml"
    assert main(["diff", "--stack", str(stack), "--base", "main~1", "--head", "main", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "### Topology diff of stack `demo`: `main~1` → `main`" in out
    assert "field `currency` added without a default" in out


def test_kaa_diff_of_a_new_stack_is_all_additions(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "stacks" / "fresh.yaml").write_text("extends: shared.yaml\n")
    assert main(["diff", "--stack", str(repo / "stacks" / "fresh.yaml"), "--base", "main"]) == 0
    assert "(+" in capsys.readouterr().out
    document_changes = diff_topologies(None, load_topology(repo / "stacks" / "fresh.yaml")).changes
    assert {c.action for c in document_changes} == {ADD}


def test_kaa_diff_errors_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = str(repo / "stacks" / "demo.yaml")
    assert main(["diff", "--stack", stack, "--base", "no-such-ref"]) == 2
    assert "unknown git ref 'no-such-ref'" in capsys.readouterr().err
    (repo / "stacks" / "shared.yaml").write_text("topics: {orders: {partitions: 0}}\n")
    git(repo, "commit", "-q", "-am", "broken")
    assert main(["diff", "--stack", stack, "--base", "main", "--head", "main"]) == 2
    err = capsys.readouterr().err
    assert "main:stacks/shared.yaml: topics.orders.partitions: must be at least 1" in err
    assert "kaa-diff-" not in err  # the temporary folder is not shown


def test_kaa_diff_fails_on_a_removed_subject(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Removing a schema version (here a whole subject) is risky: `--fail-on-risk` exits 1, listed first."""
    shared = repo / "stacks" / "shared.yaml"
    shared.write_text(shared.read_text().replace(
        "    schema: {value: [schemas/payments-value-v1.avsc], compatibility: BACKWARD}\n", ""))
    stack = repo / "stacks" / "demo.yaml"
    assert main(["diff", "--stack", str(stack), "--base", "main", "--fail-on-risk"]) == 1
    risky = capsys.readouterr().out.split("Risky changes:\n", 1)[1]
    assert risky.startswith("  ! - [registries] schema payments-value version 1 removed "
                            "(was schemas/payments-value-v1.avsc)\n      deletes the subject and all its versions")
