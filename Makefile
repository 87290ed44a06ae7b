# Thin on purpose: each target is one command; the work is in scripts/ and the `agrs` command.
.PHONY: setup demo test test-remote lint docs check bench bench-full

setup:
	bash scripts/setup.sh

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

# Issue 14's full matrix: every test marked `remote` on every store kind (the embedded store and each server of
# tests/servers.py; a server that is not installed is skipped, with the reason), AGRS_TEST_FULL_REMOTE=1: every test
# taking the `store` fixture on every kind, and the bundled observatory on every server. `make test` runs the store
# contract, the CLI loads, the serving and W3C tests on every server, and the rest on the embedded store. TEST_STORES=embedded,virtuoso narrows this target.
TEST_STORES ?= embedded,oxigraph-server,virtuoso,fuseki
test-remote:
	bash scripts/setup.sh --test
	AGRS_TEST_FULL_REMOTE=1 AGRS_TEST_STORES=$(TEST_STORES) .venv/bin/python -m pytest -m remote $(PYTEST_ARGS)

check:
	.venv/bin/agrs ontology check

docs:
	.venv/bin/agrs ontology docs --output build/docs

lint:
	.venv/bin/ruff check .

# Issue 13's benchmark suite on size S (under 15 minutes on 2 cores); bench-full: more runs, the slow baselines
# in full (BENCH_SIZE=M or L for the engines and throughput on M or L). Results: benchmarks/RESULTS.md.
bench:
	bash scripts/bench.sh

bench-full:
	bash scripts/bench.sh full
