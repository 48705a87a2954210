"""Before anything changes: does every part of the pair answer the call its client really makes, with the
credentials and TLS settings it will use? An authenticated Kafka metadata request (DescribeCluster), a 200 from
the registry's `GET /subjects` and from Connect's `GET /connectors`. An open port is not enough: a 5xx, a 401/403,
a refused certificate or wrong SASL credentials each give one line naming the stack file, the cluster, the
endpoint, the cause (`authentication failed`, `certificate verify failed`, ...) and the key to fix."""
from __future__ import annotations

import re
import socket
import ssl
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import requests
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from kaa.clients.http_tls import HttpTls, tls_cause
from kaa.clients.pair_access import ClusterAccess, PairAccess
from kaa.errors import PreflightError
from kaa.redaction import scrub
from kaa.topology.model import Topology

WHAT = {"bootstrap_servers": "Kafka cluster", "schema_registry": "schema registry", "connect": "Kafka Connect"}
DETAIL_CHARS = 240


@dataclass(frozen=True)
class Failure:
    """Why a part failed: `fix` is a failure kind of pair_access.FIXES, or `address` (the stack's endpoint)."""

    cause: str
    fix: str = "address"


Probe = Callable[[], Failure | None]


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS] + "..."


def kafka_failure(messages: list[str], mechanism: str | None) -> Failure:
    """Classify what librdkafka said (its error callback's and the request's errors)."""
    messages = [re.sub(r" \(after \d+ms in state \w+\)", "", m) for m in messages]
    useful = [m for m in dict.fromkeys(messages) if m and "brokers are down" not in m and "Timed out" not in m]
    text = " | ".join(useful or [m for m in messages if m])
    lowered = text.lower()
    if "sasl.username" in lowered or "sasl.password" in lowered:
        return Failure(f"authentication failed: no SASL credentials ({_short(text)})", "kafka_auth")
    if "unsupported sasl mechanism" in lowered:
        return Failure(f"authentication failed: the broker refuses SASL {mechanism}: {_short(text)}", "mechanism")
    if "authentication" in lowered and ("fail" in lowered or "invalid" in lowered):
        return Failure(f"authentication failed (SASL {mechanism or 'PLAIN/SCRAM'}): {_short(text)}", "kafka_auth")
    if "certificate verify failed" in lowered or "could not be verified" in lowered or "ssl.ca.location" in lowered:
        return Failure(f"certificate verify failed: {_short(text)}", "kafka_ca")
    if "plaintext broker listener" in lowered:
        return Failure(f"TLS handshake failed: the listener does not speak TLS: {_short(text)}", "protocol")
    if "ssl" in lowered and any(w in lowered for w in ("handshake", "alert", "certificate", "key.location")):
        return Failure(f"TLS handshake failed: {_short(text)}", "kafka_cert")
    return Failure(f"no bootstrap server accepts connections ({_short(text) or 'no answer'})")


