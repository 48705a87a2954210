"""`LocalPair`: start, stop and inspect the embedded K1/K2 pair. The CLI and the test fixtures both use it.

Only processes started by a `LocalPair` on the same state folder are ever stopped: each is tracked by a pid
file and recognised by the marker on its command line.
"""

from __future__ import annotations

import base64
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from kaa.errors import LocalPairError
from kaa.local import configs, probes, scram_repair
from kaa.local.endpoints import LOCAL_STACK, LOCAL_TLS_STACK, ClusterEndpoints, load_endpoints
from kaa.local.java import find_java
from kaa.local.local_users import ADMIN, CONNECT_REST, REGISTRY_REST
from kaa.local.process import (
    is_running,
    port_open,
    signal_if_ours,
    start_detached,
    tail,
    tracked_pid,
    wait_gone,
    write_pid,
)
from kaa.local.progress import Progress
from kaa.local.runtime import Runtime, default_state_dir, default_tls_state_dir, load_runtime
from kaa.local.services import SERVICE_NAMES, Service, format_command, launch_command
from kaa.local.tls_material import TlsFiles, ensure_tls_files, tls_files

START_TIMEOUT_S = 120.0
# A broker that answers but keeps refusing the admin's SCRAM login this long will not recover by waiting.
REFUSED_GRACE_S = 10.0
SCRAM_LOSS_DOC = "docs/local-pair.md#scram-logins-refused-after-a-restart"
STOP_TIMEOUT_S = {"kafka": 45.0, "connect": 30.0, "registry": 20.0}
LOG_TAIL_LINES = 30
KAFKA_MIN_JAVA = 17
REGISTRY_MIN_JAVA = 21


@dataclass(frozen=True)
class ServiceStatus:
    alias: str
    service: str
    port: int
    pid: int | None
    healthy: bool
    log_file: Path


