"""The dynamic providers against an HTTPS server on loopback that demands basic auth: they verify its
certificate against the stack's CA, send the stack's credentials, and refuse a server their CA did not sign."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from components.providers.connector import ConnectorProvider
from components.providers.schema_pass import SchemaPassProvider
from tests.unit.loopback_server import Recorder, recorder, serve, write_ca

USER = {"username": "registry-admin", "password": "pw-1"}


@pytest.fixture
def guarded() -> type[Recorder]:
    """Answers 401 without the stack's basic auth; records what it served."""
    return recorder(auth=(USER["username"], USER["password"]))


@pytest.fixture
def https_server(tmp_path: Path, guarded: type[Recorder]) -> Iterator[tuple[str, str]]:
    """(base URL, CA file) of an HTTPS server whose certificate the CA signed for 127.0.0.1."""
    ca = trustme.CA()
    with serve(guarded, tls=ca) as url:
        yield url, write_ca(ca, tmp_path / "ca.pem")


@pytest.fixture
def other_ca(tmp_path: Path) -> str:
    return write_ca(trustme.CA(), tmp_path / "other-ca.pem")


def test_a_subject_is_deleted_over_https_with_the_stacks_ca_and_credentials(https_server: tuple[str, str],
                                                                            guarded: type[Recorder]) -> None:
    url, ca = https_server
    props: dict[str, Any] = {"label": "K1", "url": f"{url}/apis/ccompat/v7", "subjects": [{"subject": "orders-value"}],
                             "auth": USER, "ca": ca}
    SchemaPassProvider().delete("K1/registration-pass", props)
    assert guarded.served == [("DELETE", "/apis/ccompat/v7/subjects/orders-value"),
                              ("DELETE", "/apis/ccompat/v7/config/orders-value")]


def test_a_registry_signed_by_another_ca_is_refused(https_server: tuple[str, str], other_ca: str,
                                                   guarded: type[Recorder]) -> None:
    url, _ = https_server
    props: dict[str, Any] = {"label": "K1", "url": f"{url}/apis/ccompat/v7", "subjects": [{"subject": "orders-value"}],
                             "auth": USER, "ca": other_ca}
    with pytest.raises(Exception, match="certificate verify failed"):
        SchemaPassProvider().delete("K1/registration-pass", props)
    assert guarded.served == []


def test_a_connector_is_deleted_over_https_with_the_stacks_ca_and_credentials(https_server: tuple[str, str],
                                                                              guarded: type[Recorder]) -> None:
    url, ca = https_server
    props: dict[str, Any] = {"label": "K2", "url": url, "name": "mm2-k1-k2-source", "auth": USER, "ca": ca}
    ConnectorProvider().delete("K2/mm2-k1-k2-source", props)
    assert guarded.served == [("DELETE", "/connectors/mm2-k1-k2-source")]


def test_a_connect_worker_signed_by_another_ca_is_refused(https_server: tuple[str, str], other_ca: str,
                                                         guarded: type[Recorder]) -> None:
    url, _ = https_server
    props: dict[str, Any] = {"label": "K2", "url": url, "name": "mm2-k1-k2-source", "auth": USER, "ca": other_ca}
    with pytest.raises(Exception, match="certificate verify failed"):
        ConnectorProvider().delete("K2/mm2-k1-k2-source", props)
    assert guarded.served == []


def test_a_call_sent_through_a_connect_clients_session_is_verified_and_authenticated(
        https_server: tuple[str, str], guarded: type[Recorder]) -> None:
    """The drill stops and deletes connectors with `request(client.session, ...)`: the session carries the CA."""
    from kaa.clients.connect_client import ConnectClient
    from kaa.clients.http_request import request
    from kaa.clients.http_tls import HttpTls
    from kaa.errors import ConnectError

    url, ca = https_server
    client = ConnectClient(url, (USER["username"], USER["password"]), tls=HttpTls(ca_file=ca))
    request(client.session, "DELETE", f"{url}/connectors/x/offsets", "Kafka Connect", ConnectError, 10.0)
    assert guarded.served == [("DELETE", "/connectors/x/offsets")]