def probe_kafka(settings: dict[str, str], timeout: float) -> Failure | None:
    """None when the cluster answers an authenticated DescribeCluster, else why not. librdkafka reports SASL and
    TLS failures through its error callback and keeps retrying, so those end the wait at once."""
    errors: list[KafkaError] = []
    conf: dict[str, Any] = {**settings, "error_cb": errors.append, "log_level": 0,
                            "socket.timeout.ms": int(timeout * 1000), "reconnect.backoff.max.ms": 1000}
    mechanism = settings.get("sasl.mechanism")
    try:
        admin = AdminClient(conf)
    except (KafkaException, ValueError, TypeError) as exc:
        error = exc.args[0] if exc.args else exc
        detail = str(error.str() if isinstance(error, KafkaError) else error)
        if "ssl.key.location" in detail and (settings.get("ssl.key.password") or _encrypted_key(settings)):
            given = "the key password given" if settings.get("ssl.key.password") else "no key password"
            return Failure(f"the client key cannot be decrypted with {given} (wrong or missing ssl.key.password): "
                           f"{_short(detail)}", "kafka_key")
        failure = kafka_failure([f"the client settings are refused: {detail}"], mechanism)
        if failure.fix == "address":  # no answer was asked for: the settings themselves are wrong
            return Failure(f"the client settings are refused: {_short(detail)}", "kafka_cert")
        return failure
    future = admin.describe_cluster(request_timeout=timeout)
    deadline = time.monotonic() + timeout
    fatal = (KafkaError._AUTHENTICATION, KafkaError._SSL)  # noqa: SLF001 (librdkafka's own codes)
    while not future.done() and time.monotonic() < deadline:
        admin.poll(0.1)
        # a refused login or certificate does not heal by retrying: stop at the first one
        if any(e.code() in fatal or _refusal(e.str()) for e in errors):
            break
    if future.done() and future.exception() is None:
        return None
    messages = [e.str() for e in errors]
    if future.done():
        error = future.exception()
        reason = error.args[0] if isinstance(error, KafkaException) and error.args else error
        messages.append(reason.str() if isinstance(reason, KafkaError) else str(reason))
    failure = kafka_failure(messages, mechanism)
    if failure.fix == "kafka_ca":
        why = certificate_problem(settings, timeout)
        if why:
            return Failure(f"certificate verify failed: {why}", "kafka_ca")
    return failure


def _encrypted_key(settings: dict[str, str]) -> bool:
    """Whether the client key file is an encrypted PEM key (PKCS#8 `ENCRYPTED PRIVATE KEY` or a legacy
    `Proc-Type: 4,ENCRYPTED` block)."""
    try:
        head = Path(settings.get("ssl.key.location") or "").read_text(encoding="ascii", errors="replace")[:200]
    except OSError:
        return False
    return "ENCRYPTED" in head


def certificate_problem(settings: dict[str, str], timeout: float) -> str | None:
    """Why a broker's certificate does not verify (`certificate has expired`, `Hostname mismatch, ...`, `unable to
    get local issuer certificate`): librdkafka only says that it did not. A TLS handshake of our own with the same
    CA against the first bootstrap server that answers tells."""
    try:
        context = ssl.create_default_context(cafile=settings.get("ssl.ca.location") or None)
    except OSError:  # not a PEM file (librdkafka's error already says so)
        return None
    for server in settings.get("bootstrap.servers", "").split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as raw, \
                    context.wrap_socket(raw, server_hostname=host.strip("[]")):
                return None
        except ssl.SSLCertVerificationError as exc:
            return f"{exc.verify_message} ({server.strip()})"
        except (OSError, ValueError):
            continue
    return None


def _refusal(message: str) -> bool:
    lowered = message.lower()
    return "ssl" in lowered and ("alert" in lowered or "certificate" in lowered) or "authentication failed" in lowered


def probe_http(url: str, path: str, auth: tuple[str, str] | None, tls: HttpTls, timeout: float,
               auth_fix: str) -> Failure | None:
    """None when `GET url+path` answers 200 with these credentials, else why not."""
    try:
        response = requests.get(url.rstrip("/") + path, auth=auth, timeout=timeout, **tls.requests_options())
    except requests.exceptions.SSLError as exc:
        cause = tls_cause(exc) or f"TLS handshake failed ({type(exc).__name__})"
        return Failure(cause, "http_ca" if cause.startswith("certificate verify failed") else "http_cert")
    except (requests.RequestException, OSError) as exc:
        return Failure(f"{url.rstrip('/')}{path} did not answer ({type(exc).__name__})")
    status = response.status_code
    if status in (401, 403):
        sent = "with user " + repr(auth[0]) if auth else "without credentials"
        return Failure(f"authentication failed: GET {path} answered HTTP {status} {response.reason} ({sent})",
                       auth_fix)
    if status >= 500:
        return Failure(f"{url.rstrip('/')}{path} answered HTTP {status}: the service is up but failing")
    if status != 200:
        return Failure(f"{url.rstrip('/')}{path} answered HTTP {status}, not 200: is the URL right?")
    return None


