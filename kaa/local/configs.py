"""Configuration of each local process, as plain data (no I/O), so it can be read and tested on its own.

Single-node choices: replication factor 1 everywhere, no rebalance delay, no auto-created topics (the
toolkit must create every topic it relies on, as on a real cluster).
"""

from __future__ import annotations

from pathlib import Path

from kaa.local.endpoints import ClusterEndpoints
from kaa.local.local_users import ADMIN, CONNECT, CONNECT_REST, MECHANISM, REGISTRY_REST, USERS, ScramUser
from kaa.local.tls_material import TlsFiles

AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
BYTE_ARRAY_CONVERTER = "org.apache.kafka.connect.converters.ByteArrayConverter"
CONNECT_INTERNAL_TOPICS = {
    "config": "mm2-connect-configs-internal",
    "offset": "mm2-connect-offsets-internal",
    "status": "mm2-connect-status-internal",
}
# The controller listener is PLAINTEXT (KRaft cannot use SCRAM there: the credentials live in the metadata it
# serves), so the broker reaches its own controller as ANONYMOUS. It binds to loopback only.
SUPER_USERS = (ADMIN.principal, CONNECT.principal, "User:ANONYMOUS")
# The mTLS listener's principal is the client certificate's CN (`CN=admin,OU=...,O=...` -> User:admin).
MTLS_PRINCIPAL_RULES = "RULE:^CN=([^,]+),.*$/$1/,DEFAULT"
BASIC_AUTH_EXTENSION = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"
CONNECT_LOGIN_MODULE = "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule"

# Kafka 4.1's ScramDelta.apply drops every credential of a mechanism when one metadata delta removes a user
# before it has re-added the others (HashMap order of the user names). A restart replays the metadata log from
# the latest snapshot; with none yet, from offset 0 in one delta whose base holds no SCRAM users, so one earlier
# `RemoveUserScramCredentialRecord` (a test's or `pulumi destroy`'s user) can wipe admin and connect from the
# restarted broker (docs/local-pair.md). A snapshot holding them is a safe base: take one within seconds of any
# change instead of after an hour, and keep the metadata log and its snapshots small.
METADATA_SNAPSHOT_INTERVAL_MS = 10_000
METADATA_RETENTION_BYTES = 16 * 1024 * 1024

HEAP = {"kafka": "512m", "connect": "512m", "registry": "384m"}
# Six JVMs share two cores: small initial heaps, G1 tuned for short pauses, fail fast on OOM, and the C1 JIT
# only (measured here: the pair starts about a third faster and uses ~10% less memory; test loads are tiny).
C1_ONLY = "-XX:TieredStopAtLevel=1"
JVM_COMMON = (
    "-Xms64m",
    C1_ONLY,
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)

def broker_properties(cluster: ClusterEndpoints, data_dir: Path, tls: TlsFiles | None = None) -> dict[str, str]:
    """A combined broker+controller: SASL_PLAINTEXT/SCRAM for clients, PLAINTEXT controller on port + 1.
    With `tls`: SASL_SSL/SCRAM for clients and an mTLS listener on port + 2 (`tls_broker_properties`)."""
    props = _plain_broker_properties(cluster, data_dir)
    return {**props, **tls_broker_properties(cluster, tls)} if tls else props


