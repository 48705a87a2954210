"""The engine stand-ins in scripts/standins/ vet clean and build from their own go.mod and go.sum alone
(`-mod=readonly`: nothing is added or tidied at build time), as scripts/setup-pulumi.sh builds them."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

STANDINS = Path(__file__).resolve().parents[2] / "scripts" / "standins"


@pytest.mark.parametrize("name", ["pulumi-language-python", "pulumi-resource-kafka"])
def test_the_standin_vets_and_builds_from_its_own_module_files(name: str, tmp_path: Path) -> None:
    go = shutil.which("go")
    assert go, "go is not on PATH (a prerequisite of scripts/setup-pulumi.sh)"
    env = {**os.environ, "GOFLAGS": "-mod=readonly -buildvcs=false"}
    for cmd in ([go, "vet", "-trimpath", "./..."], [go, "build", "-trimpath", "-o", f"{tmp_path}/", "./..."]):
        done = subprocess.run(cmd, cwd=STANDINS / name, env=env, capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, f"{' '.join(cmd[1:])} in scripts/standins/{name} failed:\n{done.stderr[-3000:]}"
    assert [p.name for p in tmp_path.iterdir()], f"go build of {name} wrote no binary"
