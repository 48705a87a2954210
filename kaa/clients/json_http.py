"""Keep-alive JSON over HTTP for the REST APIs a scan reads thousands of times (the schema registry).

One place holds keep-alive, timeouts, the stall retry and the bounded retries of transient answers:
- keep-alive connections from a urllib3 pool (one per concurrent caller, up to `connections`); urllib3 rather
  than `requests` because a drift scan makes thousands of small GETs and `requests` spends about four times
  the CPU per call (1.07 ms against 0.28 ms measured on the local Apicurio);
- a GET left unanswered for `STALL_S` is sent once more on a fresh connection, with the full timeout the second
  time (Apicurio 3.3.3 left about one GET in 60,000 unanswered here: no thread working on it, none queued);
- transient answers (HTTP 500/502/503/504, among them Karapace's 500/50003 "Error while forwarding the request
  to the master" while it loads) are retried with exponential backoff a bounded number of times (urllib3 `Retry`).
No answer is an `UnreachableError`; an error answer an `HttpRefusal` carrying the HTTP status and the body's
`error_code`.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, ProtocolError, ReadTimeoutError

from kaa.clients.http_tls import HttpTls, tls_cause
from kaa.errors import KaaError, UnreachableError

STALL_S = 5.0
TRANSIENT = (500, 502, 503, 504)
RETRIES = 5  # transient answers retried this many times, backoff 0.2 s doubling (about 6 s in all)
BACKOFF_S = 0.2
CONNECTIONS = 32  # keep-alive connections per server: with a remote server, round trips overlap


class HttpRefusal(KaaError):
    """The server answered with an error: `status` is the HTTP status, `code` the body's `error_code`."""

    def __init__(self, message: str, status: int, code: int | None):
        super().__init__(message)
        self.status, self.code = status, code


class JsonHttp:
    """JSON requests to one base URL; `refusal` is the error type an error answer raises."""

    def __init__(self, url: str, auth: tuple[str, str] | None = None, timeout: float = 15.0,
                 connections: int = CONNECTIONS, what: str = "server", refusal: type[HttpRefusal] = HttpRefusal,
                 accept: str = "application/json", content_type: str = "application/json",
                 tls: HttpTls | None = None):
        self.url = url.rstrip("/")
        self.timeout, self.what, self.refusal = timeout, what, refusal
        self.base = urlsplit(self.url).path
        self.headers = {"Content-Type": content_type, "Accept": accept}
        if auth:
            self.headers.update(urllib3.make_headers(basic_auth=f"{auth[0]}:{auth[1]}"))
        self.retry = urllib3.Retry(total=None, connect=2, read=0, redirect=0, other=0, status=RETRIES,
                                   status_forcelist=TRANSIENT, allowed_methods=None, backoff_factor=BACKOFF_S,
                                   raise_on_status=False, respect_retry_after_header=True)
        self.pool = urllib3.connection_from_url(self.url, maxsize=connections, block=False, retries=self.retry,
                                                **(tls or HttpTls()).urllib3_options())

    def _send(self, method: str, path: str, payload: Any, read_timeout: float) -> urllib3.BaseHTTPResponse:
        body = None if payload is None else json.dumps(payload).encode()
        return self.pool.urlopen(method, self.base + path, body=body, headers=self.headers,
                                 timeout=urllib3.Timeout(connect=self.timeout, read=read_timeout),
                                 preload_content=True, release_conn=True)

    def call(self, method: str, path: str, payload: Any = None, ok_missing: bool = False) -> Any:
        """One request; the parsed JSON answer, None for a 404 when `ok_missing`, else a typed error."""
        try:
            if method == "GET":
                try:
                    response = self._send(method, path, payload, min(STALL_S, self.timeout))
                except (MaxRetryError, ReadTimeoutError, ProtocolError) as exc:
                    if not _stalled_or_dropped(exc):
                        raise
                    response = self._send(method, path, payload, self.timeout)  # GETs are safe to repeat
            else:
                response = self._send(method, path, payload, self.timeout)
        except HTTPError as exc:
            reason = tls_cause(exc) or type(getattr(exc, "reason", None) or exc).__name__
            raise UnreachableError(f"{self.what} at {self.url}{path} did not answer ({reason}); check that it runs "
                                   "and the URL is right") from exc
        data = response.data
        if response.status == 404 and ok_missing:
            return None
        if response.status >= 400:
            try:
                answer = json.loads(data)
                detail = answer.get("message") or answer.get("detail") or answer.get("title") or str(answer)
                code = answer.get("error_code")
            except (ValueError, AttributeError):
                detail, code = data[:300].decode(errors="replace"), None
            raise self.refusal(f"{self.what} refused {method} {self.url}{path}: HTTP {response.status}: {detail}",
                               response.status, code if isinstance(code, int) else None)
        return json.loads(data) if data else None

    def get(self, path: str, ok_missing: bool = False) -> Any:
        return self.call("GET", path, ok_missing=ok_missing)


def _stalled_or_dropped(exc: Exception) -> bool:
    reason = exc.reason if isinstance(exc, MaxRetryError) else exc
    return isinstance(reason, (ReadTimeoutError, ProtocolError))
