"""File paths in stack files (CA and client certificates): `${VAR}`, `${VAR:-default}` (nested defaults too),
`~`, and paths relative to the stack file that names them. Certificates live outside the repository (a CI
runner's temporary folder, the local TLS pair's state folder), so stack files point at them through variables.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^${}]*))?\}")


class UnsetVariable(ValueError):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def expand_path(value: str, base_dir: Path, env: Mapping[str, str] | None = None) -> str:
    """The absolute path `value` names; raises UnsetVariable for a `${VAR}` without default that is not set."""
    env = os.environ if env is None else env

    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if env.get(name):
            return env[name]
        if default is None:
            raise UnsetVariable(name)
        return default

    expanded = value
    while True:  # innermost first, so a default may itself hold a ${...}
        replaced = _VARIABLE.sub(one, expanded)
        if replaced == expanded:
            break
        expanded = replaced
    path = Path(os.path.expanduser(expanded))
    return str(path if path.is_absolute() else (base_dir / path).resolve())
