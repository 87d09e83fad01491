#!/usr/bin/env bash
# The main job on embedded defaults: synthesize every stack offline, then gate each one.
set -euo pipefail
cd "$(dirname "$0")/.."
out=out/preview
.venv/bin/platformctl synth --all --out-dir "$out"
