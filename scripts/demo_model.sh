#!/usr/bin/env bash
# Model step of `make demo`: historical retrieval -> training -> evaluation -> registration -> quantized model
# -> predictor -> sample requests (with online features when scripts/dataplane.sh is up) -> stop.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::DeprecationWarning,ignore::UserWarning,ignore::RuntimeWarning}"
exec timeout 600 .venv-workloads/bin/python -m workloads.serving.demo
