"""`python -m benchmarks [<name> [args...]]`: run one benchmark (`drift` -> drift_bench.py) or, with no name,
every `*_bench.py` module with its defaults."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))


def names() -> list[str]:
    return sorted(p.stem[: -len("_bench")] for p in HERE.glob("*_bench.py"))


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(f"usage: python -m benchmarks [{'|'.join(names())} [args...]]")
        return 0
    chosen = [argv[0]] if argv else names()
    if argv and argv[0] not in names():
        print(f"unknown benchmark {argv[0]!r}; choose from {', '.join(names())}", file=sys.stderr)
        return 2
    status = 0
    for name in chosen:
        module = importlib.import_module(f"benchmarks.{name}_bench")
        status = max(status, int(module.main(argv[1:] if argv else []) or 0))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
