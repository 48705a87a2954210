"""Kafka Connect REST API client: connector configs, status, pause/resume, delete."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from kaa.clients.http_request import request
from kaa.clients.http_tls import HttpTls
from kaa.errors import ConnectError
from kaa.polling import poll


class ConnectClient:
    def __init__(self, url: str, auth: tuple[str, str] | None = None, timeout: float = 30.0,
                 tls: HttpTls | None = None):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"Content-Type": "application/json", "Accept": "application/json"})
        if auth:
            self.session.auth = auth
        # per request, not on the session: requests lets REQUESTS_CA_BUNDLE override a session's `verify`
        self.tls_options = (tls or HttpTls()).requests_options()
        for key, value in self.tls_options.items():  # and on the session, for calls sent with `request(session)`
            setattr(self.session, key, value)

    def _call(self, method: str, path: str, ok_missing: bool = False, **kwargs: Any) -> Any:
        response = request(self.session, method, f"{self.url}{path}", "Kafka Connect", ConnectError,
                           self.timeout, ok_missing=ok_missing, **self.tls_options, **kwargs)
        if response is None:
            return None
        return response.json() if response.content else None

    def info(self) -> dict[str, Any]:
        return dict(self._call("GET", "/"))

    def connectors(self) -> list[str]:
        return list(self._call("GET", "/connectors") or [])

    def config(self, name: str) -> dict[str, str] | None:
        body = self._call("GET", f"/connectors/{quote(name, safe='')}/config", ok_missing=True)
        return None if body is None else dict(body)

    def put_config(self, name: str, config: dict[str, str]) -> dict[str, Any]:
        return dict(self._call("PUT", f"/connectors/{quote(name, safe='')}/config", json=config))

    def status(self, name: str) -> dict[str, Any] | None:
        body = self._call("GET", f"/connectors/{quote(name, safe='')}/status", ok_missing=True)
        return None if body is None else dict(body)

    def pause(self, name: str) -> None:
        self._call("PUT", f"/connectors/{quote(name, safe='')}/pause")

    def resume(self, name: str) -> None:
        self._call("PUT", f"/connectors/{quote(name, safe='')}/resume")

    def delete(self, name: str) -> None:
        self._call("DELETE", f"/connectors/{quote(name, safe='')}", ok_missing=True)

    def wait_running(self, name: str, timeout: float = 90.0, require_tasks: bool = True,
                     stable_polls: int = 3) -> dict[str, Any]:
        """Wait until the connector and all its tasks are RUNNING; raise ConnectError with the trace if one fails.

        A checkpoint connector has no task until a consumer group matches, hence `require_tasks`. Right after a
        config PUT the status may still show the old, running instance before it restarts, so RUNNING must be
        seen `stable_polls` times in a row.
        """
        seen = 0

        def observe() -> dict[str, Any] | None:
            nonlocal seen
            last = self.status(name)
            if last:
                states = [last["connector"]["state"]] + [t["state"] for t in last.get("tasks", [])]
                failed = [t for t in [last["connector"], *last.get("tasks", [])] if t["state"] == "FAILED"]
                if failed:
                    trace = (failed[0].get("trace") or "").strip().splitlines()
                    raise ConnectError(f"connector {name} on {self.url} FAILED: {trace[0] if trace else 'no trace'}")
                running = (last.get("tasks") or not require_tasks) and all(s == "RUNNING" for s in states)
                seen = seen + 1 if running else 0
            return last

        last = poll(observe, lambda _: seen >= stable_polls, timeout, 1.0)
        if last and seen >= stable_polls:
            return last
        raise ConnectError(f"connector {name} on {self.url} not RUNNING after {timeout:.0f}s (last status: {last})")
