"""The local pair's SCRAM users. Local defaults only: real stacks take credentials from Pulumi secrets."""

from __future__ import annotations

from dataclasses import dataclass

MECHANISM = "SCRAM-SHA-512"
PROTOCOL = "SASL_PLAINTEXT"


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

    def java_client_settings(self) -> dict[str, str]:
        return {"security.protocol": PROTOCOL, "sasl.mechanism": MECHANISM, "sasl.jaas.config": self.jaas()}

    def librdkafka_settings(self, bootstrap_servers: str) -> dict[str, str]:
        """Settings for confluent-kafka clients (librdkafka takes the user and password as keys, not JAAS)."""
        return {
            "bootstrap.servers": bootstrap_servers,
            "security.protocol": PROTOCOL,
            "sasl.mechanism": MECHANISM,
            "sasl.username": self.name,
            "sasl.password": self.password,
        }


ADMIN = ScramUser("admin", "admin-secret")
CONNECT = ScramUser("connect", "connect-secret")
USERS = (ADMIN, CONNECT)
