#!/usr/bin/env bash
# The whole test suite: lint first, then pytest (unit, policy, integration).
# pytest's own summary line is the verdict; "no tests ran" is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check . && .venv/bin/ruff format --check . >/dev/null && .venv/bin/codespell || {
  echo "lint failed: run 'make lint' (ruff format . fixes formatting)" >&2; exit 1; }
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
rc=$?
if [[ $rc -eq 5 ]]; then echo "no tests were collected: failing" >&2; exit 1; fi
# Workloads (ML) tests in their own venv, against real local servers; same verdict rules.
if [[ $rc -eq 0 ]]; then
  PYTHONPATH="$PWD" PYTHONWARNINGS="ignore::RuntimeWarning" .venv-workloads/bin/python -m pytest -q -p no:cacheprovider workloads
  rc=$?
  if [[ $rc -eq 5 ]]; then echo "no workloads tests were collected: failing" >&2; exit 1; fi
fi
exit $rc
