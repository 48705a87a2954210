"""How the toolkit reaches a pair outside Pulumi: Kafka admin settings (SASL, TLS), the registry's and Connect's
URLs with their basic auth and TLS files, the MM2 password. Built from `kaa local status --json` for the local
pair, or for a real estate from Pulumi config `credentials.<alias>.*` and environment variables (which win):

    setting                                  environment (KAA_<ALIAS>_...)   Pulumi config credentials.<alias>.
    Kafka admin SASL user / password         ADMIN_USERNAME / ADMIN_PASSWORD adminUsername / adminPassword
    MM2 principal's password                 MM2_PASSWORD                    mm2Password
    Kafka CA (ssl.ca.location)               KAFKA_CA_FILE                   kafkaCaFile  (default: the stack's
                                                                             security.ssl_truststore)
    Kafka client cert / key (mutual TLS)     KAFKA_CERT_FILE / KAFKA_KEY_FILE kafkaCertFile / kafkaKeyFile  (default:
                                                                             security.ssl_client_cert / _key)
    Kafka client key's password              KAFKA_KEY_PASSWORD              kafkaKeyPassword
    registry basic auth user / password      REGISTRY_USERNAME / _PASSWORD   registryUsername / registryPassword
    Connect basic auth user / password       CONNECT_USERNAME / _PASSWORD    connectUsername / connectPassword
    CA of the registry's and Connect's HTTPS HTTP_CA_FILE                    httpCaFile  (default: the stack's
                                                                             security.http_ca, else ssl_truststore)
    HTTPS client cert / key (mutual TLS)     HTTP_CERT_FILE / HTTP_KEY_FILE  httpCertFile / httpKeyFile

Each access remembers where each setting came from (`fix`), so a failure names the key to change.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaa.clients.connect_client import ConnectClient
from kaa.clients.http_tls import HttpTls
from kaa.clients.registry_client import RegistryClient
from kaa.errors import SpecError
from kaa.redaction import mask, secret_values
from kaa.topology.model import Cluster, Topology

# setting -> (environment suffix, Pulumi config key under credentials.<alias>)
SETTINGS: dict[str, tuple[str, str]] = {
    "admin_username": ("ADMIN_USERNAME", "adminUsername"),
    "admin_password": ("ADMIN_PASSWORD", "adminPassword"),
    "mm2_password": ("MM2_PASSWORD", "mm2Password"),
    "kafka_ca_file": ("KAFKA_CA_FILE", "kafkaCaFile"),
    "kafka_cert_file": ("KAFKA_CERT_FILE", "kafkaCertFile"),
    "kafka_key_file": ("KAFKA_KEY_FILE", "kafkaKeyFile"),
    "kafka_key_password": ("KAFKA_KEY_PASSWORD", "kafkaKeyPassword"),
    "registry_username": ("REGISTRY_USERNAME", "registryUsername"),
    "registry_password": ("REGISTRY_PASSWORD", "registryPassword"),
    "connect_username": ("CONNECT_USERNAME", "connectUsername"),
    "connect_password": ("CONNECT_PASSWORD", "connectPassword"),
    "http_ca_file": ("HTTP_CA_FILE", "httpCaFile"),
    "http_cert_file": ("HTTP_CERT_FILE", "httpCertFile"),
    "http_key_file": ("HTTP_KEY_FILE", "httpKeyFile"),
}
# what a failure of each kind asks the user to fix, by the settings behind it
FIXES = {
    "kafka_auth": ("admin_username", "admin_password"),
    "kafka_ca": ("kafka_ca_file",),
    "kafka_cert": ("kafka_cert_file", "kafka_key_file"),
    "kafka_key": ("kafka_key_password",),
    "registry_auth": ("registry_username", "registry_password"),
    "connect_auth": ("connect_username", "connect_password"),
    "http_ca": ("http_ca_file",),
    "http_cert": ("http_cert_file", "http_key_file"),
}


def env_name(alias: str, setting: str) -> str:
    return f"KAA_{alias.upper()}_{SETTINGS[setting][0]}"


def config_name(alias: str, setting: str) -> str:
    return f"credentials.{alias}.{SETTINGS[setting][1]}"


def _basic(user: str, password: str) -> tuple[str, str] | None:
    return (user, password) if user or password else None


def admin_settings(cluster: Cluster, username: str | None, password: str | None) -> dict[str, str]:
    """librdkafka admin settings for `cluster` from its security block and the admin credentials: the one place
    that maps `security` (protocol, SASL mechanism, CA, client certificate) to client settings, for `kaa` commands,
    the ACL sets and the MM2 leftovers."""
    security = cluster.security
    kafka = {"bootstrap.servers": cluster.bootstrap, "security.protocol": security.protocol}
    if security.uses_sasl:
        kafka["sasl.mechanism"] = security.sasl_mechanism or "SCRAM-SHA-512"
        kafka["sasl.username"] = username or ""
        kafka["sasl.password"] = password or ""
    for key, path in (("ssl.ca.location", security.ssl_truststore),
                      ("ssl.certificate.location", security.ssl_client_cert),
                      ("ssl.key.location", security.ssl_client_key)):
        if path:
            kafka[key] = path
    return kafka


def keystore_part(cluster: Cluster, part: str, key_password: str | None) -> str:
    """One part of `cluster`'s MM2 PEM keystore (`kaa.mirror.mm2_settings` TLS placeholders) as its value: the
    client certificate's and key's file contents, or the key's password. A secret: callers keep it in secret
    outputs or in memory, never print it. A file that cannot be read, or an encrypted key without its password,
    is a `SpecError` naming the stack key."""
    alias, sec = cluster.alias, cluster.security
    if part == "key_password":
        if not key_password:
            raise SpecError([f"clusters.{alias}.security.ssl_client_key_encrypted: the key's password is not set; "
                             f"set {env_name(alias, 'kafka_key_password')} or Pulumi config "
                             f"{config_name(alias, 'kafka_key_password')} (--secret)"])
        return key_password
    key = "ssl_client_cert" if part == "certificate" else "ssl_client_key"
    path = getattr(sec, key)
    try:
        return Path(str(path)).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([f"clusters.{alias}.security.{key}: cannot read {path}: "
                         f"{getattr(exc, 'strerror', None) or exc}; fix the path or the file's permissions"]) from None


@dataclass(frozen=True)
class ClusterAccess:
    kafka: Mapping[str, str]  # librdkafka-style admin settings (bootstrap.servers, security.protocol, sasl.*, ssl.*)
    schema_registry: str
    connect: str
    mm2_password: str = ""
    registry_auth: tuple[str, str] | None = None  # HTTP basic auth (user, password)
    connect_auth: tuple[str, str] | None = None
    http_tls: HttpTls = HttpTls()  # CA and client certificate for the registry's and Connect's HTTPS
    fix: Mapping[str, str] = field(default_factory=dict)  # failure kind (FIXES) -> the key(s) to change

    def registry_client(self, alias: str | None = None, **options: Any) -> RegistryClient:
        return RegistryClient(self.schema_registry, self.registry_auth, alias=alias, tls=self.http_tls, **options)

    def connect_client(self, **options: Any) -> ConnectClient:
        return ConnectClient(self.connect, self.connect_auth, tls=self.http_tls, **options)

    def secrets(self) -> list[str]:
        """Every secret value this access holds (to scrub them from whatever is printed)."""
        out = secret_values(self.kafka)
        out += [self.mm2_password] + [a[1] for a in (self.registry_auth, self.connect_auth) if a]
        return [s for s in out if s]

    def redacted(self) -> dict[str, Any]:
        return {
            "kafka": {k: mask(k, v) for k, v in self.kafka.items()},
            "schema_registry": self.schema_registry,
            "connect": self.connect,
            "registry_auth": self.registry_auth[0] + ":***" if self.registry_auth else None,
            "connect_auth": self.connect_auth[0] + ":***" if self.connect_auth else None,
            "http_tls": vars(self.http_tls),
        }


def _status_fix(alias: str) -> dict[str, str]:
    where = f"the local pair's state (`kaa local status --json`, clusters.{alias})"
    return {kind: where for kind in FIXES}


def _user_password(entry: Any) -> tuple[str, str] | None:
    if not isinstance(entry, Mapping):
        return None
    return _basic(str(entry.get("username") or ""), str(entry.get("password") or ""))


@dataclass(frozen=True)
class PairAccess:
    clusters: Mapping[str, ClusterAccess] = field(default_factory=dict)

    def __getitem__(self, alias: str) -> ClusterAccess:
        return self.clusters[alias]

    def secrets(self) -> list[str]:
        return [s for side in self.clusters.values() for s in side.secrets()]

    @classmethod
    def from_status(cls, status: Mapping[str, Any], mm2_passwords: Mapping[str, str]) -> PairAccess:
        """From the `kaa local status --json` document: per cluster `kafka` (librdkafka settings),
        `schema_registry` and `connect` URLs, and where the pair has them `schema_registry_auth` / `connect_auth`
        ({username, password}), `ca_file` or `http_tls` ({ca_file, cert_file, key_file}). An HTTPS pair without
        either is verified against its Kafka CA (`kafka.ssl.ca.location`): one local CA signs every part."""
        out = {}
        for alias, entry in status["clusters"].items():
            kafka = dict(entry["kafka"])
            tls = entry.get("http_tls") or {}
            ca = tls.get("ca_file") or entry.get("ca_file") or kafka.get("ssl.ca.location", "")
            http_tls = HttpTls(str(ca),
                               str(tls.get("cert_file") or ""), str(tls.get("key_file") or ""))
            out[alias] = ClusterAccess(kafka, entry["schema_registry"], entry["connect"], mm2_passwords.get(alias, ""),
                                       _user_password(entry.get("schema_registry_auth") or entry.get("registry_auth")),
                                       _user_password(entry.get("connect_auth")), http_tls, _status_fix(alias))
        return cls(out)

    @classmethod
    def from_env(cls, topology: Topology, environ: Mapping[str, str] | None = None) -> PairAccess:
        """From the environment (KAA_<ALIAS>_*, see the module's table) and the stack's endpoints."""
        return cls.from_config(topology, {}, os.environ if environ is None else environ)

    @classmethod
    def from_config(cls, topology: Topology, credentials: Mapping[str, Any],
                    environ: Mapping[str, str] | None = None) -> PairAccess:
        """From Pulumi config `credentials` (the plain object; `credentials.<alias>.<key>`), each setting
        overridden by its environment variable where that is set."""
        env = os.environ if environ is None else environ
        return cls({c.alias: _cluster_access(c, (credentials or {}).get(c.alias) or {}, env)
                    for c in topology.clusters})


def _cluster_access(cluster: Cluster, config: Mapping[str, Any], env: Mapping[str, str]) -> ClusterAccess:
    alias = cluster.alias
    values: dict[str, str] = {}
    origin: dict[str, str] = {}
    for setting in SETTINGS:
        if env.get(env_name(alias, setting)):
            values[setting], origin[setting] = env[env_name(alias, setting)], env_name(alias, setting)
        elif config.get(SETTINGS[setting][1]):
            values[setting], origin[setting] = str(config[SETTINGS[setting][1]]), config_name(alias, setting)
    # Files the stack itself names are the defaults (settings above win): Kafka's CA and client certificate,
    # and the HTTPS CA (security.http_ca, else the brokers' CA).
    for setting, key, path in (("kafka_ca_file", "ssl_truststore", cluster.security.ssl_truststore),
                               ("kafka_cert_file", "ssl_client_cert", cluster.security.ssl_client_cert),
                               ("kafka_key_file", "ssl_client_key", cluster.security.ssl_client_key),
                               ("http_ca_file", "http_ca" if cluster.security.http_ca else "ssl_truststore",
                                cluster.security.http_verify)):
        if setting not in values and path:
            values[setting], origin[setting] = path, f"clusters.{alias}.security.{key}"
    kafka = admin_settings(cluster, values.get("admin_username", ""), values.get("admin_password", ""))
    for setting, key in (("kafka_ca_file", "ssl.ca.location"), ("kafka_cert_file", "ssl.certificate.location"),
                         ("kafka_key_file", "ssl.key.location"), ("kafka_key_password", "ssl.key.password")):
        if values.get(setting):
            kafka[key] = values[setting]
    fix = {
        kind: " / ".join(origin.get(s) or f"{env_name(alias, s)} (or Pulumi config {config_name(alias, s)})"
                         for s in settings)
        for kind, settings in FIXES.items()
    }
    if "kafka_ca_file" not in origin:
        fix["kafka_ca"] = f"clusters.{alias}.security.ssl_truststore (or {env_name(alias, 'kafka_ca_file')})"
    return ClusterAccess(
        kafka, cluster.schema_registry, cluster.connect, values.get("mm2_password", ""),
        _basic(values.get("registry_username", ""), values.get("registry_password", "")),
        _basic(values.get("connect_username", ""), values.get("connect_password", "")),
        HttpTls(values.get("http_ca_file", ""), values.get("http_cert_file", ""), values.get("http_key_file", "")),
        fix,
    )
