#!/usr/bin/env bash
# Demo step (data plane): local servers up -> synthetic data -> validate -> materialize ->
# events -> broker -> consumer -> online store -> fresh features read back through the feature server.
# Servers are stopped on exit, whatever happens. Exits non-zero on the first failing step.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PLATFORM_DATAPLANE_DIR="${PLATFORM_DATAPLANE_DIR:-$PWD/out/demo-dataplane}"
PY=.venv-workloads/bin/python
export PYTHONWARNINGS="ignore::RuntimeWarning"  # Feast flags on-demand views and saved datasets as experimental
EVENTS=${DEMO_EVENTS:-3000}
step=0
say() { step=$((step + 1)); printf '[dataplane %d] %s\n' "$step" "$*"; }
stop() { timeout 60 "$PY" -m workloads.testing.dataplane down >/dev/null 2>&1 || true; }
trap stop EXIT

rm -rf "$PLATFORM_DATAPLANE_DIR"
say "starting Redis, the Kafka-compatible broker and the Feast feature server on 127.0.0.1"
timeout 300 "$PY" -m workloads.testing.dataplane up --applicants 2000
set -a; source "$PLATFORM_DATAPLANE_DIR/env"; set +a
REPO=$FEATURE_REPO

say "generating the synthetic credit-risk dataset (seed 7, 2000 applicants; identifiers pseudonymized)"
timeout 120 "$PY" -m workloads.features.generate --out-dir "$REPO/data" --seed 7 --applicants 2000 >/dev/null

say "validating every batch (pandera: schema, types, ranges, nulls, freshness), then materializing into Redis"
timeout 300 "$PY" -m workloads.features materialize --repo "$REPO"

say "producing $EVENTS synthetic credit-activity events (every 1000th withdraws consent) to $PLATFORM_KAFKA_BOOTSTRAP"
timeout 120 "$PY" -m workloads.streaming.producer --events "$EVENTS" --withdraw-every 1000 \
  --latest-out "$PLATFORM_DATAPLANE_DIR/latest-events.json"

say "consuming: validate -> pseudonymize -> consent -> push to the online store (offsets committed after each push)"
timeout 300 "$PY" -m workloads.streaming.consumer --repo "$REPO" --assign 0 --idle-exit 3 2>&1 \
  | grep -v "Registry cache" | tail -n 3

say "reading the fresh features back through the feature server (POST /get-online-features)"
timeout 120 "$PY" -m workloads.streaming.readback --server "http://127.0.0.1:$FEATURE_SERVER_PORT" \
  --latest "$PLATFORM_DATAPLANE_DIR/latest-events.json"

if [[ "${DEMO_KEEP_DATAPLANE:-0}" == 1 ]]; then
  trap - EXIT
  echo "[dataplane] done (left running for the next step: $PLATFORM_DATAPLANE_DIR/env)"
else
  say "stopping the data plane"
  stop
  trap - EXIT
  echo "[dataplane] done"
fi
