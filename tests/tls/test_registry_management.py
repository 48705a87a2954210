"""The TLS pair's registries serve their management interface (health, metrics: built into Apicurio, so it cannot
be switched off at run time) over HTTPS with the pair's certificate, on loopback: no plain HTTP port is left."""
from __future__ import annotations

import pytest
import requests

from kaa.local import LocalPair


@pytest.mark.parametrize("alias", ["K1", "K2"])
def test_the_registry_management_port_speaks_only_https(tls_pair: LocalPair, alias: str) -> None:
    cluster = next(c for c in tls_pair.clusters if c.alias == alias)
    port, ca = cluster.registry_management_port, str(tls_pair.state_dir / "tls" / "ca.pem")
    health = requests.get(f"https://{cluster.host}:{port}/health/ready", verify=ca, timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "UP", health.text[:300]
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://{cluster.host}:{port}/health/ready", timeout=10)
