# Thin on purpose: each target is one command; the work is in scripts/ and the `agrs` command.
.PHONY: setup demo test lint docs check bench bench-full

setup:
	bash scripts/setup.sh

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

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
