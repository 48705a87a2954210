"""Health probes: a service counts as up only when it answers the way its clients will use it."""

from __future__ import annotations

import logging
from typing import Any

import requests
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from kaa.local.local_users import ScramUser

# librdkafka prints every refused connection to stderr while a broker starts; send them nowhere instead.
_QUIET = logging.getLogger("kaa.local.librdkafka")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


READY = "ready"
DOWN = "down"
REFUSED = "refused"  # the broker answers but refuses the user's SCRAM login


def kafka_login(bootstrap_servers: str, user: ScramUser, timeout: float = 2.0, ca_file: str | None = None) -> str:
    """READY when broker metadata is served to the authenticated user, REFUSED when the broker answers but
    fails the user's SASL authentication, DOWN otherwise (not listening, still starting). With `ca_file`:
    SASL_SSL, verifying the broker against that CA."""
    refused: list[str] = []

    def on_error(error: KafkaError) -> None:
        if error.code() == KafkaError._AUTHENTICATION:
            refused.append(error.str())

    config: dict[str, Any] = dict(user.librdkafka_settings(bootstrap_servers, ca_file))
    config["logger"] = _QUIET
    config["error_cb"] = on_error
    config["socket.connection.setup.timeout.ms"] = int(timeout * 1000)
    try:
        admin = AdminClient(config)
    except KafkaException:  # e.g. no CA file yet: a TLS pair that never started
        return DOWN
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException:
        admin.poll(0)  # serves the error callbacks of the failed attempts
        return REFUSED if refused else DOWN
    return READY if metadata.brokers else DOWN


def kafka_ready(bootstrap_servers: str, user: ScramUser, timeout: float = 2.0) -> bool:
    """Broker metadata is served to an authenticated client (SCRAM credentials are loaded, listener is up)."""
    return kafka_login(bootstrap_servers, user, timeout) == READY


Auth = tuple[str, str] | None


def http_ok(url: str, timeout: float = 2.0, ca_file: str | None = None, auth: Auth = None) -> bool:
    """A 200 to a GET; over HTTPS verified against `ca_file` (else the system's CAs), with basic `auth`."""
    try:
        return requests.get(url, timeout=timeout, verify=ca_file or True, auth=auth).status_code == 200
    except requests.RequestException:
        return False


def connect_ready(connect_url: str, ca_file: str | None = None, auth: Auth = None) -> bool:
    """`/health` (KIP-1017) turns 200 only once the worker has joined its group and read its config topic;
    `GET /` answers earlier, when a PUT of a connector would still fail."""
    return http_ok(f"{connect_url}/health", ca_file=ca_file, auth=auth) and \
        http_ok(f"{connect_url}/", ca_file=ca_file, auth=auth)


def _json(url: str, timeout: float = 2.0, ca_file: str | None = None, auth: Auth = None) -> Any:
    """The JSON answer of a GET, or None (no answer, an error status, not JSON)."""
    try:
        response = requests.get(url, timeout=timeout, verify=ca_file or True, auth=auth)
        return response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return None


def registry_ready(registry_url: str, ca_file: str | None = None, auth: Auth = None) -> bool:
    """The subject list answers, and where the registry reports its own readiness (Karapace, Confluent:
    `/_health` and `/master_available`) it says it is ready: a registry replaying its schemas answers
    `GET /subjects` early with an empty list."""
    if not isinstance(_json(f"{registry_url}/subjects", ca_file=ca_file, auth=auth), list):
        return False
    health = _json(f"{registry_url}/_health", ca_file=ca_file, auth=auth)
    if isinstance(health, dict) and isinstance(health.get("status"), dict) \
            and health["status"].get("schema_registry_ready") is False:
        return False
    master = _json(f"{registry_url}/master_available", ca_file=ca_file, auth=auth)
    return not (isinstance(master, dict) and master.get("master_available") is False)
