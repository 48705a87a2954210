"""Before any resource is declared: can every part of the pair be reached? One line per part that cannot,
naming the stack file, the key and the fix, so a `pulumi up` against a dead endpoint changes nothing."""
from __future__ import annotations

import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import requests

from kaa.topology.model import Topology

Probe = Callable[[], str | None]


def _tcp(servers: tuple[str, ...], timeout: float) -> str | None:
    """None when any bootstrap server accepts a connection, else why not."""
    reasons = []
    for server in servers:
        host, _, port = server.rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
                return None
        except (OSError, ValueError) as exc:
            reasons.append(f"{server}: {exc.__class__.__name__}")
    return "no bootstrap server accepts connections (" + "; ".join(reasons) + ")"


def _http(url: str, timeout: float) -> str | None:
    try:
        response = requests.get(url, timeout=timeout)
    except requests.RequestException as exc:
        return f"{url} did not answer ({exc.__class__.__name__})"
    if response.status_code >= 500:
        return f"{url} answered HTTP {response.status_code}"
    return None


def unreachable_parts(topology: Topology, timeout: float = 5.0) -> list[str]:
    """Every part that cannot be reached, as `file: clusters.<alias>.<key>: ...; fix` lines."""
    probes: list[tuple[str, str, Probe]] = []
    for cluster in topology.clusters:
        probes += [
            (cluster.alias, "bootstrap_servers", partial(_tcp, cluster.bootstrap_servers, timeout)),
            (cluster.alias, "schema_registry",
             partial(_http, f"{cluster.schema_registry.rstrip('/')}/subjects", timeout)),
            (cluster.alias, "connect", partial(_http, f"{cluster.connect.rstrip('/')}/", timeout)),
        ]
    with ThreadPoolExecutor(max_workers=len(probes)) as pool:
        results = list(pool.map(lambda p: p[2](), probes))
    what = {"bootstrap_servers": "Kafka cluster", "schema_registry": "schema registry", "connect": "Kafka Connect"}
    return [
        f"{topology.source_file}: clusters.{alias}.{key}: the {what[key]} of {alias} cannot be reached: {reason}; "
        "start it or fix the address (nothing was changed)"
        for (alias, key, _), reason in zip(probes, results, strict=True)
        if reason
    ]
