"""The unit tier needs nothing but the virtualenv: a test that starts a process (a `kaa` CLI, git, Node, a browser,
actionlint) fails here and belongs in tests/tools/."""
from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def no_processes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"a unit test started a process {args[:1]!r}; move the test to tests/tools/")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    yield
