"""HTTP and HTTPS servers on loopback for the unit tests: one threaded `http.server` per `serve`, TLS with a
certificate a trustme CA issued, optionally demanding a client certificate, and a handler base that answers JSON
and reads basic auth. The stand-ins for the registry, Connect and the dynamic providers' endpoints build on it."""
from __future__ import annotations

import base64
import datetime
import http.server
import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import trustme


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler that logs nothing, answers JSON and reads the basic auth it was sent."""

    def log_message(self, *args: object) -> None:
        pass

    def answer(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def basic_auth(self) -> tuple[str, str] | None:
        """(user, password) of the request's basic auth; None without it."""
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
        return user, password


class Recorder(QuietHandler):
    """Answers a DELETE 200 `[1]` and records it; with `auth` set, answers 401 (recording nothing) unless the
    request carries exactly that basic auth. Use `recorder()` for a class with a list of its own."""

    served: ClassVar[list[tuple[str, str]]] = []
    auth: ClassVar[tuple[str, str] | None] = None

    def do_DELETE(self) -> None:  # noqa: N802 (http.server's name)
        if self.auth is not None and self.basic_auth() != self.auth:
            self.answer(401, {"error_code": 401, "message": "Unauthorized"})
            return
        self.served.append(("DELETE", self.path))
        self.answer(200, [1])


def recorder(auth: tuple[str, str] | None = None) -> type[Recorder]:
    return type("Recorder", (Recorder,), {"served": [], "auth": auth})


def write_ca(ca: trustme.CA, path: Path) -> str:
    """Write the CA's certificate (PEM) where a client reads its trusted CAs from; the path as a string."""
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@contextmanager
def serve(handler: type[http.server.BaseHTTPRequestHandler], tls: trustme.CA | None = None,
          host: str = "127.0.0.1", not_after: datetime.datetime | None = None,
          client_ca: trustme.CA | None = None) -> Iterator[str]:
    """Serve `handler` on a free loopback port; yield the base URL (no trailing slash).

    With `tls`, the server speaks HTTPS with a certificate that CA issued for `host` (valid until `not_after`,
    trustme's default otherwise); with `client_ca` it also demands a client certificate that CA signed."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        (tls.issue_cert(host, not_after=not_after) if not_after else tls.issue_cert(host)).configure_cert(context)
        if client_ca is not None:
            client_ca.configure_trust(context)
            context.verify_mode = ssl.CERT_REQUIRED
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"{'https' if tls is not None else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
