"""The `credentials` of a stack's Pulumi config for the `kaa` commands (drift, failover, drill, twins), so an
operator who keeps them only in `Pulumi.<stack>.yaml` needs no KAA_<ALIAS>_* variables.

Plain values are read from the file; secret ones (`secure:`) are decrypted by the engine
(`pulumi config --show-secrets --json`, with the stack's passphrase from PULUMI_CONFIG_PASSPHRASE or
PULUMI_CONFIG_PASSPHRASE_FILE), and only when an environment variable does not already give that setting: the
environment wins (kaa/clients/pair_access.py), so CI that passes every secret as a variable never needs the engine.
The values are returned, never printed; a failure names the key, the stack and the fix in one line.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from kaa.clients.pair_access import SETTINGS, env_name
from kaa.errors import KaaError
from kaa.pulumi_engine import ROOT, run_pulumi

CONFIG_KEY = "credentials"


def project_dir(cwd: Path | None = None) -> Path:
    """The Pulumi project the stack belongs to: the current folder when it holds a Pulumi.yaml, else the repo."""
    here = cwd or Path.cwd()
    return here if (here / "Pulumi.yaml").is_file() else ROOT


def _project_name(project: Path) -> str:
    doc = yaml.safe_load((project / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
    return str(doc.get("name") or "kafka-active-active")


def _secure_paths(credentials: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(alias, key) for alias, entry in credentials.items() if isinstance(entry, Mapping)
            for key, value in entry.items() if isinstance(value, Mapping) and "secure" in value]


def stack_credentials(stack: str, environ: Mapping[str, str] | None = None, cwd: Path | None = None,
                      engine: dict[str, str] | None = None) -> dict[str, Any]:
    """`credentials` of `Pulumi.<stack>.yaml` as plain values ({} when the file or the key is absent)."""
    env = os.environ if environ is None else environ
    project = project_dir(cwd)
    file = project / f"Pulumi.{stack}.yaml"
    if not file.is_file():
        return {}
    name = _project_name(project)
    doc = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    credentials = (doc.get("config") or {}).get(f"{name}:{CONFIG_KEY}") or {}
    if not isinstance(credentials, Mapping):
        raise KaaError(f"{file}: config.{name}:{CONFIG_KEY}: must be an object of credentials.<alias>.<key>")
    by_key = {config_key: setting for setting, (_, config_key) in SETTINGS.items()}
    needed = [(alias, key) for alias, key in _secure_paths(credentials)
              if key not in by_key or not env.get(env_name(alias, by_key[key]))]
    if not needed:  # nothing secret, or every secret overridden by its variable: no engine, no passphrase
        return {alias: {k: v for k, v in entry.items() if not (isinstance(v, Mapping) and "secure" in v)}
                for alias, entry in credentials.items() if isinstance(entry, Mapping)}
    result = run_pulumi(["config", "--show-secrets", "--json", "--stack", stack], env=engine, cwd=project,
                        capture=True, check=False)
    if result.returncode != 0:
        cause = next((line.strip() for line in (result.stderr or result.stdout or "").splitlines()
                      if line.strip()), f"exit code {result.returncode}")
        alias, key = needed[0]
        raise KaaError(f"{file}: credentials.{alias}.{key}: cannot decrypt the stack's secret config ({cause}); set "
                       "PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE for stack "
                       f"{stack}, or set {env_name(alias, by_key[key]) if key in by_key else 'the setting'}")
    shown = json.loads(result.stdout).get(f"{name}:{CONFIG_KEY}") or {}
    value = shown.get("objectValue")
    if value is None:
        value = json.loads(shown.get("value") or "{}")
    return dict(value)
