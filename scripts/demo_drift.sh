#!/usr/bin/env bash
# Drift step of the demo: unshifted traffic (no alert) -> shifted traffic (alert) -> retraining -> new version.
# Uses MLFLOW_TRACKING_URI when set, else a local MLflow server on 127.0.0.1 for the duration of the step.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf out/demo/drift
export MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false
PYTHONPATH=$PWD PYTHONWARNINGS=ignore exec timeout 600 .venv-workloads/bin/python -m workloads.monitoring.demo
