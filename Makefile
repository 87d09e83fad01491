# One command per job; each is a thin wrapper over scripts/ or platformctl, which users can call directly.
.PHONY: setup synth gate demo test lint bench clean images dataplane-up dataplane-down demo-promote
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
	@PYTHONPATH=$(CURDIR) .venv-workloads/bin/python -m bench.dataplane
	@.venv/bin/python -m bench.images
	@PYTHONPATH=. .venv-workloads/bin/python -m bench.serving
	@.venv/bin/python -m bench.gate_scale
	@.venv/bin/python -m bench.gate_k8s
	@.venv/bin/python -m bench.gate_startup

clean:
	rm -rf out .pytest_cache

dataplane-up:   ## local Redis, Kafka-compatible broker and Feast feature server on 127.0.0.1 (out/dataplane/env)
	@scripts/dataplane.sh up

dataplane-down:
	@scripts/dataplane.sh down

images: setup    ## build every workload image offline with podman (scripts/images.sh; sizes in out/images/report.json)
	@scripts/images.sh

.PHONY: serve
serve:          ## credit-risk predictor in the foreground on 127.0.0.1:$${PORT:-8080} (latest registered model; trains one if none)
	@PYTHONPATH=. exec .venv-workloads/bin/python -m workloads.serving.local

demo-promote: setup  ## record dev's verdict, then a dry run of dev -> staging with its diff (a scratch clone)
	@scripts/demo_promote.sh
