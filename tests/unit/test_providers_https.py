"""The dynamic providers against an HTTPS server on loopback that demands basic auth: they verify its
certificate against the stack's CA, send the stack's credentials, and refuse a server their CA did not sign."""
from __future__ import annotations

import base64
import http.server
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from components.providers.connector import ConnectorProvider
from components.providers.schema_pass import SchemaPassProvider

USER = {"username": "registry-admin", "password": "pw-1"}
GOOD = "Basic " + base64.b64encode(b"registry-admin:pw-1").decode()


class Guarded(http.server.BaseHTTPRequestHandler):
    """Answers 401 without the expected basic auth, else 200 with a JSON body; records what it served."""

    served: list[tuple[str, str]] = []

    def do_DELETE(self) -> None:  # noqa: N802 (http.server's name)
        if self.headers.get("Authorization") != GOOD:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        type(self).served.append(("DELETE", self.path))
        body = json.dumps([1]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(base URL, CA file) of an HTTPS server whose certificate the CA signed for 127.0.0.1."""
    ca = trustme.CA()
    Guarded.served = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Guarded)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    yield f"https://127.0.0.1:{server.server_address[1]}", str(ca_file)
    server.shutdown()


@pytest.fixture
def other_ca(tmp_path: Path) -> str:
    path = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return str(path)


def test_a_subject_is_deleted_over_https_with_the_stacks_ca_and_credentials(https_server: tuple[str, str]) -> None:
    url, ca = https_server
    props: dict[str, Any] = {"label": "K1", "url": f"{url}/apis/ccompat/v7", "subjects": [{"subject": "orders-value"}],
                             "auth": USER, "ca": ca}
    SchemaPassProvider().delete("K1/registration-pass", props)
    assert Guarded.served == [("DELETE", "/apis/ccompat/v7/subjects/orders-value"),
                              ("DELETE", "/apis/ccompat/v7/config/orders-value")]


def test_a_registry_signed_by_another_ca_is_refused(https_server: tuple[str, str], other_ca: str) -> None:
    url, _ = https_server
    props: dict[str, Any] = {"label": "K1", "url": f"{url}/apis/ccompat/v7", "subjects": [{"subject": "orders-value"}],
                             "auth": USER, "ca": other_ca}
    with pytest.raises(Exception, match="certificate verify failed"):
        SchemaPassProvider().delete("K1/registration-pass", props)
    assert Guarded.served == []


def test_a_connector_is_deleted_over_https_with_the_stacks_ca_and_credentials(https_server: tuple[str, str]) -> None:
    url, ca = https_server
    props: dict[str, Any] = {"label": "K2", "url": url, "name": "mm2-k1-k2-source", "auth": USER, "ca": ca}
    ConnectorProvider().delete("K2/mm2-k1-k2-source", props)
    assert Guarded.served == [("DELETE", "/connectors/mm2-k1-k2-source")]


def test_a_connect_worker_signed_by_another_ca_is_refused(https_server: tuple[str, str], other_ca: str) -> None:
    url, _ = https_server
    props: dict[str, Any] = {"label": "K2", "url": url, "name": "mm2-k1-k2-source", "auth": USER, "ca": other_ca}
    with pytest.raises(Exception, match="certificate verify failed"):
        ConnectorProvider().delete("K2/mm2-k1-k2-source", props)
    assert Guarded.served == []


def test_a_call_sent_through_a_connect_clients_session_is_verified_and_authenticated(
        https_server: tuple[str, str]) -> None:
    """The drill stops and deletes connectors with `request(client.session, ...)`: the session carries the CA."""
    from kaa.clients.connect_client import ConnectClient
    from kaa.clients.http_request import request
    from kaa.clients.http_tls import HttpTls
    from kaa.errors import ConnectError

    url, ca = https_server
    client = ConnectClient(url, (USER["username"], USER["password"]), tls=HttpTls(ca_file=ca))
    request(client.session, "DELETE", f"{url}/connectors/x/offsets", "Kafka Connect", ConnectError, 10.0)
    assert Guarded.served == [("DELETE", "/connectors/x/offsets")]

