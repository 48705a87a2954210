"""How the toolkit reaches a pair outside Pulumi: admin client settings, registry and Connect URLs, the MM2
password. Built from `kaa local status --json` for the local pair, or from environment variables."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kaa.redaction import mask
from kaa.topology.model import Cluster, Topology


def admin_settings(cluster: Cluster, username: str | None, password: str | None) -> dict[str, str]:
    """librdkafka admin settings for `cluster` from its security block and the admin credentials: the one place
    that maps `security` (protocol, SASL mechanism, CA) to client settings, for `kaa` commands and the ACL sets."""
    security = cluster.security
    kafka = {"bootstrap.servers": cluster.bootstrap, "security.protocol": security.protocol}
    if security.uses_sasl:
        kafka["sasl.mechanism"] = security.sasl_mechanism or "SCRAM-SHA-512"
        kafka["sasl.username"] = username or ""
        kafka["sasl.password"] = password or ""
    if security.ssl_truststore:
        kafka["ssl.ca.location"] = security.ssl_truststore
    return kafka


@dataclass(frozen=True)
class ClusterAccess:
    kafka: Mapping[str, str]  # librdkafka-style admin settings (bootstrap.servers, security.protocol, sasl.*)
    schema_registry: str
    connect: str
    mm2_password: str = ""

    def redacted(self) -> dict[str, Any]:
        return {
            "kafka": {k: mask(k, v) for k, v in self.kafka.items()},
            "schema_registry": self.schema_registry,
            "connect": self.connect,
        }


@dataclass(frozen=True)
class PairAccess:
    clusters: Mapping[str, ClusterAccess] = field(default_factory=dict)

    def __getitem__(self, alias: str) -> ClusterAccess:
        return self.clusters[alias]

    @classmethod
    def from_status(cls, status: Mapping[str, Any], mm2_passwords: Mapping[str, str]) -> PairAccess:
        """From the `kaa local status --json` document."""
        return cls({
            alias: ClusterAccess(dict(entry["kafka"]), entry["schema_registry"], entry["connect"],
                                 mm2_passwords.get(alias, ""))
            for alias, entry in status["clusters"].items()
        })

    @classmethod
    def from_env(cls, topology: Topology) -> PairAccess:
        """From KAA_<ALIAS>_ADMIN_USERNAME / _ADMIN_PASSWORD / _MM2_PASSWORD and the stack's endpoints."""
        out = {}
        for cluster in topology.clusters:
            prefix = f"KAA_{cluster.alias.upper()}_"
            kafka = admin_settings(cluster, os.environ.get(prefix + "ADMIN_USERNAME", ""),
                                   os.environ.get(prefix + "ADMIN_PASSWORD", ""))
            out[cluster.alias] = ClusterAccess(kafka, cluster.schema_registry, cluster.connect,
                                               os.environ.get(prefix + "MM2_PASSWORD", ""))
        return cls(out)
