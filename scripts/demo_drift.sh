#!/usr/bin/env bash
# Drift step of the demo: unshifted traffic (no alert) -> shifted traffic (alert) -> retraining -> new version.
# Uses MLFLOW_TRACKING_URI when set, else a local MLflow server on 127.0.0.1 for the duration of the step.
# Library chatter (deprecation notices, server logs) goes to out/demo/drift/demo.log, shown on failure.
set -uo pipefail
cd "$(dirname "$0")/.."
rm -rf out/demo/drift
mkdir -p out/demo/drift
export MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false PYTHONWARNINGS=ignore PYTHONPATH=$PWD
timeout 600 .venv-workloads/bin/python -m workloads.monitoring.demo 2> out/demo/drift/demo.log
rc=$?
if ((rc != 0)); then
  echo "drift demo failed (exit $rc); last lines of out/demo/drift/demo.log:" >&2
  tail -n 20 out/demo/drift/demo.log >&2
fi
exit $rc
