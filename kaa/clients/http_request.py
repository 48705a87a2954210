"""Shared HTTP handling: one place turns connection failures and refusals into typed errors."""
from __future__ import annotations

from typing import Any

import requests

from kaa.clients.http_tls import tls_cause
from kaa.errors import KaaError, UnreachableError


def request(
    session: requests.Session,
    method: str,
    url: str,
    what: str,
    refused: type[KaaError],
    timeout: float,
    ok_missing: bool = False,
    **kwargs: Any,
) -> requests.Response | None:
    """Send one request; return None for a 404 when `ok_missing`, raise `refused` for other 4xx/5xx."""
    # requests lets $REQUESTS_CA_BUNDLE / $CURL_CA_BUNDLE replace a session's own `verify` (a stack's CA file)
    # unless the request names it: pass it explicitly.
    kwargs.setdefault("verify", session.verify)
    kwargs.setdefault("cert", session.cert)
    try:
        response = session.request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        reason = tls_cause(exc) or type(exc).__name__
        raise UnreachableError(f"{what} at {url} did not answer ({reason}); check that it runs and the URL is right") \
            from exc
    if response.status_code == 404 and ok_missing:
        return None
    if response.status_code >= 400:
        try:
            body = response.json()
            detail = body.get("message") or body.get("detail") or body.get("title") or str(body)
        except ValueError:
            detail = response.text[:300]
        raise refused(f"{what} refused {method} {url}: HTTP {response.status_code}: {detail}")
    return response
