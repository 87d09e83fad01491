#!/usr/bin/env bash
# Build every workload image offline with podman (docs/adr/0014-offline-workload-images.md).
#
#   scripts/images.sh [IMAGE...]     build the named images (default: all of them)
#   scripts/images.sh base           only the offline Debian base image
#   scripts/images.sh env            print the podman environment (eval it to use podman by hand)
#
# Nothing is pulled from a registry: the base is a debootstrap of Debian bookworm imported as
# localhost/base:bookworm and cached by the hash of its recipe; Python packages come from a
# per-image wheelhouse downloaded on the host (pinned by requirements/workloads.txt and the
# workloads venv), and `podman build --network=none --pull=never` installs them with --no-index.
# Build times and sizes are written to out/images/report.json (one line per image: out/images/<image>.json).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[images] %s\n' "$*" >&2; }

ALL_IMAGES=(serving training monitoring streaming features)
CACHE_DIR=${IMAGES_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/uae-ml-images}
OUT_DIR=${IMAGES_OUT_DIR:-out/images}
IMAGE_PREFIX=${IMAGE_PREFIX:-localhost/uae-ml}
WORKLOADS_PYTHON=${WORKLOADS_PYTHON:-.venv-workloads/bin/python}

# --- podman in this sandbox: runc, explicit ulimits, storage in a scratch folder ------------------
podman_env() {
  local conf_dir=$CACHE_DIR/conf
  mkdir -p "$conf_dir" "$CACHE_DIR/storage" "$CACHE_DIR/run"
  local nofile nproc
  nofile=$(ulimit -Hn)
  [[ $nofile == unlimited ]] && nofile=1048576
  nproc=$(ulimit -Hu)
  [[ $nproc == unlimited || $nproc -gt 32768 ]] && nproc=32768
  # root here lacks CAP_SYS_RESOURCE, so the container ulimits may not exceed ours; crun rejects
  # this cgroup layout, runc accepts it.
  cat > "$conf_dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  cat > "$conf_dir/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$CACHE_DIR/storage"
runroot = "$CACHE_DIR/run"
EOF
  export CONTAINERS_CONF=$conf_dir/containers.conf
  export CONTAINERS_STORAGE_CONF=$conf_dir/storage.conf
}

# --- the offline base image -------------------------------------------------------------------------
BASE_SUITE=bookworm
BASE_PACKAGES=python3,python3-venv,ca-certificates,procps,iproute2
BASE_REF=localhost/base:$BASE_SUITE

