#!/usr/bin/env bash
# Local data plane: Redis, the Tansu Kafka-compatible broker and the Feast feature server on 127.0.0.1.
#   scripts/dataplane.sh up|down|status     (ports and pids in out/dataplane/env and out/dataplane/pids)
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec .venv-workloads/bin/python -m workloads.testing.dataplane "$@"