def new_cluster_id() -> str:
    """A Kafka cluster id (base64url of a random UUID); like Kafka's own, never starting with '-'."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


class LocalPair:
    """The local pair described by stacks/local.yaml, with its processes and data under `state_dir`; with `tls`
    the TLS pair of stacks/local-tls.yaml (its own ports and state folder, so both can run side by side)."""

    def __init__(
        self,
        state_dir: Path | str | None = None,
        *,
        tls: bool = False,
        stack_file: Path | None = None,
        runtime: Runtime | None = None,
        start_timeout: float = START_TIMEOUT_S,
        progress: TextIO | None = sys.stderr,
        broker_overrides: Mapping[str, Mapping[str, str]] | None = None,
        full_jit: bool = False,
        heaps: Mapping[str, str] | None = None,
    ):
        """`broker_overrides` (alias -> properties) are added to or replace that broker's generated properties,
        e.g. an extra listener for a benchmark; they are written at each `up` of a broker that is not running.
        `full_jit` runs the JVMs with the optimising compiler, as production servers do (for benchmarks: the
        default, C1 only, starts faster and suits tests). `heaps` (service name -> -Xmx value, e.g.
        {"kafka": "1g"}) replaces the default maximum heaps, for pairs holding thousands of topics."""
        self.state_dir = Path(state_dir) if state_dir else (default_tls_state_dir() if tls else default_state_dir())
        self.tls: TlsFiles | None = tls_files(self.state_dir) if tls else None
        self.clusters: tuple[ClusterEndpoints, ...] = load_endpoints(
            stack_file or (LOCAL_TLS_STACK if tls else LOCAL_STACK))
        self.runtime = runtime or load_runtime()
        self.start_timeout = start_timeout
        self._progress_stream = progress
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self.broker_overrides = {alias: dict(props) for alias, props in (broker_overrides or {}).items()}
        self.full_jit = full_jit
        self.heaps = dict(heaps or {})

    # ---- what the pair is made of -------------------------------------------------------------------------

    @property
    def aliases(self) -> tuple[str, ...]:
        return tuple(cluster.alias for cluster in self.clusters)

    def cluster(self, alias: str) -> ClusterEndpoints:
        for cluster in self.clusters:
            if cluster.alias == alias:
                return cluster
        raise LocalPairError(f"unknown cluster {alias!r}; the local pair has {', '.join(self.aliases)}")

    def services(self, names: tuple[str, ...] = SERVICE_NAMES, aliases: tuple[str, ...] | None = None) -> list[Service]:
        """Services in start order: every cluster's kafka, then connect, then registry."""
        wanted = aliases or self.aliases
        return [
            Service(cluster, name, self.state_dir / cluster.alias / name, self.tls)
            for name in names
            for cluster in self.clusters
            if cluster.alias in wanted
        ]

    @property
    def log4j2_file(self) -> Path:
        return self.state_dir / "log4j2.properties"

    # ---- up -----------------------------------------------------------------------------------------------

    def up(self) -> list[ServiceStatus]:
        """Start whatever is not running, wait until all six services are healthy. Idempotent.

        On failure, stops what this call started and raises LocalPairError with the failing service's log tail.
        """
        self.runtime.ensure_installed(tls=self.tls is not None)
        javas = {
            "kafka": find_java(KAFKA_MIN_JAVA, "KAA_KAFKA_JAVA_HOME", f"Kafka {self.runtime.kafka_version}"),
            "registry": find_java(
                REGISTRY_MIN_JAVA, "KAA_REGISTRY_JAVA_HOME", f"Apicurio Registry {self.runtime.apicurio_version}"
            ),
        }
        javas["connect"] = javas["kafka"]
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if self.tls:
            ensure_tls_files(self.state_dir)
        self.log4j2_file.write_text(configs.log4j2_properties())
        progress = Progress(self._progress_stream)
        started: list[Service] = []
        try:
            for phase in (("kafka",), ("connect", "registry")):
                pending: list[tuple[Service, int]] = []
                to_start: list[Service] = []
                for service in self.services(phase):
                    pid = tracked_pid(service.pid_file, service.marker)
                    if pid is not None:
                        progress.begin(service.key, f"pid {pid}, started earlier")
                        pending.append((service, pid))
                    else:
                        self._check_ports_free(service)
                        to_start.append(service)
                self._prepare(to_start, javas["kafka"])
                for service in to_start:
                    pid = self._start(service, javas[service.name])
                    started.append(service)
                    progress.begin(service.key, f"pid {pid}")
                    pending.append((service, pid))
                self._wait_healthy(pending, progress, fresh={s.key for s in started}, javas=javas)
        except BaseException:
            self._stop(started)
            raise
        return self.status()

    def _check_ports_free(self, service: Service) -> None:
        for port in service.ports:
            if port_open(service.cluster.host, port):
                raise LocalPairError(
                    f"{service.key}: port {port} is already in use by a process that `kaa local` (state folder "
                    f"{self.state_dir}) did not start; stop it, or use the state folder it was started with "
                    "(KAA_LOCAL_STATE)"
                )

    def _prepare(self, services: list[Service], kafka_java: str) -> None:
        """Write each service's config; format never-formatted KRaft log dirs (in parallel: a JVM each)."""
        formatting: list[tuple[Service, subprocess.Popen[bytes], Path]] = []
        for service in services:
            service.directory.mkdir(parents=True, exist_ok=True)
            if service.name == "kafka":
                props = self._broker_properties(service)
                text = configs.render_properties(props, f"{service.key} (KRaft, combined)")
                _write_private(service.config_file, text)
                if not (service.data_dir / "meta.properties").is_file():
                    formatting.append(self._start_format(service, kafka_java))
            elif service.name == "connect":
                props = configs.connect_properties(service.cluster, self.tls)
                _write_private(service.config_file, configs.render_properties(props, f"{service.key} (distributed)"))
                if self.tls:
                    _write_private(service.rest_users_file, configs.connect_rest_users())
                    _write_private(service.jaas_file, configs.connect_jaas(service.rest_users_file))
            else:
                (service.directory / "tmp").mkdir(exist_ok=True)
                service.data_dir.mkdir(exist_ok=True)
                if self.tls:
                    service.quarkus_config_file.parent.mkdir(exist_ok=True)
                    props = configs.registry_tls_properties(service.cluster, self.tls)
                    _write_private(service.quarkus_config_file,
                                   configs.render_properties(props, f"{service.key} (Quarkus, TLS pair)"))
        for service, proc, log in formatting:
            if proc.wait() != 0:
                lines = "\n".join(tail(log, LOG_TAIL_LINES))
                raise LocalPairError(f"{service.key}: formatting {service.data_dir} failed; {log}:\n{lines}")

    def _broker_properties(self, service: Service) -> dict[str, str]:
        return {**configs.broker_properties(service.cluster, service.data_dir, self.tls),
                **self.broker_overrides.get(service.cluster.alias, {})}

    def _start_format(self, service: Service, java: str) -> tuple[Service, subprocess.Popen[bytes], Path]:
        id_file = service.directory / "cluster.id"
        if not id_file.is_file():
            id_file.write_text(new_cluster_id() + "\n")
        cluster_id = id_file.read_text().strip()
        log = service.directory / "format.log"
        command = format_command(service, self.runtime, java, self.log4j2_file, cluster_id)
        with open(log, "wb") as out:
            proc = subprocess.Popen(command, cwd=service.directory, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        return service, proc, log

    def command(self, service: Service, java: str) -> list[str]:
        """The service's command line with this pair's JIT and heap choices."""
        return launch_command(service, self.runtime, java, self.log4j2_file, self.full_jit,
                              self.heaps.get(service.name))

    def _start(self, service: Service, java: str) -> int:
        command = self.command(service, java)
        proc = start_detached(command, service.directory, service.log_file)
        self._children[service.key] = proc
        write_pid(service.pid_file, proc.pid)
        return proc.pid

    def _wait_healthy(self, pending: list[tuple[Service, int]], progress: Progress, fresh: set[str],
                      javas: Mapping[str, str] | None = None) -> None:
        """Wait until every pending service answers. A broker that keeps refusing the admin's SCRAM login has
        lost its SCRAM users: with `javas` (how to restart it) its local users are restored once."""
        deadline = time.monotonic() + self.start_timeout
        refused_since: dict[str, float] = {}
        repaired: set[str] = set()
        waiting = list(pending)
        while waiting:
            for service, pid in list(waiting):
                if not is_running(pid):
                    progress.finish(service.key, "FAILED")
                    raise self._failure(service, "exited during start-up")
                state = service.probe()
                if state == probes.REFUSED:
                    since = refused_since.setdefault(service.key, time.monotonic())
                    if time.monotonic() - since >= REFUSED_GRACE_S:
                        if javas is None or service.key in repaired:
                            progress.finish(service.key, "FAILED")
                            raise self.scram_refused(service)
                        progress.finish(service.key, "REFUSED")
                        new_pid = self._restore_scram_users(service, javas["kafka"])
                        progress.begin(service.key, f"pid {new_pid}, SCRAM users {ADMIN.name} and "
                                                    f"connect restored ({SCRAM_LOSS_DOC})")
                        waiting[waiting.index((service, pid))] = (service, new_pid)
                        repaired.add(service.key)
                        refused_since.pop(service.key)
                        deadline = time.monotonic() + self.start_timeout
                        continue
                else:
                    refused_since.pop(service.key, None)
                if state == probes.READY:
                    progress.finish(service.key, "ready" if service.key in fresh else "running")
                    waiting.remove((service, pid))
                elif time.monotonic() > deadline:
                    progress.finish(service.key, "FAILED")
                    raise self._failure(service, f"not healthy after {self.start_timeout:.0f} s")
            if waiting:
                progress.tick()
                time.sleep(0.5)

    def _restore_scram_users(self, service: Service, java: str) -> int:
        """Restart the broker once with a loopback recovery listener, write the local users through it, wait
        until a metadata snapshot holds them, and start the broker as usual again; returns its new pid."""
        self._stop([service])
        host = service.cluster.host
        port = scram_repair.free_port(host)
        props = self._broker_properties(service)
        interval_s = int(props.get("metadata.log.max.snapshot.interval.ms", "3600000")) / 1000
        service.config_file.write_text(configs.render_properties(
            scram_repair.recovery_properties(props, host, port), f"{service.key} (KRaft, combined; recovery)"))
        self._start(service, java)
        try:
            scram_repair.restore_users(f"{host}:{port}", service.data_dir, snapshot_wait_s=2 * interval_s + 30)
        except LocalPairError as exc:
            raise LocalPairError(f"{self.scram_refused(service)}\nRestoring the users failed: {exc}") from exc
        finally:
            self._stop([service])
            self._prepare([service], java)  # the usual properties again, without the recovery listener
        return self._start(service, java)

    def scram_refused(self, service: Service) -> LocalPairError:
        """The broker runs but has lost the SCRAM users from its metadata image: waiting or restarting the
        broker cannot bring them back."""
        return LocalPairError(
            f"{service.key} (port {service.port}) is running but has refused the SCRAM login of the local admin "
            f"user ({ADMIN.name}) for {REFUSED_GRACE_S:.0f} s: its metadata image has lost the SCRAM users, which "
            "Kafka 4.1 does when a restart replays a metadata log that removed a SCRAM user and holds no snapshot "
            f"yet ({SCRAM_LOSS_DOC}). Restarting does not help and `kaa local up` restores the local users only "
            "once; `kaa local down --wipe` then `kaa local up` recreates the pair (its topics and data are lost). "
            f"Broker log: {service.log_file}"
        )

    def _failure(self, service: Service, reason: str) -> LocalPairError:
        lines = "\n".join(tail(service.log_file, LOG_TAIL_LINES))
        return LocalPairError(
            f"{service.key} (port {service.port}) {reason}. Last {LOG_TAIL_LINES} lines of {service.log_file}:\n{lines}"
        )

    # ---- down ---------------------------------------------------------------------------------------------

    def down(self, wipe: bool = False) -> list[str]:
        """Stop the pair's tracked processes (registry, connect, kafka); `wipe` then deletes its state folder."""
        stopped = self._stop(self.services())
        if wipe:
            survivors = [s.key for s in self.services() if tracked_pid(s.pid_file, s.marker) is not None]
            if survivors:
                raise LocalPairError(f"not wiping {self.state_dir}: still running: {', '.join(survivors)}")
            self._wipe()
        return stopped

    def _stop(self, services: list[Service]) -> list[str]:
        """SIGTERM each phase (reverse start order), SIGKILL what outlives its timeout; returns what stopped."""
        stopped: list[str] = []
        for name in reversed(SERVICE_NAMES):
            phase = [s for s in services if s.name == name]
            running = [(s, pid) for s in phase if (pid := tracked_pid(s.pid_file, s.marker)) is not None]
            for service, pid in running:
                signal_if_ours(pid, service.marker, signal.SIGTERM)
            survivors = set(wait_gone([pid for _, pid in running], STOP_TIMEOUT_S[name]))
            for service, pid in running:
                if pid in survivors and signal_if_ours(pid, service.marker, signal.SIGKILL):
                    wait_gone([pid], 10.0)
                if not is_running(pid):
                    service.pid_file.unlink(missing_ok=True)
                    stopped.append(f"{service.key} (pid {pid}{', killed' if pid in survivors else ''})")
            for service in phase:
                child = self._children.pop(service.key, None)
                if child is not None:
                    child.poll()
        return stopped

    def _wipe(self) -> None:
        """Delete only what `up` creates, so a mistyped KAA_LOCAL_STATE cannot take other files with it."""
        for alias in self.aliases:
            shutil.rmtree(self.state_dir / alias, ignore_errors=True)
        if self.tls:
            shutil.rmtree(self.tls.folder, ignore_errors=True)
        self.log4j2_file.unlink(missing_ok=True)
        if self.state_dir.is_dir() and not any(self.state_dir.iterdir()):
            self.state_dir.rmdir()

    # ---- status -------------------------------------------------------------------------------------------

    def status(self) -> list[ServiceStatus]:
        services = self.services()
        with ThreadPoolExecutor(max_workers=len(services)) as pool:
            health = list(pool.map(lambda s: s.healthy(), services))
        return [
            ServiceStatus(
                alias=s.cluster.alias,
                service=s.name,
                port=s.port,
                pid=tracked_pid(s.pid_file, s.marker),
                healthy=ok,
                log_file=s.log_file,
            )
            for s, ok in zip(services, health, strict=True)
        ]

    def is_healthy(self) -> bool:
        return all(s.healthy for s in self.status())

    def client_settings(self, alias: str) -> dict[str, Any]:
        """How a client reaches one cluster: confluent-kafka settings (admin user), registry and Connect URLs.

        The admin password is the local pair's fixed default, never a real secret.
        """
        cluster = self.cluster(alias)
        if self.tls is None:
            return {
                "kafka": ADMIN.librdkafka_settings(cluster.bootstrap_servers),
                "schema_registry": cluster.registry_url,
                "connect": cluster.connect_url,
            }
        ca = str(self.tls.ca)
        return {
            "kafka": ADMIN.librdkafka_settings(cluster.bootstrap_servers, ca),
            "kafka_mtls": {
                "bootstrap.servers": cluster.mtls_bootstrap_servers,
                "security.protocol": "SSL",
                "ssl.ca.location": ca,
                "ssl.certificate.location": str(self.tls.client_cert),
                "ssl.key.location": str(self.tls.client_key),
            },
            "schema_registry": cluster.registry_url,
            "connect": cluster.connect_url,
            "schema_registry_auth": {"username": REGISTRY_REST.name, "password": REGISTRY_REST.password},
            "connect_auth": {"username": CONNECT_REST.name, "password": CONNECT_REST.password},
            "ca_file": ca,
        }

    def status_document(self, statuses: list[ServiceStatus] | None = None) -> dict[str, Any]:
        """The `kaa local status --json` document."""
        statuses = statuses if statuses is not None else self.status()
        clusters: dict[str, Any] = {}
        for alias in self.aliases:
            healthy = all(s.healthy for s in statuses if s.alias == alias)
            clusters[alias] = {"healthy": healthy, **self.client_settings(alias)}
        document: dict[str, Any] = {"clusters": clusters}
        if self.tls:
            document["tls"] = {"ca_file": str(self.tls.ca), "client_cert": str(self.tls.client_cert),
                               "client_key": str(self.tls.client_key), "state_dir": str(self.state_dir)}
        return document

    # ---- logs ---------------------------------------------------------------------------------------------

    def log_tails(
        self, lines: int, service: str | None = None, alias: str | None = None
    ) -> list[tuple[Path, list[str]]]:
        if alias is not None:
            self.cluster(alias)
        names = (service,) if service else SERVICE_NAMES
        aliases = (alias,) if alias else None
        return [(s.log_file, tail(s.log_file, lines)) for s in self.services(names, aliases)]


def _write_private(path: Path, text: str) -> None:
    """Generated configs may hold local passwords (keystore, SCRAM JAAS): owner-only, as Kafka's own docs ask."""
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text)
