"""The pre-flight reachability check names the file, the key and the part that does not answer."""
from __future__ import annotations

import http.server
import socket
import threading
from dataclasses import replace
from pathlib import Path

from kaa.clients.reachability import unreachable_parts
from kaa.topology.model import Cluster
from kaa.topology.spec import load_topology

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_every_dead_part_is_one_line_naming_file_key_and_fix():
    dead = free_port()
    topology = load_topology(ROOT / "stacks" / "local.yaml")
    clusters = tuple(replace(c, bootstrap_servers=(f"127.0.0.1:{dead}",), schema_registry=f"http://127.0.0.1:{dead}",
                             connect=f"http://127.0.0.1:{dead}") for c in topology.clusters)
    problems = unreachable_parts(replace(topology, clusters=clusters), timeout=1.0)
    assert len(problems) == 6
    assert problems[0].startswith("stacks/local.yaml: clusters.K1.bootstrap_servers: the Kafka cluster of K1 cannot "
                                  "be reached: no bootstrap server accepts connections")
    assert problems[4].startswith("stacks/local.yaml: clusters.K2.schema_registry: the schema registry of K2 cannot "
                                  f"be reached: http://127.0.0.1:{dead}/subjects did not answer")
    assert all(p.endswith("start it or fix the address (nothing was changed)") for p in problems)


def test_live_parts_pass():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        topology = load_topology(ROOT / "stacks" / "local.yaml")
        live = Cluster("K1", (f"127.0.0.1:{port}",), f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}")
        clusters = (live, replace(live, alias="K2"))
        assert unreachable_parts(replace(topology, clusters=clusters), timeout=2.0) == []
    finally:
        server.shutdown()


class Failing(http.server.BaseHTTPRequestHandler):
    """A registry or Connect worker that is up but broken: every request gets 503 (or 500 under /subjects)."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(500 if self.path.endswith("/subjects") else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_registry_or_connect_answering_5xx_is_not_reachable():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        topology = load_topology(ROOT / "stacks" / "local.yaml")
        broken = Cluster("K1", (f"127.0.0.1:{port}",), f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}")
        problems = unreachable_parts(replace(topology, clusters=(broken, replace(broken, alias="K2"))), timeout=2.0)
    finally:
        server.shutdown()
    assert [p.split(": the ")[0] for p in problems] == [
        f"stacks/local.yaml: clusters.{a}.{k}" for a in ("K1", "K2") for k in ("schema_registry", "connect")]
    assert f"cannot be reached: http://127.0.0.1:{port}/subjects answered HTTP 500;" in problems[0]
    assert f"cannot be reached: http://127.0.0.1:{port}/ answered HTTP 503;" in problems[1]
