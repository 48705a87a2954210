"""The six processes of the pair: where each keeps its files, how it is launched and how it is probed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kaa.local import configs, probes
from kaa.local.endpoints import ClusterEndpoints
from kaa.local.local_users import ADMIN, CONNECT_REST, REGISTRY_REST
from kaa.local.process import marker_arg
from kaa.local.runtime import Runtime
from kaa.local.tls_material import TlsFiles

# Start order; `down` stops in reverse.
SERVICE_NAMES = ("kafka", "connect", "registry")
KAFKA_MAIN = "kafka.Kafka"
STORAGE_TOOL_MAIN = "kafka.tools.StorageTool"
CONNECT_MAIN = "org.apache.kafka.connect.cli.ConnectDistributed"


@dataclass(frozen=True)
class Service:
    """One process of one cluster; its files live in <state>/<alias>/<name>/."""

    cluster: ClusterEndpoints
    name: str
    directory: Path
    tls: TlsFiles | None = None  # the TLS pair's certificates; None for the plaintext pair

    @property
    def key(self) -> str:
        return f"{self.cluster.alias} {self.name}"

    @property
    def marker(self) -> str:
        """Identifies this process on its command line: the state folder is unique per pair and service."""
        return str(self.directory)

    @property
    def port(self) -> int:
        ports = {
            "kafka": self.cluster.kafka_port,
            "connect": self.cluster.connect_port,
            "registry": self.cluster.registry_port,
        }
        return ports[self.name]

    @property
    def ports(self) -> tuple[int, ...]:
        """Every port the process binds, all checked free before a start."""
        extra = {
            "kafka": (self.cluster.controller_port, *((self.cluster.mtls_port,) if self.tls else ())),
            "registry": (self.cluster.registry_management_port,),
        }
        return (self.port, *extra.get(self.name, ()))

    @property
    def log_file(self) -> Path:
        return self.directory / f"{self.name}.log"

    @property
    def pid_file(self) -> Path:
        return self.directory / f"{self.name}.pid"

    @property
    def config_file(self) -> Path:
        return self.directory / f"{self.name}.properties"

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    @property
    def jaas_file(self) -> Path:
        """Connect on the TLS pair: the JAAS file of its REST API's basic auth."""
        return self.directory / "rest-jaas.conf"

    @property
    def rest_users_file(self) -> Path:
        return self.directory / "rest-users.properties"

    @property
    def quarkus_config_file(self) -> Path:
        """The registry on the TLS pair: Quarkus reads <cwd>/config/application.properties at start."""
        return self.directory / "config" / "application.properties"

    def probe(self) -> str:
        """probes.READY, probes.DOWN, or (kafka only) probes.REFUSED: up, but the admin's SCRAM login fails.
        On the TLS pair every probe verifies the pair's CA and logs in as a client would."""
        ca = str(self.tls.ca) if self.tls else None
        if self.name == "kafka":
            return probes.kafka_login(self.cluster.bootstrap_servers, ADMIN, ca_file=ca)
        if self.name == "connect":
            ok = probes.connect_ready(self.cluster.connect_url, ca, CONNECT_REST.auth if ca else None)
        else:
            ok = probes.registry_ready(self.cluster.registry_url, ca, REGISTRY_REST.auth if ca else None)
        return probes.READY if ok else probes.DOWN

    def healthy(self) -> bool:
        return self.probe() == probes.READY


def _jvm(java: str, service: Service, log4j2_file: Path, full_jit: bool, heap: str | None) -> list[str]:
    return [
        java,
        f"-Xmx{heap or configs.HEAP[service.name]}",
        *(flag for flag in configs.JVM_COMMON if not (full_jit and flag == configs.C1_ONLY)),
        f"-Dlog4j2.configurationFile={log4j2_file}",
        marker_arg(service.marker),
    ]


def launch_command(service: Service, runtime: Runtime, java: str, log4j2_file: Path, full_jit: bool = False,
                   heap: str | None = None) -> list[str]:
    """The full command line; every setting that matters is in it or in the service's generated config file.
    `full_jit` keeps the JVM's optimising compiler (C2), as a production server runs: slower to start, faster
    once warm. `heap` replaces the service's default maximum heap (`configs.HEAP`)."""
    if service.name == "kafka":
        return [*_jvm(java, service, log4j2_file, full_jit, heap), "-cp", runtime.kafka_classpath, KAFKA_MAIN,
                str(service.config_file)]
    if service.name == "connect":
        tls_args = [f"-Djava.security.auth.login.config={service.jaas_file}"] if service.tls else []
        classpath = runtime.kafka_classpath
        if service.tls:
            classpath += f":{runtime.connect_basic_auth_jar}"
        return [
            *_jvm(java, service, log4j2_file, full_jit, heap),
            *tls_args,
            "-cp",
            classpath,
            CONNECT_MAIN,
            str(service.config_file),
        ]
    props = configs.registry_system_properties(
        service.cluster, service.data_dir / "registry", service.directory / "tmp", tls=service.tls is not None
    )
    return [
        *_jvm(java, service, log4j2_file, full_jit, heap),
        *(f"-D{key}={value}" for key, value in props.items()),
        "-jar",
        str(runtime.apicurio_jar),
    ]


def format_command(service: Service, runtime: Runtime, java: str, log4j2_file: Path, cluster_id: str) -> list[str]:
    """Format the KRaft log dir once, before the first start; the SCRAM users are written with it."""
    return [
        java,
        "-Xmx256m",
        f"-Dlog4j2.configurationFile={log4j2_file}",
        "-cp",
        runtime.kafka_classpath,
        STORAGE_TOOL_MAIN,
        *configs.storage_format_args(service.config_file, cluster_id),
    ]
