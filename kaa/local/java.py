"""Pick a Java runtime per service: Kafka 4.1 runs on 17+, Apicurio Registry 3.3 is compiled for 21+."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

from kaa.errors import LocalPairError

JVM_ROOT = Path("/usr/lib/jvm")


@cache
def java_major(java: str) -> int | None:
    """The feature version of a `java` binary, from its home's `release` file or else `java -version`."""
    release = Path(java).resolve().parent.parent / "release"
    text = release.read_text(errors="replace") if release.is_file() else ""
    match = re.search(r'JAVA_VERSION="(\d+)', text)
    if not match:
        try:
            out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
        except (OSError, subprocess.SubprocessError):
            return None
        match = re.search(r'version "(\d+)', out)
    return int(match.group(1)) if match else None


def _candidates(env_var: str) -> list[str]:
    found: list[str] = []
    for home in (os.environ.get(env_var), os.environ.get("JAVA_HOME")):
        if home:
            found.append(str(Path(home) / "bin" / "java"))
    on_path = shutil.which("java")
    if on_path:
        found.append(on_path)
    if JVM_ROOT.is_dir():
        found += sorted((str(p) for p in JVM_ROOT.glob("*/bin/java")), reverse=True)
    return [java for java in dict.fromkeys(found) if os.access(java, os.X_OK)]


def find_java(min_major: int, env_var: str, needed_by: str) -> str:
    """The first Java >= `min_major` from $<env_var>, $JAVA_HOME, PATH, then /usr/lib/jvm/*."""
    seen = []
    for java in _candidates(env_var):
        major = java_major(java)
        seen.append(f"{java} ({major})")
        if major is not None and major >= min_major:
            return java
    raise LocalPairError(
        f"{needed_by} needs Java {min_major}+; found only: {', '.join(seen) or 'none'}. "
        f"Install one and point ${env_var} at its home."
    )
