"""The README and docs/ say what the shipped files do: every path, schema file, command, make target and
topology example they show exists, parses and is accepted; the prerequisites match what the code looks for."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from kaa.cli import build_parser
from kaa.local.local_pair import KAFKA_MIN_JAVA, REGISTRY_MIN_JAVA
from kaa.topology.spec import load_topology

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
DOCS = {p.relative_to(ROOT).as_posix(): p.read_text() for p in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]}
REPO_DIRS = ("stacks/", "tests/", "docs/", "scripts/", "kaa/", "components/", "policy/", "benchmarks/",
             ".github/", ".ci/")


def _code_blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"(?ms)^```{lang}\n(.*?)^```", text)


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_every_schema_file_shown_exists_in_stacks(doc: str) -> None:
    shown = set(re.findall(r"\bschemas/[\w.-]+\.(?:avsc|json|proto)\b", DOCS[doc]))
    missing = sorted(s for s in shown if not (ROOT / "stacks" / s).is_file())
    assert not missing, f"{doc} shows schema files that stacks/ does not ship: {missing}"


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_every_repo_path_shown_exists(doc: str) -> None:
    shown = {m.split()[0].rstrip(".,:;") for m in re.findall(r"`([^`\s]+)", DOCS[doc])}
    paths = {p for p in shown if p.startswith(REPO_DIRS) and not re.search(r"[<*…{]", p)}
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, f"{doc} names paths the repository does not have: {missing}"


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_every_markdown_link_to_a_file_resolves(doc: str) -> None:
    links = re.findall(r"\]\(([^)#:]+)\)", DOCS[doc])
    missing = [link for link in links if not ((ROOT / doc).parent / link).exists()]
    assert not missing, f"{doc} links to missing files: {missing}"


def test_the_topology_example_is_a_valid_pair_of_stack_files(tmp_path: Path) -> None:
    block = next(b for b in _code_blocks(README, "yaml") if b.startswith("# stacks/base.yaml"))
    base, local = block.split("# stacks/local.yaml\n")
    (tmp_path / "base.yaml").write_text(base)
    (tmp_path / "local.yaml").write_text(local)
    (tmp_path / "schemas").symlink_to(ROOT / "stacks" / "schemas")
    topology = load_topology(tmp_path / "local.yaml")
    assert [t.name for t in topology.topics] == list(yaml.safe_load(base)["topics"])
    assert topology.aliases == ("K1", "K2")


def test_the_local_example_matches_the_shipped_local_stack() -> None:
    """The README's stacks/local.yaml shows the same clusters (addresses, security) as the shipped file."""
    block = next(b for b in _code_blocks(README, "yaml") if b.startswith("# stacks/base.yaml"))
    shown = yaml.safe_load(block.split("# stacks/local.yaml\n")[1])
    shipped = yaml.safe_load((ROOT / "stacks" / "local.yaml").read_text())
    assert shown["clusters"] == shipped["clusters"]
    assert shown["extends"] == shipped["extends"] and shown["environment"] == shipped["environment"]


def _kaa_lines(text: str) -> list[str]:
    lines = [line.split("#")[0].strip() for block in _code_blocks(text, "bash") for line in block.splitlines()]
    return [line for line in lines if line.startswith("scripts/kaa ")]


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_every_kaa_command_shown_parses(doc: str) -> None:
    parser = build_parser()
    subcommands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for line in _kaa_lines(DOCS[doc]):
        words = shlex.split(line)[1:]
        assert words[0] in subcommands, f"{doc}: `{line}`: no subcommand {words[0]!r}"
        if "|" in line or "[" in line or "…" in line:
            continue  # a synopsis: the subcommand exists, its options are shown, not given
        try:
            parser.parse_args(words)
        except SystemExit as exc:
            raise AssertionError(f"{doc}: `{line}` does not parse (exit {exc.code})") from None


def test_the_readme_shows_kaa_commands() -> None:
    assert len(_kaa_lines(README)) >= 6


def test_every_make_target_shown_exists() -> None:
    targets = set(re.findall(r"(?m)^([\w-]+):", (ROOT / "Makefile").read_text()))
    shown = set(re.findall(r"\bmake ([a-z][\w-]*)", README))
    assert shown and shown <= targets, f"README shows make targets the Makefile lacks: {sorted(shown - targets)}"


def test_prerequisites_name_the_java_versions_the_pair_needs_before_the_first_command() -> None:
    first_command = README.index("```bash\nmake up")
    before = README[:first_command]
    assert f"Java {KAFKA_MIN_JAVA} or newer for Kafka" in before
    assert f"Java {REGISTRY_MIN_JAVA} or newer for the schema registry" in before
    looked_up = "".join((ROOT / "kaa" / "local" / f).read_text() for f in ("local_pair.py", "java.py"))
    for env_var in ("KAA_KAFKA_JAVA_HOME", "KAA_REGISTRY_JAVA_HOME", "JAVA_HOME", "/usr/lib/jvm"):
        assert env_var in before and env_var in looked_up
    assert "The first run is slow" in before and "minutes" in before


def test_the_readme_stays_short() -> None:
    assert len(README.splitlines()) <= 200