def tls_broker_properties(cluster: ClusterEndpoints, tls: TlsFiles) -> dict[str, str]:
    """The TLS pair's listeners: CLIENT is SASL_SSL (SCRAM; also the inter-broker listener, so the broker trusts
    its own CA), MTLS is SSL with a required client certificate. The controller stays PLAINTEXT on loopback."""
    host = cluster.host
    return {
        "listeners": f"CLIENT://{host}:{cluster.kafka_port},MTLS://{host}:{cluster.mtls_port},"
                     f"CONTROLLER://{host}:{cluster.controller_port}",
        "advertised.listeners": f"CLIENT://{host}:{cluster.kafka_port},MTLS://{host}:{cluster.mtls_port}",
        "listener.security.protocol.map": "CLIENT:SASL_SSL,MTLS:SSL,CONTROLLER:PLAINTEXT",
        # SASL PLAIN over TLS as well (static users, the same local passwords): estates that use PLAIN are proven
        # here too; the broker itself logs in with SCRAM.
        "sasl.enabled.mechanisms": f"{MECHANISM},PLAIN",
        "listener.name.client.plain.sasl.jaas.config": plain_jaas(USERS),
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": str(tls.server_keystore),
        "ssl.keystore.password": tls.keystore_password,
        "ssl.key.password": tls.keystore_password,
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(tls.ca),
        "ssl.endpoint.identification.algorithm": "https",
        "listener.name.mtls.ssl.client.auth": "required",
        "ssl.principal.mapping.rules": MTLS_PRINCIPAL_RULES,
    }


def plain_jaas(users: tuple[ScramUser, ...]) -> str:
    """The broker side of SASL PLAIN: its own login and one `user_<name>` entry per user."""
    entries = " ".join(f'user_{u.name}="{u.password}"' for u in users)
    return (f'org.apache.kafka.common.security.plain.PlainLoginModule required username="{ADMIN.name}" '
            f'password="{ADMIN.password}" {entries};')


def _plain_broker_properties(cluster: ClusterEndpoints, data_dir: Path) -> dict[str, str]:
    host = cluster.host
    return {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"{host}:{cluster.controller_port}",
        "controller.listener.names": "CONTROLLER",
        "listeners": f"CLIENT://{host}:{cluster.kafka_port},CONTROLLER://{host}:{cluster.controller_port}",
        "advertised.listeners": f"CLIENT://{host}:{cluster.kafka_port}",
        "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "CLIENT",
        "sasl.enabled.mechanisms": MECHANISM,
        "sasl.mechanism.inter.broker.protocol": MECHANISM,
        f"listener.name.client.{MECHANISM.lower()}.sasl.jaas.config": ADMIN.jaas(),
        "authorizer.class.name": AUTHORIZER,
        "allow.everyone.if.no.acl.found": "false",
        "super.users": ";".join(SUPER_USERS),
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
        "metadata.log.max.snapshot.interval.ms": str(METADATA_SNAPSHOT_INTERVAL_MS),
        "metadata.max.retention.bytes": str(METADATA_RETENTION_BYTES),
    }

def storage_format_args(config_file: Path, cluster_id: str, users: tuple[ScramUser, ...] = USERS) -> list[str]:
    """`kafka.tools.StorageTool format` as a single-node dynamic quorum, with the SCRAM users pre-created."""
    args = ["format", "--config", str(config_file), "--cluster-id", cluster_id, "--standalone"]
    for user in users:
        args += ["--add-scram", f"{MECHANISM}=[name={user.name},password={user.password}]"]
    return args

