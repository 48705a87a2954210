"""The TLS settings `kaa render mm2` writes work in Kafka's own Java client: the client lines of a cluster in the
rendered mm2.properties (truststore, PEM keystore through DirectoryConfigProvider references, SASL over TLS) log in
to the real TLS pair (`kaa local up --tls`), and the same lines with the certificate in place of the key do not.
BrokerApiVersionsCommand (kafka-tools, the pair's jars) is the client: it reads a client config file as MM2 does."""
from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from kaa.local import LocalPair
from kaa.mirror.mm2_render import SECRETS_FILE, render_properties
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology

ROOT = Path(__file__).resolve().parents[2]


def client_lines(text: str, alias: str) -> dict[str, str]:
    """The rendered client config of one cluster (its `<alias>.` lines) plus the config providers."""
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(" = ")
        if key.startswith("config.providers"):
            out[key] = value
        elif key.startswith(f"{alias}.") and "->" not in key and ".producer." not in key:
            out[key.removeprefix(f"{alias}.")] = value
    return out


def api_versions(settings: dict[str, str], folder: Path, pair: LocalPair) -> subprocess.CompletedProcess[str]:
    config = folder / "client.properties"
    # the tool's 5 s request timeout is too short on a loaded 2-core machine (load 25 measured): not what is tested
    patient = {"request.timeout.ms": "60000", "socket.connection.setup.timeout.ms": "30000"}
    config.write_text("".join(f"{k}={v}\n" for k, v in {**settings, **patient}.items()))
    classpath = pair.runtime.kafka_classpath
    return subprocess.run(["java", "-cp", classpath, "org.apache.kafka.tools.BrokerApiVersionsCommand",
                           "--bootstrap-server", settings["bootstrap.servers"], "--command-config", str(config)],
                          capture_output=True, text=True, timeout=300, check=False)


def on_the_pair(pair: LocalPair, mtls: bool) -> Topology:
    """The golden mtls case (K1: protocol SSL with a client certificate) or tls case (K1: SASL_SSL SCRAM with a PEM
    CA), pointed at the TLS pair's K1 listener and files."""
    settings = pair.client_settings("K1")
    tls = settings["kafka_mtls"]
    topology = load_topology(ROOT / "tests" / "golden" / "render" / ("mtls" if mtls else "tls") / "stack.yaml")
    k1 = topology.cluster("K1")
    security = replace(k1.security, ssl_truststore=tls["ssl.ca.location"],
                       ssl_client_cert=tls["ssl.certificate.location"] if mtls else None,
                       ssl_client_key=tls["ssl.key.location"] if mtls else None)
    bootstrap = tls["bootstrap.servers"] if mtls else settings["kafka"]["bootstrap.servers"]
    cluster = replace(k1, bootstrap_servers=(bootstrap,), security=security)
    return replace(topology, clusters=(cluster, topology.cluster("K2")))


def test_the_rendered_pem_keystore_logs_in_over_mutual_tls(tls_pair: LocalPair, tmp_path: Path) -> None:
    settings = client_lines(render_properties(on_the_pair(tls_pair, mtls=True)), "K1")
    assert settings["security.protocol"] == "SSL" and settings["ssl.keystore.key"].startswith("${dir:")
    good = api_versions(settings, tmp_path, tls_pair)
    assert good.returncode == 0 and "(id: 1 rack: null" in good.stdout, good.stdout[-2000:] + good.stderr[-2000:]
    broken = {**settings, "ssl.keystore.key": settings["ssl.keystore.certificate.chain"]}
    bad = api_versions(broken, tmp_path, tls_pair)
    assert bad.returncode != 0 and "No matching PRIVATE KEY entries in PEM file" in bad.stdout + bad.stderr


def test_the_rendered_sasl_ssl_settings_log_in_with_the_mm2_password(tls_pair: LocalPair, tmp_path: Path) -> None:
    """SASL_SSL with SCRAM and the PEM truststore: the rendered JAAS line reads its password from the secrets
    file (here the pair's admin, standing in for the MM2 principal), as a deployment's FileConfigProvider does."""
    kafka = tls_pair.client_settings("K1")["kafka"]
    text = render_properties(on_the_pair(tls_pair, mtls=False))
    secrets = tmp_path / "mm2-secrets.properties"
    secrets.write_text(f"K1.password={kafka['sasl.password']}\n")
    admin = f'username="{kafka["sasl.username"]}"'
    settings = {k: v.replace(SECRETS_FILE, str(secrets)).replace('username="mm2"', admin)
                for k, v in client_lines(text, "K1").items()}
    assert settings["ssl.truststore.type"] == "PEM"
    good = api_versions(settings, tmp_path, tls_pair)
    assert good.returncode == 0 and "(id: 1 rack: null" in good.stdout, good.stdout[-2000:] + good.stderr[-2000:]
    without_truststore = {k: v for k, v in settings.items() if not k.startswith("ssl.truststore.")}
    bad = api_versions(without_truststore, tmp_path, tls_pair)
    assert bad.returncode != 0 and "PKIX path building failed" in bad.stdout + bad.stderr, bad.stdout[-1500:]


def pbes1_encrypted(key_file: Path, password: str) -> bytes:
    """The key as encrypted PKCS#8 with PBES1 (PBE-SHA1-3DES). Kafka's PEM keystore asks the JVM for a
    SecretKeyFactory named after the key's algorithm, and Java 17 (the pair's) has none for PBES2, the default of
    `openssl pkcs8` and of cryptography's BestAvailableEncryption ("PBES2 SecretKeyFactory not available")."""
    key = serialization.load_pem_private_key(key_file.read_bytes(), None)
    plain = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    result = subprocess.run(["openssl", "pkcs8", "-topk8", "-v1", "PBE-SHA1-3DES", "-passout", "env:KEY_PW"],
                            input=plain, capture_output=True, check=True, env={"KEY_PW": password})
    assert result.stdout.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    return result.stdout


def test_the_rendered_pem_keystore_with_an_encrypted_key_logs_in_with_its_password(
        tls_pair: LocalPair, tmp_path: Path) -> None:
    """`ssl_client_key_encrypted`: the rendered lines add `ssl.key.password` from the secrets file, and Kafka's
    PEM keystore decrypts the PKCS#8 key with it; a wrong password is refused."""
    mtls = on_the_pair(tls_pair, mtls=True)
    k1 = mtls.cluster("K1")
    encrypted = tmp_path / "keys" / "client-key.pem"
    encrypted.parent.mkdir()
    encrypted.write_bytes(pbes1_encrypted(Path(str(k1.security.ssl_client_key)), "render-key-Passw0rd"))
    security = replace(k1.security, ssl_client_key=str(encrypted), ssl_client_key_encrypted=True)
    topology = replace(mtls, clusters=(replace(k1, security=security), mtls.cluster("K2")))
    text = render_properties(topology)
    secrets = tmp_path / "mm2-secrets.properties"
    lines = client_lines(text, "K1")
    assert lines["ssl.key.password"] == "${file:" + SECRETS_FILE + ":K1.ssl.key.password}"
    for password, works in (("render-key-Passw0rd", True), ("wrong-Passw0rd", False)):
        secrets.write_text(f"K1.ssl.key.password={password}\n")
        settings = {k: v.replace(SECRETS_FILE, str(secrets)) for k, v in lines.items()}
        result = api_versions(settings, tmp_path, tls_pair)
        output = result.stdout[-2000:] + result.stderr[-2000:]
        assert (result.returncode == 0 and "(id: 1 rack: null" in result.stdout) == works, output
