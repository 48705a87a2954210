"""The engine stand-ins are real Go modules in scripts/standins/ (never heredocs), gofmt'd, and pin the versions
scripts/setup-pulumi.sh names. `go vet` and `go build` of them run in tests/e2e/test_standins_build.py."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = (ROOT / "scripts" / "setup-pulumi.sh").read_text()
STANDINS = ROOT / "scripts" / "standins"
NAMES = ("pulumi-language-python", "pulumi-resource-kafka")


def _var(name: str) -> str:
    match = re.search(rf"(?m)^{name}=(\S+)$", SCRIPT)
    assert match, f"scripts/setup-pulumi.sh sets no {name}"
    return match.group(1)


def test_setup_pulumi_writes_no_go_source_or_go_mod_from_a_heredoc() -> None:
    heredoc_targets = re.findall(r"cat\s*>\s*\"?([^\s\"]+)\"?\s*<<", SCRIPT)
    assert not [t for t in heredoc_targets if t.endswith((".go", "go.mod", "go.sum"))], heredoc_targets
    assert "package main" not in SCRIPT


@pytest.mark.parametrize("name", NAMES)
def test_each_standin_is_a_module_with_go_sum_and_sources(name: str) -> None:
    folder = STANDINS / name
    assert (folder / "go.mod").is_file() and (folder / "go.sum").stat().st_size > 0
    assert list(folder.rglob("*.go")), f"{folder} has no Go sources"
    assert f"copy_standin {name} " in SCRIPT, f"scripts/setup-pulumi.sh does not build {name} from {folder}"


def test_the_standins_pin_the_versions_the_script_names() -> None:
    pyhost = (STANDINS / "pulumi-language-python" / "go.mod").read_text()
    assert f"github.com/pulumi/pulumi/sdk/v3 v{_var('PULUMI_VERSION')}\n" in pyhost
    kafka = (STANDINS / "pulumi-resource-kafka" / "go.mod").read_text()
    assert f"github.com/Mongey/terraform-provider-kafka {_var('KAFKA_TF_PROVIDER_VERSION')}\n" in kafka
    assert f"github.com/pulumi/pulumi-terraform-bridge/v3 {_var('KAFKA_BRIDGE_VERSION')}\n" in kafka
    assert (f"replace github.com/hashicorp/terraform-plugin-sdk/v2 => github.com/pulumi/terraform-plugin-sdk/v2 "
            f"{_var('KAFKA_PLUGIN_SDK_FORK')}\n") in kafka


def test_the_standins_are_gofmt_clean() -> None:
    gofmt = shutil.which("gofmt")
    assert gofmt, "gofmt is not on PATH (Go is a prerequisite of scripts/setup-pulumi.sh)"
    done = subprocess.run([gofmt, "-l", str(STANDINS)], capture_output=True, text=True, check=True)
    assert done.stdout == "", f"not gofmt'd: {done.stdout}"
