#!/usr/bin/env bash
# The main job on embedded defaults: synthesize every stack offline, gate each one, show residency.
# Reports land in out/gate/<stack>.{txt,json,sarif,xml,md}. Exit status: worst gate result (0 allow, 1 deny, 2 error).
set -uo pipefail
cd "$(dirname "$0")/.."
ctl=.venv/bin/platformctl
out=out
mkdir -p "$out/preview" "$out/gate"
$ctl synth --all --out-dir "$out/preview" || exit 2
status=0
for preview in "$out"/preview/*.json; do
  stack=$(basename "$preview" .json)
  echo "== gate: $stack"
  $ctl gate "$preview" --reports-dir "$out/gate" > /dev/null; rc=$?
  tail -n 1 "$out/gate/$stack.txt" 2>/dev/null
  if $ctl residency "$preview" --output "$out/gate/$stack-residency.txt"; then
    echo "residency: every resource in me-central-1, no egress path"
  else
    echo "residency: DATA OR CONTROL LEAVES me-central-1 (see $out/gate/$stack-residency.txt)"
  fi
  (( rc > status )) && status=$rc
done
echo "reports: $out/gate/"
exit $status
