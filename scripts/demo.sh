#!/usr/bin/env bash
# The main job on embedded defaults, end to end:
#   1. synthesize every stack offline and gate it (Rego + Checkov), with residency per stack;
#   2. the feature data plane: Redis, a Kafka-protocol broker and the Feast feature server on 127.0.0.1,
#      synthetic events -> broker -> consumer -> online store -> feature server;
#   3. the model: historical retrieval -> training -> quality gate -> MLflow registry -> int8 -> KServe
#      predictor -> requests enriched with online features;
#   4. drift: unshifted traffic (no alert), shifted traffic (alert) -> retraining -> a new version;
#   5. a promotion dry run dev -> staging with its diff.
# Reports land in out/. Exit status: the gate's worst result (0 allow, 1 deny, 2 error), or the first failing step's.
set -uo pipefail
cd "$(dirname "$0")/.."
ctl=.venv/bin/platformctl
out=out
started=$SECONDS
banner() { printf '\n===== %s (%ds)\n' "$*" $((SECONDS - started)); }

banner "1/5 synthesize and gate every stack"
mkdir -p "$out/preview" "$out/gate"
$ctl synth --all --out-dir "$out/preview" || exit 2
$ctl gate "$out"/preview/*.json --reports-dir "$out/gate" > /dev/null
status=$?
for preview in "$out"/preview/*.json; do
  stack=$(basename "$preview" .json)
  printf '%s: ' "$stack"; tail -n 1 "$out/gate/$stack.txt" 2>/dev/null
  if $ctl residency "$preview" --output "$out/gate/$stack-residency.txt"; then
    echo "  residency: every resource in me-central-1, no egress path"
  else
    echo "  residency: DATA OR CONTROL LEAVES me-central-1 (see $out/gate/$stack-residency.txt)"
    status=$(( status > 1 ? status : 1 ))
  fi
done
echo "gate reports: $out/gate/"
(( status == 0 )) || { echo "gate did not allow every stack (exit $status): stopping" >&2; exit $status; }

# The data plane stays up for the model step (online features), and is stopped whatever happens.
export PLATFORM_DATAPLANE_DIR="$PWD/$out/demo-dataplane"
stop_dataplane() { PYTHONPATH=$PWD timeout 60 .venv-workloads/bin/python -m workloads.testing.dataplane down >/dev/null 2>&1 || true; }
trap stop_dataplane EXIT

banner "2/5 feature data plane"
DEMO_KEEP_DATAPLANE=1 scripts/demo_dataplane.sh || exit $?

banner "3/5 model: train, register, serve"
scripts/demo_model.sh || exit $?
stop_dataplane

banner "4/5 drift detection and retraining"
scripts/demo_drift.sh || exit $?

banner "5/5 promotion dry run dev -> staging"
scripts/demo_promote.sh || exit $?

banner "done: every step passed"
