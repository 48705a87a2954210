"""Detached JVMs tracked by pid files, and the checks that keep `down` from killing a process that is not ours.

A pid file alone is not proof (pids are reused after a reboot or a crash), so every process we start carries a
marker system property naming its state folder and service; we only signal a pid whose command line holds it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections import deque
from pathlib import Path

from kaa.polling import poll

MARKER_PROPERTY = "kaa.local"


def marker_arg(marker: str) -> str:
    return f"-D{MARKER_PROPERTY}={marker}"


def start_detached(
    argv: list[str], cwd: Path, log_file: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start `argv` in its own session (it outlives `kaa`), stdout and stderr appended to `log_file`.

    The previous log is kept as `<log>.1`, so a restart still shows why the last run ended.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    if log_file.exists() and log_file.stat().st_size > 0:
        log_file.replace(log_file.with_name(log_file.name + ".1"))
    with open(log_file, "ab") as log:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )


def is_running(pid: int) -> bool:
    """True for a live process; a zombie (exited, not yet reaped) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X")


def carries_marker(pid: int, marker: str) -> bool:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return marker_arg(marker).encode() in args


def read_pid(pid_file: Path) -> int | None:
    try:
        text = pid_file.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def write_pid(pid_file: Path, pid: int) -> None:
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = pid_file.with_name(pid_file.name + ".tmp")
    tmp.write_text(f"{pid}\n")
    tmp.replace(pid_file)


def tracked_pid(pid_file: Path, marker: str) -> int | None:
    """The pid in `pid_file` if that process is alive and ours; a stale pid file is removed."""
    pid = read_pid(pid_file)
    if pid is not None and is_running(pid) and carries_marker(pid, marker):
        return pid
    pid_file.unlink(missing_ok=True)
    return None


def signal_if_ours(pid: int, marker: str, sig: signal.Signals) -> bool:
    if not (is_running(pid) and carries_marker(pid, marker)):
        return False
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


def wait_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait until every pid has exited; return those still running after `timeout` seconds."""
    return poll(lambda: [pid for pid in pids if is_running(pid)], lambda alive: not alive, timeout, 0.2)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def tail(path: Path, lines: int) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return [line.rstrip("\n") for line in deque(handle, maxlen=lines)]
    except OSError:
        return []
