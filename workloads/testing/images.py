"""Build and run the workload images with podman for the image tests (scripts/images.sh does the building).

The podman settings this sandbox needs (runc, explicit ulimits, storage in a scratch folder) come from
`scripts/images.sh env`, so the tests, `make images` and a user's shell all use the same store and cache.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
IMAGES_SCRIPT = REPO_ROOT / "scripts" / "images.sh"


class ImageToolingMissingError(RuntimeError):
    """podman or debootstrap is not installed: `make setup` installs them."""


def podman_environment() -> dict[str, str]:
    if shutil.which("podman") is None:
        raise ImageToolingMissingError("podman not installed: run 'make setup' (scripts/bootstrap.sh installs it)")
    exported = subprocess.run([str(IMAGES_SCRIPT), "env"], capture_output=True, text=True, check=True).stdout
    env: dict[str, str] = {}
    for word in shlex.split(exported.removeprefix("export ")):
        name, _, value = word.partition("=")
        env[name] = value
    return env


def build_image(name: str, timeout_s: float = 1800) -> str:
    """Build workloads/<name> (cached base, wheelhouse and layers) and return its tag."""
    result = subprocess.run(
        [str(IMAGES_SCRIPT), name], capture_output=True, text=True, cwd=REPO_ROOT, timeout=timeout_s, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"scripts/images.sh {name} failed:\n{result.stderr[-4000:]}")
    for line in result.stderr.splitlines():
        if line.startswith(f"[images] {name}: ") and " built in " in line:
            return line.split(": ", 1)[1].split(" ", 1)[0]
    raise RuntimeError(f"no tag in the output of scripts/images.sh {name}:\n{result.stderr[-2000:]}")


def podman(*args: str, timeout_s: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout_s, check=check)


@dataclass(frozen=True)
class RunningContainer:
    name: str
    image: str

    def logs(self) -> str:
        result = podman("logs", self.name, check=False)
        return (result.stdout + result.stderr)[-4000:]


@contextmanager
def run_container(
    image: str, args: Sequence[str] = (), volumes: Sequence[str] = (), env: dict[str, str] | None = None
) -> Iterator[RunningContainer]:
    """`podman run -d --network host` (servers inside bind 127.0.0.1 only); removed on exit."""
    name = f"uae-ml-test-{uuid.uuid4().hex[:10]}"
    command = ["run", "-d", "--name", name, "--network", "host"]
    for volume in volumes:
        command += ["--volume", volume]
    for key, value in (env or {}).items():
        command += ["--env", f"{key}={value}"]
    podman(*command, image, *args)
    try:
        yield RunningContainer(name, image)
    finally:
        podman("rm", "--force", "--time", "5", name, check=False)


def wait_http_ok(url: str, container: RunningContainer, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = podman("inspect", "--format", "{{.State.Status}}", container.name, check=False).stdout.strip()
        if state not in ("running", "created"):
            raise RuntimeError(f"container {container.name} is {state}:\n{container.logs()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} not ready after {timeout_s} s:\n{container.logs()}")


def apply_podman_environment() -> dict[str, str]:
    """Export the podman settings into this process (testinfra's podman backend shells out to podman)."""
    env = podman_environment()
    os.environ.update(env)
    return env
