"""Fixtures of the e2e tier: the real local pair and the real Pulumi engine (built by setup-pulumi.sh)."""
from __future__ import annotations

import pytest

from kaa.errors import KaaError
from kaa.pulumi_engine import engine_env
from tests.integration.conftest import local_pair  # noqa: F401  (the same session pair)


@pytest.fixture(scope="session")
def engine() -> dict[str, str]:
    try:
        return engine_env()
    except KaaError as exc:
        pytest.fail(f"the Pulumi engine is not available: {exc}", pytrace=False)
