"""Benchmarks on the real local pair: each `<name>_bench.py` module has a `main(argv)`; run them with
`python -m benchmarks [<name> [args...]]` (`make bench` runs them all with their defaults)."""