debian_mirror() {
  # The mirror apt already uses on this machine (deb822 or one-line format).
  local uri=""
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [[ -z $uri && -f /etc/apt/sources.list ]]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

base_recipe_hash() {
  # Any change to the recipe (suite, package list, the steps below) makes a new base.
  { echo "$BASE_SUITE $BASE_PACKAGES minbase v1"; declare -f build_base_rootfs; } | sha256sum | cut -c1-16
}

build_base_rootfs() {
  local rootfs=$1 mirror=$2
  debootstrap --variant=minbase --include="$BASE_PACKAGES" "$BASE_SUITE" "$rootfs" "$mirror" >&2
  # No package caches, lists or logs in the image: smaller, and nothing that varies per build.
  chroot "$rootfs" apt-get clean
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/log/* \
    "$rootfs"/tmp/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
  : > "$rootfs/etc/machine-id"
}

ensure_base() {
  local hash tarball tag
  hash=$(base_recipe_hash)
  tag=$BASE_REF-$hash
  if podman image exists "$tag"; then
    podman tag "$tag" "$BASE_REF"
    log "base image cached: $tag"
    return
  fi
  tarball=$CACHE_DIR/base-$BASE_SUITE-$hash.tar
  if [[ ! -s $tarball ]]; then
    command -v debootstrap >/dev/null || { log "debootstrap missing: run 'make setup'"; exit 1; }
    local rootfs=$CACHE_DIR/rootfs-$hash start=$SECONDS
    rm -rf "$rootfs"
    log "debootstrap $BASE_SUITE from $(debian_mirror) (about 2 min, once per recipe)"
    build_base_rootfs "$rootfs" "$(debian_mirror)"
    tar --numeric-owner --sort=name -C "$rootfs" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
    log "base rootfs built in $((SECONDS - start)) s"
  fi
  podman import --quiet \
    --change 'CMD ["/bin/bash"]' --change "LABEL org.opencontainers.image.base.recipe=$hash" \
    "$tarball" "$tag" >/dev/null
  podman tag "$tag" "$BASE_REF"
  log "base image imported: $tag"
}

base_image_by_digest() {
  # The base by digest, as the Dockerfiles take it: localhost/base@sha256:...
  local digest
  digest=$(podman image inspect --format '{{.Digest}}' "$BASE_REF")
  echo "${BASE_REF%%:*}@$digest"
}

# --- per-image wheelhouse (the build has no network) -----------------------------------------------
constraints_file() {
  # Pins for every package an image may need: the shared top-level pins (extras dropped, as pip's
  # constraints require) plus the exact versions the workloads venv resolved and the tests ran with.
  local out=$CACHE_DIR/constraints.txt
  {
    grep -E '^[A-Za-z0-9_.-]+(\[[^]]*\])?==' requirements/workloads.txt | sed -E 's/\[[^]]*\]//'
    "$WORKLOADS_PYTHON" -m pip freeze --exclude-editable 2>/dev/null | grep -E '^[A-Za-z0-9_.-]+==' || true
  } | awk -F'==' '!seen[tolower($1)]++' > "$out"
  echo "$out"
}

ensure_wheelhouse() {
  # workloads/<image>/requirements.txt names the image's packages; the versions come from the pins.
  local name=$1 requirements=workloads/$1/requirements.txt constraints key dir
  [[ -f $requirements ]] || { log "$requirements missing"; exit 1; }
  constraints=$(constraints_file)
  # Keyed by the image's list and the shared pins, not by the whole venv: a package someone adds to
  # the workloads venv for another image does not invalidate this wheelhouse.
  key=$(cat "$requirements" requirements/workloads.txt | sha256sum | cut -c1-16)
  dir=$CACHE_DIR/wheels/$name-$key
  if [[ ! -f $dir/.complete ]]; then
    log "$name: wheelhouse from $requirements"
    rm -rf "$dir"
    mkdir -p "$dir"
    "$WORKLOADS_PYTHON" -m pip wheel --quiet --wheel-dir "$dir" -r "$requirements" -c "$constraints" \
      2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    touch "$dir/.complete"
  fi
  echo "$dir"
}

stage_context() {
  # A clean build context per image: its wheels, its requirements and the workloads package (code
  # only: no tests, no Dockerfiles, no caches, nothing else from the repository).
  local name=$1 wheelhouse=$2 context=$OUT_DIR/context/$1
  rm -rf "$context"
  mkdir -p "$context/wheels"
  cp -l "$wheelhouse"/*.whl "$context/wheels/" 2>/dev/null || cp "$wheelhouse"/*.whl "$context/wheels/"
  cp "workloads/$name/requirements.txt" "$context/wheels/requirements.txt"
  tar -C . --exclude='*/tests' --exclude='__pycache__' --exclude='*.pyc' --exclude='Dockerfile' \
    --exclude='requirements.txt' -cf - workloads | tar -C "$context" -xf -
  echo "$context"
}

# --- build ------------------------------------------------------------------------------------------
build_image() {
  local name=$1 base_digest=$2 start=$SECONDS wheelhouse context tag
  [[ -f workloads/$name/Dockerfile ]] || { log "workloads/$name/Dockerfile missing"; exit 1; }
  wheelhouse=$(ensure_wheelhouse "$name")
  context=$(stage_context "$name" "$wheelhouse")
  tag=$IMAGE_PREFIX/$name:$(git rev-parse --short HEAD 2>/dev/null || echo dev)
  log "$name: podman build (offline)"
  # docker format: OCI image configs have no HEALTHCHECK, and buildah would drop it.
  podman build --quiet --network=none --pull=never --layers --format docker \
    --build-arg "BASE_DIGEST=${base_digest#sha256:}" \
    -f "workloads/$name/Dockerfile" -t "$tag" -t "$IMAGE_PREFIX/$name:latest" "$context" >/dev/null
  local seconds=$((SECONDS - start)) size
  size=$(podman image inspect --format '{{.Size}}' "$tag")
  log "$name: $tag built in ${seconds}s, $((size / 1024 / 1024)) MiB"
  printf '{"image": "%s", "tag": "%s", "build_seconds": %d, "size_bytes": %s}\n' "$name" "$tag" "$seconds" "$size" \
    > "$OUT_DIR/$name.json"
}

case ${1:-} in
env)
  podman_env
  echo "export CONTAINERS_CONF=$CONTAINERS_CONF CONTAINERS_STORAGE_CONF=$CONTAINERS_STORAGE_CONF"
  exit 0
  ;;
base)
  podman_env
  ensure_base
  base_image_by_digest
  exit 0
  ;;
esac

podman_env
mkdir -p "$OUT_DIR"
start=$SECONDS
ensure_base
base_digest=$(podman image inspect --format '{{.Digest}}' "$BASE_REF")
printf '{"image": "base", "tag": "%s@%s", "build_seconds": %d, "size_bytes": %s}\n' "${BASE_REF%%:*}" "$base_digest" \
  "$((SECONDS - start))" "$(podman image inspect --format '{{.Size}}' "$BASE_REF")" > "$OUT_DIR/base.json"
images=("$@")
((${#images[@]})) || images=("${ALL_IMAGES[@]}")
for name in "${images[@]}"; do
  build_image "$name" "$base_digest"
done
# One document with the latest figures of every image built so far (each build rewrites its own line).
{
  echo "["
  for name in base "${ALL_IMAGES[@]}"; do
    if [[ -f $OUT_DIR/$name.json ]]; then cat "$OUT_DIR/$name.json"; fi
  done | paste -sd, -
  echo "]"
} > "$OUT_DIR/report.json"
log "built ${images[*]} in $((SECONDS - start)) s; sizes and times in $OUT_DIR/report.json"
