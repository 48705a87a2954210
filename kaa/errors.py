"""Typed errors at the edges: every failure the user can act on maps to one of these and to an exit code."""
from __future__ import annotations


class KaaError(Exception):
    """A failure with a one-line message for the user; `exit_code` is what `kaa` returns."""

    exit_code = 2


class SpecError(KaaError):
    """The topology spec is invalid. Holds every problem found, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class UnreachableError(KaaError):
    """A cluster, registry or Connect worker did not answer."""


class RegistryError(KaaError):
    """The schema registry refused a request (incompatible schema, bad request, ID mismatch)."""


class ConnectError(KaaError):
    """The Kafka Connect REST API refused a request or a connector failed."""


class LocalPairError(KaaError):
    """The embedded local pair could not be started or inspected."""


class PreflightError(UnreachableError):
    """A part of the pair refused the pre-flight (down, failing, or refusing our credentials or certificates)."""
