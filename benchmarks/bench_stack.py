"""A throw-away stack of this project on its own file backend, as the Pulumi and drift benchmarks run it: one way
to init it with the generated stack file and the private pair's credentials, to run the engine on it, and to say
why a command failed (the engine's error lines, kaa/up_summary.py's `engine_failure`, never a tail of its output)."""
from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from kaa.pulumi_engine import ROOT
from kaa.up_summary import engine_failure

MM2_PASSWORD = "bench-mm2-secret"
# The commands that change or read every resource: their whole output is kept when `keep` is given.
ENGINE_COMMANDS = ("up", "preview", "refresh", "destroy")


class StepFailed(RuntimeError):
    """An engine command failed; `lines` say why (from its event stream or text, and the end of its stderr)."""

    def __init__(self, command: str, returncode: int, lines: list[str], seconds: float):
        self.command, self.returncode, self.lines, self.seconds = command, returncode, lines, seconds
        super().__init__(f"pulumi {command} failed (exit {returncode}) after {seconds:.0f}s:\n  " + "\n  ".join(lines))


class BenchStack:
    """`name` on a file backend under `workdir`, with the environment `env` changed by `changes` (None unsets)."""

    def __init__(self, env: Mapping[str, str], stack_file: Path, workdir: Path, name: str,
                 changes: Mapping[str, str | None] | None = None, keep: Path | None = None):
        (workdir / "state").mkdir(parents=True, exist_ok=True)
        self.name, self.stack_file, self.keep, self.runs = name, stack_file, keep, 0
        self.config_file = workdir / f"Pulumi.{name}.yaml"
        self.env = {**env, "PULUMI_BACKEND_URL": f"file://{workdir / 'state'}", "PULUMI_CONFIG_PASSPHRASE": "bench"}
        self.env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
        for key, value in (changes or {}).items():
            if value is None:
                self.env.pop(key, None)
            else:
                self.env[key] = value

    def run(self, *args: str, timeout: float = 4 * 3600,
            env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """`pulumi ARGS --stack NAME`; raises StepFailed with the engine's error lines when it fails."""
        config = ["--config-file", str(self.config_file)] if args[0] != "stack" else []
        cmd = ["pulumi", *args, "--stack", self.name, *config, "--non-interactive"]
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, env={**self.env, **(env or {})}, text=True, capture_output=True,
                              timeout=timeout)
        if self.keep is not None and args[0] in ENGINE_COMMANDS:
            self.runs += 1
            out = self.keep / f"{self.name}-{self.runs:02d}-{args[0]}-exit{done.returncode}"
            out.with_suffix(".stdout").write_text(done.stdout, encoding="utf-8")
            out.with_suffix(".stderr").write_text(done.stderr, encoding="utf-8")
        if done.returncode != 0:
            raise StepFailed(args[0], done.returncode, engine_failure(done.stdout, done.stderr),
                             time.perf_counter() - start)
        return done

    def init(self) -> None:
        """The stack, its `stackFile` and the private pair's credentials (admin and MM2, both clusters)."""
        subprocess.run(["pulumi", "stack", "init", self.name, "--non-interactive"], cwd=ROOT, env=self.env,
                       capture_output=True, check=False)
        self.run("config", "set", "stackFile", str(self.stack_file))
        for alias in ("K1", "K2"):
            for key, value in (("adminUsername", "admin"), ("adminPassword", "admin-secret"),
                               ("mm2Password", MM2_PASSWORD)):
                self.run("config", "set", "--path", f"credentials.{alias}.{key}",
                         "--secret" if "Password" in key else "--plaintext", value)

    def forget(self) -> None:
        subprocess.run(["pulumi", "stack", "rm", self.name, "--force", "--yes", "--non-interactive"], cwd=ROOT,
                       env=self.env, capture_output=True, check=False)
