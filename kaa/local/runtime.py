"""Where the Java parts of the local pair live, and fetching them when they are missing.

The versions come from pom.xml only (its <properties>), so the Python side can never ask for a lib folder that
scripts/setup-local-pair.sh did not fill.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kaa.errors import LocalPairError

REPO_ROOT = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = REPO_ROOT / "scripts" / "setup-local-pair.sh"


def cache_dir() -> Path:
    """$KAA_CACHE, shared with scripts/setup.sh (default ~/.cache/kafka-active-active)."""
    return Path(os.environ.get("KAA_CACHE") or Path.home() / ".cache" / "kafka-active-active")


def default_state_dir() -> Path:
    """$KAA_LOCAL_STATE, else <cache>/local-pair: outside the repo so a fresh clone finds the running pair."""
    return Path(os.environ.get("KAA_LOCAL_STATE") or cache_dir() / "local-pair")


def default_tls_state_dir() -> Path:
    """The TLS pair's: $KAA_LOCAL_TLS_STATE, else ~/.cache/kafka-active-active/local-pair-tls, the folder
    stacks/local-tls.yaml names for its CA (so the stack and the pair agree without any variable set)."""
    return Path(os.environ.get("KAA_LOCAL_TLS_STATE")
                or Path.home() / ".cache" / "kafka-active-active" / "local-pair-tls")


def _pom_property(pom_text: str, name: str) -> str:
    match = re.search(rf"<{re.escape(name)}>([^<]+)</{re.escape(name)}>", pom_text)
    if not match:
        raise LocalPairError(f"pom.xml has no <{name}> property")
    return match.group(1).strip()


@dataclass(frozen=True)
class Runtime:
    """The versioned, cached install of Kafka (one lib folder) and Apicurio Registry (one unpacked app)."""

    kafka_version: str
    apicurio_version: str
    cache: Path

    @property
    def kafka_lib(self) -> Path:
        return self.cache / f"kafka-{self.kafka_version}" / "lib"

    @property
    def kafka_classpath(self) -> str:
        return str(self.kafka_lib / "*")

    @property
    def connect_basic_auth_jar(self) -> Path:
        """Kafka's basic-auth REST extension, for the TLS pair's Connect (kept apart from the shared lib folder
        so adding it never rewrites the classpath of a running pair)."""
        return self.cache / f"kafka-{self.kafka_version}-extensions" / \
            f"connect-basic-auth-extension-{self.kafka_version}.jar"

    @property
    def apicurio_jar(self) -> Path:
        return self.cache / f"apicurio-{self.apicurio_version}" / "quarkus-run.jar"

    def is_installed(self, tls: bool = False) -> bool:
        """Kafka and the registry are in place, and for the TLS pair (`tls`) Connect's basic-auth extension."""
        kafka_marker = self.kafka_lib.parent / ".complete"
        apicurio_marker = self.apicurio_jar.parent / ".complete"
        return kafka_marker.is_file() and apicurio_marker.is_file() and self.apicurio_jar.is_file() \
            and (not tls or self.connect_basic_auth_jar.is_file())

    def ensure_installed(self, tls: bool = False) -> None:
        """Run scripts/setup-local-pair.sh when a marker is missing (cold: ~20 s of Maven downloads)."""
        if self.is_installed(tls):
            return
        env = dict(os.environ, KAA_CACHE=str(self.cache))
        result = subprocess.run(["bash", str(SETUP_SCRIPT)], env=env, capture_output=True, text=True)
        if result.returncode != 0 or not self.is_installed(tls):
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-30:])
            raise LocalPairError(f"{SETUP_SCRIPT.name} failed (exit {result.returncode}):\n{tail}")


def load_runtime(pom: Path = REPO_ROOT / "pom.xml") -> Runtime:
    text = pom.read_text(encoding="utf-8")
    return Runtime(
        kafka_version=_pom_property(text, "kafka.version"),
        apicurio_version=_pom_property(text, "apicurio.version"),
        cache=cache_dir(),
    )
