"""A user's own Pulumi: which CLI versions are used as is, and a set-up that takes the CLI, its language host
and shims and its kafka plugin instead of building (with fake binaries: nothing is built or downloaded)."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "scripts" / "setup-pulumi.sh"
FAKE_PULUMI = """#!/usr/bin/env bash
case "$1" in
  version) echo "{version}" ;;
  plugin) mkdir -p "$PULUMI_HOME/plugins/resource-$4-v$5" && cp "$7" "$PULUMI_HOME/plugins/resource-$4-v$5/" ;;
  *) exit 3 ;;
esac
"""


def _supports(version: str) -> bool:
    return subprocess.run([str(SETUP), "--supports", version], capture_output=True).returncode == 0


@pytest.mark.parametrize("version", ["3.274.1", "v3.274.1", "3.272.0", "v3.300.2", "3.280.0-dev.0"])
def test_cli_versions_from_the_sdk_pin_to_the_next_major_are_used(version: str) -> None:
    assert _supports(version)


@pytest.mark.parametrize("version", ["3.271.9", "v3.100.0", "4.0.0", "v2.9.0", "garbage", ""])
def test_older_newer_major_or_unparsable_versions_are_not(version: str) -> None:
    assert not _supports(version)


def test_the_minimum_is_the_python_sdk_that_requirements_pin() -> None:
    pin = re.search(r"(?m)^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text())
    assert pin and re.search(rf"(?m)^PULUMI_MIN_VERSION={re.escape(pin.group(1))}$", SETUP.read_text())


def _fake_install(tmp_path: Path, version: str, beside: bool = True, go: bool = True) -> dict[str, str]:
    user_bin = tmp_path / "user-bin"
    user_bin.mkdir()
    (user_bin / "pulumi").write_text(FAKE_PULUMI.replace("{version}", version))
    names = ["pulumi"]
    if beside:
        names += ["pulumi-language-python", "pulumi-language-python-exec", "pulumi-resource-pulumi-python"]
        for name in names[1:]:
            (user_bin / name).write_text("#!/bin/sh\n")
    for name in names:
        (user_bin / name).chmod(0o755)
    plugin = tmp_path / "user-home" / "plugins" / "resource-kafka-v3.12.3" / "pulumi-resource-kafka"
    plugin.parent.mkdir(parents=True)
    plugin.write_text("#!/bin/sh\n")
    plugin.chmod(0o755)
    no_go = tmp_path / "no-go"  # a `go` that can download nothing, or none at all
    no_go.mkdir()
    if go:
        (no_go / "go").write_text("#!/bin/sh\necho 'go: offline in this test' >&2\nexit 1\n")
        (no_go / "go").chmod(0o755)
    assert not any(Path(d, "go").exists() for d in ("/usr/bin", "/bin")), "this test needs Go off /usr/bin and /bin"
    return {**os.environ, "PATH": f"{user_bin}:{no_go}:/usr/bin:/bin", "KAA_CACHE": str(tmp_path / "cache"),
            "PULUMI_HOME": str(tmp_path / "user-home")}


def test_a_supported_user_pulumi_and_its_plugins_are_used_and_nothing_is_built(tmp_path: Path) -> None:
    env = _fake_install(tmp_path, "v3.280.0", go=False)  # without Go: nothing may need it
    done = subprocess.run([str(SETUP)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    bin_dir = Path(done.stdout.splitlines()[-1])
    assert (bin_dir / "pulumi").resolve() == tmp_path / "user-bin" / "pulumi"
    assert (bin_dir / "pulumi-resource-kafka").resolve() == (
        tmp_path / "user-home" / "plugins" / "resource-kafka-v3.12.3" / "pulumi-resource-kafka")
    assert f"using the pulumi on PATH: {tmp_path / 'user-bin' / 'pulumi'} (v3.280.0)" in done.stderr
    assert "using the kafka plugin of your Pulumi" in done.stderr and "building" not in done.stderr
    versions = (bin_dir.parent / "VERSIONS").read_text()
    assert "pulumi CLI: " in versions and "(on PATH, v3.280.0)" in versions
    assert subprocess.run([str(SETUP), "--check"], env=env).returncode == 0


def test_an_unsupported_user_pulumi_is_named_and_the_engine_is_built_instead(tmp_path: Path) -> None:
    env = _fake_install(tmp_path, "v3.100.0")
    done = subprocess.run([str(SETUP)], env=env, capture_output=True, text=True, timeout=60)
    assert f"not using {tmp_path / 'user-bin' / 'pulumi'}: its version v3.100.0 is outside 3.272.0 <= version < 4.0.0" \
        in done.stderr
    # it went on to build: with `go` offline here, the download of the Pulumi modules is what fails
    assert done.returncode != 0 and "cannot download github.com/pulumi/pulumi/sdk/v3@v3.274.1" in done.stderr