def _fix_text(alias: str, side: ClusterAccess, failure: Failure) -> str:
    if failure.fix == "address":
        return "start it or fix the address"
    if failure.fix in ("mechanism", "protocol"):
        return f"fix clusters.{alias}.security." + ("sasl_mechanism" if failure.fix == "mechanism" else "protocol")
    return f"fix {side.fix.get(failure.fix, failure.fix)}"


def _endpoint(key: str, side: ClusterAccess) -> str:
    return {"bootstrap_servers": side.kafka.get("bootstrap.servers", ""), "schema_registry": side.schema_registry,
            "connect": side.connect}[key]


PART_KEYS = {"kafka": "bootstrap_servers", "registry": "schema_registry", "connect": "connect"}


@dataclass(frozen=True)
class Problem:
    alias: str
    key: str  # bootstrap_servers, schema_registry or connect
    failure: Failure
    line: str

    @property
    def settings(self) -> bool:
        """The part answers but refuses our credentials or certificates (not merely down)."""
        return self.failure.fix != "address"


def preflight(topology: Topology, access: PairAccess | None = None, timeout: float = 5.0,
              parts: tuple[str, ...] = tuple(PART_KEYS), aliases: tuple[str, ...] | None = None) -> list[Problem]:
    """Probe `parts` (kafka, registry, connect) of each cluster in parallel with the credentials of `access`
    (default: the environment's, PairAccess.from_env); one Problem per part that fails."""
    access = access if access is not None else PairAccess.from_env(topology)
    probes: list[tuple[str, str, Probe]] = []
    for alias in aliases or topology.aliases:
        side = access[alias]
        candidates = {
            "kafka": partial(probe_kafka, dict(side.kafka), timeout),
            "registry": partial(probe_http, side.schema_registry, "/subjects", side.registry_auth, side.http_tls,
                                timeout, "registry_auth"),
            "connect": partial(probe_http, side.connect, "/connectors", side.connect_auth, side.http_tls, timeout,
                               "connect_auth"),
        }
        probes += [(alias, PART_KEYS[part], candidates[part]) for part in PART_KEYS if part in parts]
    if not probes:
        return []
    with ThreadPoolExecutor(max_workers=len(probes)) as pool:
        results = list(pool.map(lambda p: p[2](), probes))
    problems = []
    for (alias, key, _), failure in zip(probes, results, strict=True):
        if failure is None:
            continue
        side = access[alias]
        where = "" if failure.fix == "address" else f" at {_endpoint(key, side)}"
        problems.append(Problem(alias, key, failure, (
            f"{topology.source_file}: clusters.{alias}.{key}: the {WHAT[key]} of {alias}{where} cannot be "
            f"reached: {failure.cause}; {_fix_text(alias, side, failure)} (nothing was changed)")))
    return problems


def unreachable_parts(topology: Topology, access: PairAccess | None = None, timeout: float = 5.0) -> list[str]:
    """Every part that does not answer its authenticated call, one line each:
    `<file>: clusters.<alias>.<key>: the <part> of <alias> [at <endpoint>] cannot be reached: <cause>; <fix>
    (nothing was changed)`."""
    return [p.line for p in preflight(topology, access, timeout)]


def refuse_bad_settings(topology: Topology, access: PairAccess, parts: tuple[str, ...] = tuple(PART_KEYS),
                        timeout: float = 10.0, aliases: tuple[str, ...] | None = None) -> None:
    """Raise PreflightError (exit 2), one line per part, when a part refuses our credentials or certificates.
    A part that is merely down is left to the command (drift reports it beside the rest; failover exists for
    it)."""
    refused = [p.line for p in preflight(topology, access, timeout, parts, aliases) if p.settings]
    if refused:
        raise PreflightError("\n".join(scrub(line, access.secrets()) for line in refused))
