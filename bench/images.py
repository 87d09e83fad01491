"""`python -m bench.images`: size of every workload image and its cached rebuild time (scripts/images.sh).

Writes bench/results/images.json. A cached rebuild reuses the debootstrap base, the wheelhouse and podman's
layer cache: it is what a code change costs. A first build (wheelhouse + in-container install) takes minutes
per image and is logged by scripts/images.sh (out/images/<image>.json) when it happens.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
IMAGES = ("serving", "training", "monitoring", "streaming", "features")


def _podman_env() -> dict[str, str]:
    import os
    import shlex

    exported = subprocess.run([str(REPO / "scripts" / "images.sh"), "env"], capture_output=True, text=True, check=True)
    env = dict(os.environ)
    for word in shlex.split(exported.stdout.removeprefix("export ")):
        name, _, value = word.partition("=")
        env[name] = value
    return env


def measure(images: tuple[str, ...]) -> dict[str, object]:
    env = _podman_env()
    out: dict[str, object] = {}
    for name in images:
        started = time.perf_counter()
        build = subprocess.run(
            [str(REPO / "scripts" / "images.sh"), name], capture_output=True, text=True, cwd=REPO, env=env
        )
        if build.returncode != 0:
            out[name] = {"error": build.stderr[-500:]}
            continue
        seconds = round(time.perf_counter() - started, 1)
        size = subprocess.run(
            ["podman", "image", "inspect", "--format", "{{.Size}}", f"localhost/uae-ml/{name}:latest"],
            capture_output=True, text=True, env=env, check=True,
        ).stdout.strip()  # fmt: skip
        out[name] = {"size_mib": round(int(size) / 2**20), "cached_rebuild_seconds": seconds}
    return out


def main() -> int:
    images = tuple(sys.argv[1:]) or IMAGES
    load = os.getloadavg()[0]
    result = {
        "machine": f"{platform.machine()} {platform.python_version()}",
        "load_average_1m_at_start": round(load, 1),
        "images": measure(images),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "images.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
