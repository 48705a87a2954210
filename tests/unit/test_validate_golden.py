"""`kaa validate` on bad input: one golden case per mistake under tests/golden/invalid/<case>/, run in-process.

Each case holds `stack.yaml` (plus `base.yaml` or schema files when the mistake needs them) and `expected.txt`,
the exact error text. `kaa validate stack.yaml` runs in the case folder, so file names in messages are relative.
The same cases run as real `kaa` processes in tests/tools/test_validate_cli.py.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kaa.cli import main
from kaa.errors import SpecError
from kaa.topology.spec import load_topology

ROOT = Path(__file__).resolve().parents[2]
INVALID = ROOT / "tests" / "golden" / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())
SHIPPED = ("local", "dev", "prod")


def kaa_validate(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], cwd: Path,
                 *files: str) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    status = main(["validate", *files])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_required_cases_exist() -> None:
    required = {
        "topic-alias-prefix", "topic-internal-heartbeats", "topic-internal-offset-syncs",
        "topic-internal-consumer-offsets", "topic-internal-schemas", "topic-internal-connect-offsets",
        "one-cluster", "three-clusters", "alias-with-separator", "partitions-zero", "replication-factor-zero",
        "min-insync-above-rf", "config-key-misspelled", "config-value-wrong-type", "duplicate-principal",
        "unparsable-principal", "unparsable-group", "schema-file-missing", "avro-invalid", "json-schema-not-json",
        "protobuf-syntax-error", "extends-cycle", "unknown-top-level-key", "several-errors",
        "topic-name-dot", "topic-name-dot-dot", "topic-name-too-long", "topic-name-illegal-character",
        "topic-names-collide", "topic-names-differ-only-in-case",
    }
    assert required <= set(CASES)
    for case in CASES:
        assert (INVALID / case / "stack.yaml").is_file(), case


@pytest.mark.parametrize("case", CASES)
def test_invalid_stack_is_rejected_with_the_exact_message(
    case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], golden: Callable[[Path, str], None]
) -> None:
    status, out, err = kaa_validate(monkeypatch, capsys, INVALID / case, "stack.yaml")
    assert (status, out) == (2, "")
    golden(INVALID / case / "expected.txt", err)
    for line in err.splitlines():
        file, key_path, rest = line.split(": ", 2)  # <file>: <key path>: <problem> (got <value>); <fix>
        assert file.endswith(".yaml") and key_path and rest
        assert "; " in rest, f"no fix in: {line}"


def test_shipped_stacks_are_valid(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = kaa_validate(monkeypatch, capsys, ROOT, *(f"stacks/{s}.yaml" for s in SHIPPED))
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert [line.split(":", 1)[0] for line in lines] == [f"stacks/{s}.yaml" for s in SHIPPED]
    for line in lines:
        assert ": valid: 4 topics on K1 and K2, 5 schema subjects" in line


def test_several_errors_in_one_file_are_reported_together() -> None:
    with pytest.raises(SpecError) as raised:
        load_topology(INVALID / "several-errors" / "stack.yaml")
    assert len(raised.value.problems) >= 5
    assert str(raised.value) == "\n".join(raised.value.problems)


def test_a_missing_partition_count_is_reported_not_dropped(tmp_path: Path) -> None:
    stack = tmp_path / "stack.yaml"
    stack.write_text((INVALID / "partitions-zero" / "stack.yaml").read_text().replace(
        "defaults: {partitions: 3, replication_factor: 1}", "defaults: {replication_factor: 1}"
    ).replace("orders: {partitions: 0}", "orders: {partitions: }"))
    with pytest.raises(SpecError) as raised:
        load_topology(stack)
    assert [p.split(": ", 1)[1] for p in raised.value.problems] == [
        "topics.orders.partitions: is missing; add partitions: <n> (or defaults.partitions)"
    ]
