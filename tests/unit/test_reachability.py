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
