"""The toolkit's one way to wait and retry (kaa/polling.py, over tenacity)."""
from __future__ import annotations

import time

import pytest

from kaa.polling import poll, retry_on, wait_until


def test_poll_returns_the_first_good_answer_without_waiting_further() -> None:
    answers = iter([0, 1, 2, 3, 4])
    calls: list[int] = []

    def fetch() -> int:
        calls.append(1)
        return next(answers)

    assert poll(fetch, lambda n: n >= 2, timeout=5, interval=0.001) == 2
    assert len(calls) == 3


def test_poll_gives_the_last_answer_at_the_timeout() -> None:
    began = time.monotonic()
    calls: list[int] = []

    def fetch() -> int:
        calls.append(1)
        return len(calls)

    last = poll(fetch, lambda n: False, timeout=0.2, interval=0.05)
    elapsed = time.monotonic() - began
    assert last == len(calls) and 2 <= len(calls) <= 8
    assert 0.2 <= elapsed < 1.0


def test_an_exception_from_fetch_ends_the_wait() -> None:
    calls: list[int] = []

    def fetch() -> int:
        calls.append(1)
        raise ValueError("failed for good")

    with pytest.raises(ValueError, match="failed for good"):
        poll(fetch, lambda n: True, timeout=5, interval=0.001)
    assert len(calls) == 1


def test_wait_until() -> None:
    flips = iter([False, False, True])
    assert wait_until(lambda: next(flips), timeout=5, interval=0.001) is True
    assert wait_until(lambda: False, timeout=0.05, interval=0.01) is False


def test_retry_on_repeats_only_passing_errors_and_lets_the_last_through() -> None:
    calls: list[str] = []

    def flaky(kind: str) -> str:
        calls.append(kind)
        if len(calls) < 3:
            raise RuntimeError("UNKNOWN_TOPIC_OR_PART")
        return "ok"

    assert retry_on(lambda e: "UNKNOWN" in str(e), 3, 0.001)(flaky, "a") == "ok" and len(calls) == 3

    calls.clear()
    with pytest.raises(RuntimeError, match="UNKNOWN"):
        retry_on(lambda e: "UNKNOWN" in str(e), 2, 0.001)(flaky, "b")
    assert len(calls) == 2

    def broken() -> None:
        calls.append("x")
        raise KeyError("other")

    calls.clear()
    with pytest.raises(KeyError):
        retry_on(lambda e: "UNKNOWN" in str(e), 3, 0.001)(broken)
    assert calls == ["x"]
