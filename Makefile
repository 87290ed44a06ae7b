# Thin on purpose: each target is one command; the work is in scripts/ and the `agrs` command.
.PHONY: setup demo test lint docs check

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
