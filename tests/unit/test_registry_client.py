"""The one registry client sends a GET that goes unanswered once more on a fresh connection, and reports a
registry that never answers as unreachable, naming the URL."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

import kaa.clients.json_http as json_http
from kaa.clients.registry_client import RegistryClient
from kaa.errors import UnreachableError
from tests.unit.loopback_server import QuietHandler, serve


class Handler(QuietHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the registry serves it
    swallow = 0  # how many GETs to leave unanswered (the connection stays open)
    seen = 0

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).seen += 1
        if type(self).swallow > 0:
            type(self).swallow -= 1
            time.sleep(3)  # longer than the reader's stall limit in these tests
            return
        self.answer(200, {"path": self.path})


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(json_http, "STALL_S", 0.5)
    Handler.swallow, Handler.seen = 0, 0
    with serve(Handler) as url:
        yield f"{url}/apis/ccompat/v7"


def test_an_unanswered_get_is_sent_again_and_answered(server: str) -> None:
    reader = RegistryClient(server, timeout=10)
    assert reader.get("/subjects") == {"path": "/apis/ccompat/v7/subjects"}
    Handler.swallow = 1
    start = time.perf_counter()
    assert reader.get("/config/orders-value") == {"path": "/apis/ccompat/v7/config/orders-value"}
    assert Handler.seen == 3  # the first GET, the unanswered one, its repeat
    assert time.perf_counter() - start < 2.5  # after the 0.5 s stall limit, not the 10 s timeout


def test_a_registry_that_never_answers_is_unreachable(server: str) -> None:
    Handler.swallow = 2
    with pytest.raises(UnreachableError, match=r"schema registry at http://127\.0\.0\.1:\d+/apis/ccompat/v7/subjects "
                                               r"did not answer \((ReadTimeoutError|TimeoutError|timeout)\)"):
        RegistryClient(server, timeout=1).get("/subjects")
    assert Handler.seen == 2


# --- on recorded Karapace behaviour (tests/unit/fake_karapace.py) ---------------------------------------------------

import kaa.clients.registry_client as registry_client  # noqa: E402
from kaa.clients.registry_client import RegistryLoading, RegistryRefusal  # noqa: E402
from tests.unit.fake_karapace import State, fake_karapace  # noqa: E402


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real backoff, no readiness cache between tests."""
    monkeypatch.setattr(json_http, "BACKOFF_S", 0.0)
    monkeypatch.setattr(registry_client, "_READY_AT", {})


def test_a_write_answered_50003_is_retried_until_it_succeeds(quick: None) -> None:
    with fake_karapace(State(failures=3)) as (url, state):
        client = RegistryClient(url)
        assert client.register("orders-value", '"string"', "AVRO") == 1
        assert [m for m, _ in state.requests] == ["POST"] * 4


def test_transient_answers_are_retried_a_bounded_number_of_times(quick: None) -> None:
    with fake_karapace(State(failures=100)) as (url, state):
        with pytest.raises(RegistryRefusal, match=r"HTTP 500: Error while forwarding the request to the master") as exc:
            RegistryClient(url).register("orders-value", '"string"', "AVRO")
        assert (exc.value.status, exc.value.code) == (500, 50003)
        assert len(state.requests) == json_http.RETRIES + 1


def test_retries_back_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_http, "BACKOFF_S", 0.1)
    with fake_karapace(State(failures=3)) as (url, _):
        start = time.perf_counter()
        RegistryClient(url).register("orders-value", '"string"', "AVRO")
        assert time.perf_counter() - start >= 0.1 + 0.2  # urllib3: no sleep before the first retry, then doubling