def connect_properties(cluster: ClusterEndpoints, tls: TlsFiles | None = None) -> dict[str, str]:
    """A distributed worker on its own cluster as `connect`; connectors may override their clients' settings
    (`connector.client.config.override.policy=All`) so MM2 connectors run as the MM2 principal.
    With `tls`: its clients speak SASL_SSL verifying the CA, and its REST API is HTTPS with basic auth."""
    props = {
        "bootstrap.servers": cluster.bootstrap_servers,
        "group.id": f"mm2-connect-{cluster.alias.lower()}",
        "config.storage.topic": CONNECT_INTERNAL_TOPICS["config"],
        "offset.storage.topic": CONNECT_INTERNAL_TOPICS["offset"],
        "status.storage.topic": CONNECT_INTERNAL_TOPICS["status"],
        "config.storage.replication.factor": "1",
        "offset.storage.replication.factor": "1",
        "status.storage.replication.factor": "1",
        "key.converter": BYTE_ARRAY_CONVERTER,
        "value.converter": BYTE_ARRAY_CONVERTER,
        "header.converter": BYTE_ARRAY_CONVERTER,
        "connector.client.config.override.policy": "All",
        "offset.flush.interval.ms": "5000",
        # One worker per Connect cluster: when a broker restart costs the worker its membership, waiting for a
        # "lost" member to come back (default 5 min) only leaves its connectors UNASSIGNED; reassign at once.
        "scheduled.rebalance.max.delay.ms": "0",
        "listeners": f"http://{cluster.host}:{cluster.connect_port}",
        "rest.advertised.host.name": cluster.host,
        "rest.advertised.port": str(cluster.connect_port),
        # Every plugin (the Mirror*Connectors included) is on the classpath with a ServiceLoader manifest:
        # no slow reflective scan.
        "plugin.discovery": "service_load",
    }
    ca_file = str(tls.ca) if tls else None
    for prefix in ("", "producer.", "consumer.", "admin."):
        for key, value in CONNECT.java_client_settings(ca_file).items():
            props[prefix + key] = value
    if tls:
        props.update({
            "listeners": f"https://{cluster.host}:{cluster.connect_port}",
            "rest.advertised.listener": "https",
            "listeners.https.ssl.keystore.type": "PKCS12",
            "listeners.https.ssl.keystore.location": str(tls.server_keystore),
            "listeners.https.ssl.keystore.password": tls.keystore_password,
            "listeners.https.ssl.key.password": tls.keystore_password,
            "rest.extension.classes": BASIC_AUTH_EXTENSION,
        })
    return props


def connect_jaas(password_file: Path) -> str:
    """The JAAS file BasicAuthSecurityRestExtension reads (`-Djava.security.auth.login.config`)."""
    return f'KafkaConnect {{\n  {CONNECT_LOGIN_MODULE} required\n  file="{password_file}";\n}};\n'


def connect_rest_users() -> str:
    """PropertyFileLoginModule's user file: `name: password` per line."""
    return f"{CONNECT_REST.name}: {CONNECT_REST.password}\n"


def registry_tls_properties(cluster: ClusterEndpoints, tls: TlsFiles) -> dict[str, str]:
    """Quarkus settings for the TLS pair's registry, written to <cwd>/config/application.properties (kept out
    of the command line, which any local user can read): HTTPS only with the pair's server certificate, and
    HTTP basic auth against the embedded user realm for every path, the Confluent API under /apis/ccompat/v7
    included. Apicurio 3 builds with `quarkus.security.users.embedded.enabled=true`."""
    return {
        "quarkus.http.ssl-port": str(cluster.registry_port),
        "quarkus.http.insecure-requests": "disabled",
        "quarkus.http.ssl.certificate.files": str(tls.server_cert),
        "quarkus.http.ssl.certificate.key-files": str(tls.server_key),
        # The management interface (health, metrics; Apicurio builds it in, so it cannot be switched off at run
        # time) serves HTTPS with the same certificate, on loopback like the rest.
        "quarkus.management.ssl.certificate.files": str(tls.server_cert),
        "quarkus.management.ssl.certificate.key-files": str(tls.server_key),
        "quarkus.http.auth.basic": "true",
        "quarkus.security.users.embedded.enabled": "true",
        "quarkus.security.users.embedded.plain-text": "true",
        f"quarkus.security.users.embedded.users.{REGISTRY_REST.name}": REGISTRY_REST.password,
        f"quarkus.security.users.embedded.roles.{REGISTRY_REST.name}": "sr-admin",
        "quarkus.http.auth.permission.everything.paths": "/*",
        "quarkus.http.auth.permission.everything.policy": "authenticated",
    }

