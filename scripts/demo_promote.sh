#!/usr/bin/env bash
# Promotion demo: record dev's verdict for its release bundle, then a dry run of dev -> staging that
# shows the diff of the pins and the gate's verdict on staging's synthesized preview.
# It works in a throwaway clone of the committed HEAD (your work tree and ledger are not touched);
# the ledger and reports land in out/promote/. Exit status: the promotion dry run's.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
repo=$PWD
ctl="$repo/.venv/bin/platformctl"
out="$repo/out/promote"
rm -rf "$out" && mkdir -p "$out"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/demo-promote.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

git clone --quiet --no-hardlinks "$repo" "$scratch/repo" || exit 2
cd "$scratch/repo" || exit 2
git config user.name "${DEMO_OPERATOR:-platform demo}"
git config user.email "demo@localhost"

echo "== record: gate dev's bundle (program at HEAD) and append the verdict to dev's ledger"
"$ctl" record --stack dev --infra-commit HEAD --ledger-dir "$out/provenance" --reports-dir "$out" || exit $?
# What the deploy workflow pushes to main after a deploy: dev's bundle pinned to the deployed commit.
git commit --quiet --all --message "demo: dev verified at $(git rev-parse --short HEAD)"
"$ctl" history dev --ledger-dir "$out/provenance"

echo
echo "== promote --dry-run: dev -> staging (soak waived for the demo with --soak 0)"
"$ctl" promote --from dev --to staging --dry-run --soak 0 --ledger-dir "$out/provenance" --reports-dir "$out"
rc=$?
echo "reports: $out/ (ledger: $out/provenance/dev.jsonl)"
exit $rc
