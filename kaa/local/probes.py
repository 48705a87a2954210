"""Health probes: a service counts as up only when it answers the way its clients will use it."""

from __future__ import annotations

import logging
from typing import Any

import requests
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from kaa.local.local_users import ScramUser

# librdkafka prints every refused connection to stderr while a broker starts; send them nowhere instead.
_QUIET = logging.getLogger("kaa.local.librdkafka")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


def kafka_ready(bootstrap_servers: str, user: ScramUser, timeout: float = 2.0) -> bool:
    """Broker metadata is served to an authenticated client (SCRAM credentials are loaded, listener is up)."""
    config: dict[str, Any] = dict(user.librdkafka_settings(bootstrap_servers))
    config["logger"] = _QUIET
    config["socket.connection.setup.timeout.ms"] = int(timeout * 1000)
    try:
        metadata = AdminClient(config).list_topics(timeout=timeout)
    except KafkaException:
        return False
    return bool(metadata.brokers)


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        return requests.get(url, timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


def connect_ready(connect_url: str) -> bool:
    """`/health` (KIP-1017) turns 200 only once the worker has joined its group and read its config topic;
    `GET /` answers earlier, when a PUT of a connector would still fail."""
    return http_ok(f"{connect_url}/health") and http_ok(f"{connect_url}/")


def registry_ready(registry_url: str) -> bool:
    return http_ok(f"{registry_url}/subjects")
