"""The TLS pair's certificates and keys: made once, at its first start, and kept in its state folder.

`trustme` makes a private CA, one server certificate for the pair's loopback names (brokers, Connect REST and
the registries all present it) and one client certificate whose CN (`admin`) is the broker's principal on the
mTLS listener. Every key is written as unencrypted PKCS#8 PEM readable by its owner only (Kafka's PEM stores,
Quarkus, librdkafka and Go all read it); Jetty (Connect's REST server) needs a Java keystore, so the server key
and chain are also written as PKCS#12 with a random password kept next to it. Nothing here is ever in the repo.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

SERVER_NAMES = ("localhost", "127.0.0.1")
CLIENT_NAME = "admin"  # the mTLS principal: User:admin, one of the broker's super users
TLS_FOLDER = "tls"


@dataclass(frozen=True)
class TlsFiles:
    """Where each piece lives under <state>/tls/."""

    folder: Path

    @property
    def ca(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def server_cert(self) -> Path:
        """The server certificate followed by the CA (the chain a server presents)."""
        return self.folder / "server-cert.pem"

    @property
    def server_key(self) -> Path:
        return self.folder / "server-key.pem"

    @property
    def server_keystore(self) -> Path:
        return self.folder / "server.p12"

    @property
    def keystore_password_file(self) -> Path:
        return self.folder / "server.p12.password"

    @property
    def client_cert(self) -> Path:
        return self.folder / "client-cert.pem"

    @property
    def client_key(self) -> Path:
        return self.folder / "client-key.pem"

    @property
    def keystore_password(self) -> str:
        return self.keystore_password_file.read_text(encoding="utf-8").strip()

    def complete(self) -> bool:
        paths = (self.ca, self.server_cert, self.server_key, self.server_keystore, self.keystore_password_file,
                 self.client_cert, self.client_key)
        return all(p.is_file() for p in paths)


def tls_files(state_dir: Path) -> TlsFiles:
    return TlsFiles(state_dir / TLS_FOLDER)


def _pkcs8(key_pem: bytes) -> bytes:
    key = serialization.load_pem_private_key(key_pem, password=None)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write(path: Path, data: bytes, private: bool = False) -> None:
    """Write atomically; keys and passwords readable by their owner only."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    tmp.replace(path)


def ensure_tls_files(state_dir: Path) -> TlsFiles:
    """Make the CA, server and client material once; later starts reuse it (clients keep trusting the CA)."""
    files = tls_files(state_dir)
    if files.complete():
        return files
    files.folder.mkdir(parents=True, exist_ok=True)
    os.chmod(files.folder, 0o700)
    ca = trustme.CA(organization_name="kaa local TLS pair")
    server = ca.issue_cert(*SERVER_NAMES, common_name=SERVER_NAMES[0])
    client = ca.issue_cert(CLIENT_NAME, common_name=CLIENT_NAME)
    ca_pem = ca.cert_pem.bytes()
    server_chain = b"".join(blob.bytes() for blob in server.cert_chain_pems)
    server_key = _pkcs8(server.private_key_pem.bytes())
    password = secrets.token_urlsafe(24)
    keystore = pkcs12.serialize_key_and_certificates(
        b"server",
        serialization.load_pem_private_key(server_key, password=None),  # type: ignore[arg-type]
        x509.load_pem_x509_certificate(server.cert_chain_pems[0].bytes()),
        [x509.load_pem_x509_certificate(ca_pem)],
        serialization.BestAvailableEncryption(password.encode()),
    )
    _write(files.ca, ca_pem)
    _write(files.server_cert, server_chain)
    _write(files.server_key, server_key, private=True)
    _write(files.keystore_password_file, password.encode() + b"\n", private=True)
    _write(files.server_keystore, keystore, private=True)
    _write(files.client_cert, client.cert_chain_pems[0].bytes())
    _write(files.client_key, _pkcs8(client.private_key_pem.bytes()), private=True)
    return files
