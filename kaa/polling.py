"""Waiting and retrying, through one library (tenacity), so every wait in the toolkit stops, paces and gives
its last answer the same way.

`poll` asks again every `interval` seconds until the answer is good enough or `timeout` seconds have passed,
and returns the last answer either way (the caller says what a timeout means). `retry_on` repeats a call that
raised an exception the caller names as passing, a few times, then lets the last one through.
An exception from a poll's `fetch` is never retried: it ends the wait.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_result,
    stop_after_attempt,
    stop_after_delay,
    wait_fixed,
)

T = TypeVar("T")


def _last_answer(state: RetryCallState) -> object:
    assert state.outcome is not None
    return state.outcome.result()


def poll(fetch: Callable[[], T], done: Callable[[T], bool], timeout: float, interval: float) -> T:
    """The first answer of `fetch` that is `done`, or its last answer once `timeout` seconds have passed."""
    retrying = Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(interval),
                        retry=retry_if_result(lambda answer: not done(answer)),
                        retry_error_callback=_last_answer)
    answer: T = retrying(fetch)
    return answer


def wait_until(check: Callable[[], bool], timeout: float, interval: float) -> bool:
    """Whether `check` turned true within `timeout` seconds."""
    return bool(poll(check, bool, timeout, interval))


def retry_on(passing: Callable[[BaseException], bool], attempts: int, interval: float) -> Retrying:
    """A retrier for `retry_on(...)(fn, *args)`: up to `attempts` calls while the exception is `passing`."""
    return Retrying(stop=stop_after_attempt(attempts), wait=wait_fixed(interval),
                    retry=retry_if_exception(passing), reraise=True)