def test_a_loading_registry_is_waited_for_then_named(quick: None) -> None:
    with fake_karapace(State(loading=3)) as (url, state):
        RegistryClient(url, alias="K1").wait_ready(bound=10, poll=0.01)
        assert state.loading == 0
        state.loading = 1000
        registry_client._READY_AT.clear()  # once found ready, a registry is believed for READY_FOR_S
        with pytest.raises(RegistryLoading, match=rf"^schema registry of K1 \({url}\) is still loading "
                                                  r"\(/_health says schema_registry_ready is false; waited 0 s\)"):
            RegistryClient(url, alias="K1").wait_ready(bound=0.05, poll=0.01)
        assert RegistryLoading("x").exit_code == 2
        state.loading, state.master = 0, False
        assert RegistryClient(url).loading() == "/master_available says no primary is available"


def test_a_registry_without_readiness_endpoints_must_answer_plausibly(server: str) -> None:
    """Apicurio has neither /_health nor /master_available (404): its config and subject list must answer as
    a registry does; the echo server answers objects for both, so /subjects is not a list."""
    assert RegistryClient(server).loading() == "GET /config and GET /subjects do not answer as a ready registry does"


def test_bulk_read_where_the_answer_lists_subject_version_and_id(quick: None) -> None:
    with fake_karapace() as (url, _):
        client = RegistryClient(url)
        assert client.bulk_versions() == []
        client.register("a-value", '{"type": "string"}', "AVRO")
        client.register("b-value", 'syntax = "proto3";\nmessage M { int32 x = 1; }', "PROTOBUF")
        bulk = client.bulk_versions()
        assert bulk is not None
        assert [(v.subject, v.version, v.id, v.schema_type) for v in bulk] == [("a-value", 1, 1, "AVRO"),
                                                                              ("b-value", 1, 2, "PROTOBUF")]


def test_no_bulk_read_where_the_answer_is_bare_schemas(server: str) -> None:
    """Apicurio answers GET /schemas with [{"schema": ...}] only: the scan must read per subject."""
    class Bare(Handler):
        def do_GET(self) -> None:  # noqa: N802
            self.answer(200, [{"schema": '"string"'}])

    with serve(Bare) as url:
        assert RegistryClient(url).bulk_versions() is None


def test_karapace_answer_codes_for_levels_and_deletes(quick: None) -> None:
    with fake_karapace() as (url, state):
        client = RegistryClient(url)
        assert client.compatibility("missing-value") is None  # 40401
        client.register("a-value", '"string"', "AVRO")
        assert client.compatibility("a-value") is None  # 40408: no level of its own
        client.set_compatibility("a-value", "FULL")
        assert client.compatibility("a-value") == "FULL"
        client.delete_subject("a-value", permanent=False)
        assert state.requests[-1] == ("DELETE", "/subjects/a-value")  # soft unless told
        assert state.subjects["a-value"][0].deleted
        client.delete_subject("a-value", permanent=True)
        assert state.requests[-2:] == [("DELETE", "/subjects/a-value"), ("DELETE", "/subjects/a-value?permanent=true")]
        assert "a-value" not in state.subjects
        client.clear_compatibility("a-value")  # 40408 on a subject without a level: nothing to clear


def test_apicurio_is_recognised_as_ignoring_explicit_ids() -> None:
    class Apicurio(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802
            found = self.path == "/apis/registry/v3/system/info"
            self.answer(200 if found else 404, {"name": "Apicurio Registry (SQL)", "version": "3.3.3"} if found else {})

    with serve(Apicurio) as url:
        client = RegistryClient(f"{url}/apis/ccompat/v7")
        assert client.import_unsupported() == "it is Apicurio Registry (SQL) 3.3.3, which ignores explicit IDs"


def test_the_local_pairs_probe_counts_a_loading_registry_as_not_up() -> None:
    """`kaa local up` waits on this probe: a registry answering /subjects while replaying is not up yet."""
    from kaa.local.probes import registry_ready

    with fake_karapace(State(loading=1000)) as (url, state):
        assert not registry_ready(url)
        state.loading = 0
        assert registry_ready(url)
        state.master = False
        assert not registry_ready(url)
