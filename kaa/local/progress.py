"""Start-up progress: one line per service with its state and elapsed seconds.

On a terminal the lines are redrawn in place; elsewhere (CI logs) each line is printed once, when it is final.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class _Line:
    key: str
    note: str
    started: float = field(default_factory=time.monotonic)
    state: str = "starting"
    finished: float | None = None

    def render(self) -> str:
        elapsed = (self.finished or time.monotonic()) - self.started
        return f"  {self.key:<12} {self.state:<8} {elapsed:6.1f}s  {self.note}"


class Progress:
    def __init__(self, stream: TextIO | None):
        self._stream = stream
        self._tty = bool(stream is not None and stream.isatty())
        self._lines: list[_Line] = []
        self._drawn = 0

    def begin(self, key: str, note: str) -> None:
        self._lines.append(_Line(key, note))
        self.tick()

    def finish(self, key: str, state: str) -> None:
        for line in self._lines:
            if line.key == key and line.finished is None:
                line.state, line.finished = state, time.monotonic()
                if not self._tty and self._stream is not None:
                    self._stream.write(line.render() + "\n")
                    self._stream.flush()
        self.tick()

    def tick(self) -> None:
        if not self._tty or self._stream is None:
            return
        out = f"\x1b[{self._drawn}F" if self._drawn else ""
        out += "".join(f"\x1b[2K{line.render()}\n" for line in self._lines)
        self._stream.write(out)
        self._stream.flush()
        self._drawn = len(self._lines)
