# One command per job; each is a thin wrapper over scripts/ or platformctl, which users can call directly.
.PHONY: setup synth gate demo test lint bench clean
SHELL := /bin/bash

setup:          ## create/refresh .venv and .venv-checkov (idempotent)
	@scripts/bootstrap.sh

synth: setup    ## synthesize every stack offline into out/preview/<stack>.json
	@.venv/bin/platformctl synth --all --out-dir out/preview

demo: setup     ## the main job: synthesize every stack, gate it, run the local ML data plane
	@scripts/demo.sh

test: setup     ## the whole test suite (unit, policy, integration)
	@scripts/test.sh

lint: setup
	@.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/codespell

bench: setup    ## benchmarks; results in bench/results/*.json
	@.venv/bin/python -m bench
	@.venv/bin/python -m bench.gate_startup

clean:
	rm -rf out .pytest_cache
