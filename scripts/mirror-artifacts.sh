#!/usr/bin/env bash
# Copy every pinned third-party Helm chart and image (infra/components/supply_chain.py) into the
# stack's ECR repositories in me-central-1, where the cluster pulls them from. Run it from a machine
# with egress to the upstream registries, BEFORE previewing the platform services (their digests
# are read from ECR): `pulumi up --target` the registry/mirror repositories first (ADR 0010).
#   scripts/mirror-artifacts.sh <account-id> <stack>            copy (needs aws, helm, crane)
#   scripts/mirror-artifacts.sh --dry-run <account-id> <stack>  print the commands only
set -euo pipefail
cd "$(dirname "$0")/.."
run() { if [[ $dry_run == 1 ]]; then printf '%q ' "$@"; echo; else "$@"; fi; }

dry_run=0
if [[ ${1:-} == --dry-run ]]; then dry_run=1; shift; fi
if [[ $# -ne 2 || ! $1 =~ ^[0-9]{12}$ || ! $2 =~ ^(dev|staging|prod)$ ]]; then
  echo "usage: $0 [--dry-run] <12-digit account id> <dev|staging|prod>" >&2; exit 2
fi
account=$1 stack=$2 region=me-central-1
registry="$account.dkr.ecr.$region.amazonaws.com"
python=${PYTHON:-.venv/bin/python}
plan=$("$python" -m infra.components.supply_chain "$account" "uae-ml-$stack")

if [[ $dry_run == 0 ]]; then
  password=$(aws ecr get-login-password --region "$region")
  helm registry login --username AWS --password-stdin "$registry" <<<"$password"
  crane auth login --username AWS --password-stdin "$registry" <<<"$password"
fi
workdir=$(mktemp -d); trap 'rm -rf "$workdir"' EXIT
while IFS=$'\t' read -r kind upstream version destination; do
  case $kind in
    chart)
      if [[ $upstream == oci://* ]]; then
        run helm pull "$upstream" --version "$version" --destination "$workdir"
      else  # a classic https chart repository: <repo url>#<chart name>
        run helm pull "${upstream#*#}" --repo "${upstream%%#*}" --version "$version" --destination "$workdir"
      fi
      run helm push "$workdir/${upstream##*[/#]}-${version}.tgz" "$destination"
      ;;
    image)
      # Copies every platform of the index unchanged: the digest in ECR is the upstream digest.
      run crane copy "$upstream:$version" "$destination"
      ;;
  esac
done <<<"$plan"
