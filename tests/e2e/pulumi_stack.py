"""Driving the real Pulumi engine on a throw-away stack: its own file backend, config file and spec copy."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from kaa.clients.kafka_admin import KafkaAdmin
from kaa.local import LocalPair
from kaa.pulumi_engine import RACE_RERUN, ROOT, race_rerun_note
from kaa.topology.derive import derive
from kaa.topology.spec import load_topology
from kaa.up_summary import connection_race_only

PASSPHRASE = "kaa-e2e-only"
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "components", "kaa", "stacks", ".venv")
CREDENTIALS = {"adminUsername": "admin", "adminPassword": "admin-secret", "mm2Password": "e2e-mm2-secret"}


class PulumiStack:
    def __init__(self, workdir: Path, env: dict[str, str], name: str = "e2e", spec: Path | None = None):
        self.workdir = workdir
        self.name = name
        self.spec_dir = workdir / "spec"
        shutil.copytree(spec or Path(__file__).parent / "stacks", self.spec_dir)
        self.spec_file = self.spec_dir / "e2e.yaml"
        # The project is linked into the work dir, so the stack's config file lands there, not in the repo.
        self.project_dir = workdir / "project"
        self.project_dir.mkdir()
        for entry in PROJECT_FILES:
            (self.project_dir / entry).symlink_to(ROOT / entry)
        self.config_file = self.project_dir / f"Pulumi.{name}.yaml"
        (workdir / "state").mkdir()
        self.env = {**env, "PULUMI_BACKEND_URL": f"file://{workdir / 'state'}", "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE}
        self.env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)

    def run(self, *args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        cmd = ["pulumi", *args, "--stack", self.name, "--non-interactive"]
        result = subprocess.run(cmd, cwd=self.project_dir, env=self.env, text=True, capture_output=True,
                                timeout=timeout)
        if result.returncode != 0 and args[0] in RACE_RERUN and connection_race_only(
                result.stdout + "\n" + result.stderr):
            print(f"{self.name}: {race_rerun_note(args[0])}", file=sys.stderr, flush=True)  # as `kaa pulumi` does
            result = subprocess.run(cmd, cwd=self.project_dir, env=self.env, text=True, capture_output=True,
                                    timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(cmd[:3])} failed ({result.returncode}):\n{result.stdout[-4000:]}\n"
                                 f"{result.stderr[-4000:]}")
        return result

    def init(self) -> None:
        subprocess.run(["pulumi", "stack", "init", self.name, "--non-interactive"], cwd=self.project_dir, env=self.env,
                       text=True, capture_output=True, check=False)
        self.run("config", "set", "stackFile", str(self.spec_file))
        for alias in ("K1", "K2"):
            for key, value in CREDENTIALS.items():
                secret = "--secret" if "Password" in key else "--plaintext"
                self.run("config", "set", "--path", f"credentials.{alias}.{key}", secret, value)

    def up(self, *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = self.run("up", "--yes", "--skip-preview", *extra, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"pulumi up failed ({result.returncode}):\n{result.stdout[-4000:]}\n"
                                 f"{result.stderr[-4000:]}")
        return result

    def preview_json(self, *extra: str) -> dict[str, Any]:
        result = self.run("preview", "--json", *extra, check=False)
        if result.returncode != 0:
            raise AssertionError(f"preview failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        return dict(json.loads(result.stdout))

    def outputs(self) -> dict[str, Any]:
        return dict(json.loads(self.run("stack", "output", "--json").stdout))

    def edit_spec(self, change: Any) -> None:
        doc = yaml.safe_load(self.spec_file.read_text())
        change(doc)
        self.spec_file.write_text(yaml.safe_dump(doc, sort_keys=False))


def changed_resources(preview: dict[str, Any]) -> dict[str, str]:
    """urn name -> op for every step that is not `same`."""
    out = {}
    for step in preview.get("steps", []):
        if step.get("op") not in ("same", "read", "refresh"):
            out[step["urn"].split("::")[-1]] = step["op"]
    return out


def remove_remote_twins(pair: LocalPair, stack: PulumiStack) -> list[str]:
    """A safety net after a destroy that failed part-way: `destroy` deletes the stack's twins itself
    (its twin guards, tests/e2e/test_mirror_leftovers.py); whatever is left of the twins of the stack's topics
    is deleted here, so the shared pair is left as it was found."""
    removed = []
    for alias, cluster in derive(load_topology(stack.spec_file, name=stack.name)).items():
        admin = KafkaAdmin(pair.client_settings(alias)["kafka"], alias)
        twins = [r.name for r in cluster.remote_topics if r.name in admin.topics()]
        if twins:
            admin.delete_topics(twins)
            removed += [f"{alias}:{t}" for t in twins]
    return removed
