"""The local pair's SCRAM users. Local defaults only: real stacks take credentials from Pulumi secrets."""

from __future__ import annotations

from dataclasses import dataclass

MECHANISM = "SCRAM-SHA-512"
PROTOCOL = "SASL_PLAINTEXT"
TLS_PROTOCOL = "SASL_SSL"


@dataclass(frozen=True)
class ScramUser:
    name: str
    password: str

    @property
    def principal(self) -> str:
        return f"User:{self.name}"

    def jaas(self) -> str:
        """The `sasl.jaas.config` value Java clients (broker, Connect, MM2) need."""
        return (
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{self.name}" password="{self.password}";'
        )

    def java_client_settings(self, ca_file: str | None = None) -> dict[str, str]:
        """Java client settings; with `ca_file` (the TLS pair's CA, PEM) SASL_SSL verifying the brokers."""
        settings = {"security.protocol": TLS_PROTOCOL if ca_file else PROTOCOL, "sasl.mechanism": MECHANISM,
                    "sasl.jaas.config": self.jaas()}
        if ca_file:
            settings.update({"ssl.truststore.type": "PEM", "ssl.truststore.location": ca_file})
        return settings

    def librdkafka_settings(self, bootstrap_servers: str, ca_file: str | None = None) -> dict[str, str]:
        """Settings for confluent-kafka clients (librdkafka takes the user and password as keys, not JAAS)."""
        settings = {
            "bootstrap.servers": bootstrap_servers,
            "security.protocol": TLS_PROTOCOL if ca_file else PROTOCOL,
            "sasl.mechanism": MECHANISM,
            "sasl.username": self.name,
            "sasl.password": self.password,
        }
        if ca_file:
            settings["ssl.ca.location"] = ca_file
        return settings


@dataclass(frozen=True)
class HttpUser:
    """A basic-auth user of the TLS pair's Connect REST API or registry."""

    name: str
    password: str

    @property
    def auth(self) -> tuple[str, str]:
        return (self.name, self.password)


ADMIN = ScramUser("admin", "admin-secret")
CONNECT = ScramUser("connect", "connect-secret")
USERS = (ADMIN, CONNECT)
# The TLS pair's HTTP users (local defaults, as above; Pulumi.local-tls.yaml holds them as config secrets).
CONNECT_REST = HttpUser("connect-admin", "connect-admin-secret")
REGISTRY_REST = HttpUser("registry-admin", "registry-admin-secret")
