# The README's two commands are `make up` (the main job on the local pair) and `make test` (every test tier).
SHELL := /bin/bash
KAA := scripts/kaa

.PHONY: setup setup-main up down test lint unit tools integration e2e tls bench mutation

setup:            ## install everything: the main job's parts and the tools tier (actionlint, mermaid, Chromium)
	scripts/setup.sh all
	tests/e2e/race_plugin/build.sh >/dev/null   # the e2e tier's test-only kafka plugin; cached, after the stand-in

setup-main:       ## only what `make up` needs (virtualenv, Kafka/Connect/registry jars, Pulumi engine); cached
	scripts/setup.sh main

up: setup-main    ## start the local K1/K2 pair, `pulumi up --stack local`, then show replication both ways
	$(KAA) quickstart $(ARGS)

down:             ## stop the local pair (keeps data; `scripts/kaa local down --wipe` wipes it)
	$(KAA) local down

lint: setup
	.venv/bin/ruff check components kaa tests scripts/kaa __main__.py policy benchmarks
	.venv/bin/mypy

unit: setup
	.venv/bin/python -m pytest tests/unit -q

tools: setup      ## tests that need the tools tier (actionlint, Node, mermaid, Chromium, git, `kaa` processes)
	.venv/bin/python -m pytest tests/tools -q

integration: setup
	.venv/bin/python -m pytest tests/integration -q

e2e: setup
	.venv/bin/python -m pytest tests/e2e -q

tls: setup        ## the TLS pair (`kaa local up --tls`, started when not running) and the local-tls stack on it
	.venv/bin/python -m pytest tests/tls -q

test: setup lint  ## every tier: lint, unit, tools, integration (real pair), e2e (real Pulumi engine + pair), tls
	.venv/bin/python -m pytest tests/unit tests/tools tests/integration tests/e2e tests/tls -q

# Mutation testing (a benchmark, not a gate): mutmut changes the pure logic one small edit at a time and runs the
# unit tier against each mutant; docs/mutation.md has the last score. Narrow it with MUTANTS, e.g.
# `make mutation MUTANTS='kaa.mirror.mm2_settings*'`; `.venv/bin/mutmut show <name>` prints one mutant.
mutation: setup
	.venv/bin/mutmut run --max-children $${MUTATION_JOBS:-2} $(MUTANTS)
	.venv/bin/python scripts/mutation-score

bench: setup
	.venv/bin/python -m benchmarks
