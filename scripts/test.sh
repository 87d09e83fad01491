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
# The workloads tests (ML code, images, DAG) run in the workloads venv; skipped when arguments narrow the run.
if [[ $# -eq 0 ]]; then
  # Its own JUnit file when CI asks for one (PYTEST_ADDOPTS), not the main suite's.
  addopts=${PYTEST_ADDOPTS:-}
  PYTEST_ADDOPTS=${addopts//pytest.xml/workloads.xml} PYTHONPATH=$PWD PYTHONWARNINGS="ignore::RuntimeWarning" \
    .venv-workloads/bin/python -m pytest -q -p no:cacheprovider workloads
  wrc=$?
  if [[ $wrc -eq 5 ]]; then echo "no workloads tests were collected: failing" >&2; wrc=1; fi
  ((wrc > rc)) && rc=$wrc
fi
exit $rc
