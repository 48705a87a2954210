"""How an HTTP client proves who it is and whom it trusts: basic auth and TLS files for a registry or Connect
worker. One value the registry client (urllib3) and the Connect client (requests) both take, so every command
reaches an authenticated HTTPS endpoint the same way."""
from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HttpTls:
    """`ca_file`: the CA bundle that signs the server's certificate (empty: the system's CAs);
    `cert_file`/`key_file`: a client certificate and key for mutual TLS (empty: none)."""

    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""

    def urllib3_options(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.ca_file:
            out["ca_certs"] = self.ca_file
            out["cert_reqs"] = "CERT_REQUIRED"
        if self.cert_file:
            out["cert_file"] = self.cert_file
            out["key_file"] = self.key_file or None
        return out

    def requests_options(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.ca_file:
            out["verify"] = self.ca_file
        if self.cert_file:
            out["cert"] = (self.cert_file, self.key_file) if self.key_file else self.cert_file
        return out


def tls_cause(exc: BaseException) -> str | None:
    """`certificate verify failed: <why>` when a TLS handshake refused the server's certificate anywhere in the
    exception's chain (requests and urllib3 wrap the ssl error two or three times), else None."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {current.verify_message or current.reason}"
        if isinstance(current, ssl.SSLError):
            return f"TLS handshake failed: {current.reason or current}"
        todo += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        todo += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
    return None
