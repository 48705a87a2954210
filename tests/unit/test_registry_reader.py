"""The drift scan's registry reader sends a GET that goes unanswered once more on a fresh connection, and
reports a registry that never answers as unreachable, naming the URL."""
from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator

import pytest

import kaa.drift.drift_scan as drift_scan
from kaa.drift.drift_scan import JsonReader
from kaa.errors import UnreachableError


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the registry serves it
    swallow = 0  # how many GETs to leave unanswered (the connection stays open)
    seen = 0

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).seen += 1
        if type(self).swallow > 0:
            type(self).swallow -= 1
            time.sleep(3)  # longer than the reader's stall limit in these tests
            return
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(drift_scan, "STALL_S", 0.5)
    Handler.swallow, Handler.seen = 0, 0
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/apis/ccompat/v7"
    httpd.shutdown()


def test_an_unanswered_get_is_sent_again_and_answered(server: str) -> None:
    reader = JsonReader(server, timeout=10)
    assert reader.get("/subjects") == {"path": "/apis/ccompat/v7/subjects"}
    Handler.swallow = 1
    start = time.perf_counter()
    assert reader.get("/config/orders-value") == {"path": "/apis/ccompat/v7/config/orders-value"}
    assert Handler.seen == 3  # the first GET, the unanswered one, its repeat
    assert time.perf_counter() - start < 2.5  # after the 0.5 s stall limit, not the 10 s timeout


def test_a_registry_that_never_answers_is_unreachable(server: str) -> None:
    Handler.swallow = 2
    with pytest.raises(UnreachableError, match=r"schema registry at http://127\.0\.0\.1:\d+/apis/ccompat/v7/subjects "
                                               r"did not answer \((TimeoutError|timeout)\)"):
        JsonReader(server, timeout=1).get("/subjects")
    assert Handler.seen == 2
