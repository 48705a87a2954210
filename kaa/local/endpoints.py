"""The local pair's addresses, read from stacks/local.yaml so the spec and the running pair cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from kaa.errors import LocalPairError
from kaa.local.runtime import REPO_ROOT

LOCAL_STACK = REPO_ROOT / "stacks" / "local.yaml"
LOCAL_TLS_STACK = REPO_ROOT / "stacks" / "local-tls.yaml"


@dataclass(frozen=True)
class ClusterEndpoints:
    """One cluster of the pair. The controller and the registry's management port sit next to the public ports."""

    alias: str
    host: str
    kafka_port: int
    registry_url: str
    connect_url: str

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.kafka_port}"

    @property
    def controller_port(self) -> int:
        return self.kafka_port + 1

    @property
    def mtls_port(self) -> int:
        """The TLS pair's second client listener: SSL with a required client certificate."""
        return self.kafka_port + 2

    @property
    def mtls_bootstrap_servers(self) -> str:
        return f"{self.host}:{self.mtls_port}"

    @property
    def registry_port(self) -> int:
        return _port(self.registry_url)

    @property
    def registry_management_port(self) -> int:
        """Quarkus serves health/metrics on a second port (default 9000, which two registries would share)."""
        return self.registry_port + 1

    @property
    def connect_port(self) -> int:
        return _port(self.connect_url)


def _port(url: str) -> int:
    port = urlsplit(url).port
    if port is None:
        raise LocalPairError(f"{LOCAL_STACK}: URL {url!r} needs an explicit port for the local pair")
    return port


def _cluster(alias: str, raw: object) -> ClusterEndpoints:
    where = f"{LOCAL_STACK}: clusters.{alias}"
    if not isinstance(raw, dict):
        raise LocalPairError(f"{where} must be a mapping")
    try:
        bootstrap = str(raw["bootstrap_servers"][0])
        registry = str(raw["schema_registry"]).rstrip("/")
        connect = str(raw["connect"]).rstrip("/")
    except (KeyError, IndexError, TypeError) as exc:
        raise LocalPairError(f"{where} needs bootstrap_servers[0], schema_registry and connect ({exc})") from exc
    host, _, port = bootstrap.rpartition(":")
    if not host or not port.isdigit():
        raise LocalPairError(f"{where}.bootstrap_servers[0] must be host:port, got {bootstrap!r}")
    return ClusterEndpoints(alias=alias, host=host, kafka_port=int(port), registry_url=registry, connect_url=connect)


def load_endpoints(stack_file: Path = LOCAL_STACK) -> tuple[ClusterEndpoints, ...]:
    """Both clusters in the file's order (K1, K2)."""
    try:
        doc = yaml.safe_load(stack_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise LocalPairError(f"cannot read {stack_file}: {exc}") from exc
    clusters = doc.get("clusters") if isinstance(doc, dict) else None
    if not isinstance(clusters, dict) or len(clusters) != 2:
        raise LocalPairError(f"{stack_file}: clusters must hold exactly two aliases")
    return tuple(_cluster(str(alias), raw) for alias, raw in clusters.items())