def registry_system_properties(cluster: ClusterEndpoints, db_file: Path, tmp_dir: Path,
                               tls: bool = False) -> dict[str, str]:
    """Apicurio Registry 3 as a Confluent-compatible registry with a persistent H2 file database.

    `legacy-id-mode` off: the ccompat `id` is Apicurio's contentId, i.e. the Confluent schema ID that serializers
    put in the wire format: global, and one schema text registered under two subjects keeps one id.
    Differences from Confluent/Karapace that the toolkit's ID-parity check must live with:
    - ids are not dense: registering an existing schema under another subject uses up a contentId;
    - with H2 the counter lives in memory and restarts at max(contentId), so a restart reuses those numbers:
      two registries stay in step only if they get the same writes in the same order and restart together;
    - PUT /mode IMPORT is accepted but an explicit `id` on register is ignored;
    - the default compatibility is NONE (Confluent: BACKWARD); the toolkit sets it per subject.
    `use-canonical-hash` on: lookups compare canonical schemas, as Confluent does. Registration across subjects
    still compares the exact text, so the toolkit must send byte-identical schema text to both registries.
    """
    return {
        "quarkus.http.host": cluster.host,
        # The TLS pair serves HTTPS on the registry port (`registry_tls_properties`) and no plain HTTP.
        "quarkus.http.port": str(cluster.registry_port + 2 if tls else cluster.registry_port),
        "quarkus.management.host": cluster.host,
        "quarkus.management.port": str(cluster.registry_management_port),
        "quarkus.http.access-log.enabled": "false",
        "quarkus.log.console.format": "%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p [%c{3.}] (%t) %s%e%n",
        "apicurio.storage.kind": "sql",
        "apicurio.storage.sql.kind": "h2",
        "apicurio.datasource.url": f"jdbc:h2:file:{db_file}",
        "apicurio.datasource.jdbc.initial-size": "2",
        "apicurio.datasource.jdbc.min-size": "2",
        "apicurio.datasource.jdbc.max-size": "10",
        "apicurio.ccompat.legacy-id-mode.enabled": "false",
        "apicurio.ccompat.use-canonical-hash": "true",
        "apicurio.storage.snapshot.location": str(tmp_dir),
        "apicurio.import.work-dir": str(tmp_dir),
        "java.io.tmpdir": str(tmp_dir),
    }

def log4j2_properties() -> str:
    """INFO to stdout (which `up` sends to the service's log file), minus the chattiest loggers."""
    quiet = {
        "state.change.logger": "WARN",
        "kafka.request.logger": "WARN",
        "kafka.log.LogCleaner": "WARN",
        "org.apache.kafka.clients.producer.ProducerConfig": "WARN",
        "org.apache.kafka.clients.consumer.ConsumerConfig": "WARN",
        "org.apache.kafka.clients.admin.AdminClientConfig": "WARN",
        "org.apache.kafka.common.utils.AppInfoParser": "WARN",
        "org.apache.kafka.common.metrics": "WARN",
        "org.apache.kafka.common.config.AbstractConfig": "WARN",
        "org.apache.kafka.clients.consumer.internals.SubscriptionState": "WARN",
        "org.apache.kafka.connect.runtime.isolation": "WARN",
        "org.apache.kafka.connect.runtime.WorkerInfo": "WARN",
        "org.reflections": "ERROR",
        "org.eclipse.jetty": "WARN",
    }
    lines = [
        "status = warn",
        "name = kaa-local",
        "appender.out.type = Console",
        "appender.out.name = STDOUT",
        "appender.out.layout.type = PatternLayout",
        "appender.out.layout.pattern = [%d] %p %m (%c)%n",
        "rootLogger.level = INFO",
        "rootLogger.appenderRef.out.ref = STDOUT",
    ]
    for index, (name, level) in enumerate(quiet.items()):
        lines += [f"logger.q{index}.name = {name}", f"logger.q{index}.level = {level}"]
    return "\n".join(lines) + "\n"

def render_properties(props: dict[str, str], header: str) -> str:
    """A .properties file; values with backslashes are escaped so Java reads them back unchanged."""
    lines = [f"# {header}", "# Generated by `kaa local up`: edits are overwritten on the next start."]
    lines += [f"{key}={value.replace(chr(92), chr(92) * 2)}" for key, value in props.items()]
    return "\n".join(lines) + "\n"
