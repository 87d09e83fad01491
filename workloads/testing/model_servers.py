"""Real servers for the model tests and scripts: a local MLflow tracking/registry server and the predictor.

Both bind 127.0.0.1 on a free port, run as subprocesses, and are stopped (SIGTERM, then SIGKILL) on exit.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class RunningServer:
    url: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""


def _wait_ready(server: RunningServer, path: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(server.url + path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{server.url}{path} not ready after {timeout_s} s:\n{server.log_tail()}")


def stop(process: subprocess.Popen, timeout_s: float = 15) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout_s)
    return process.returncode


@contextmanager
def _server(command: Sequence[str], port: int, log_path: Path, ready_path: str, timeout_s: float, env: dict | None):
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(command), stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT, env={**os.environ, **(env or {})}
        )
    server = RunningServer(url=f"http://127.0.0.1:{port}", port=port, process=process, log_path=log_path)
    try:
        _wait_ready(server, ready_path, timeout_s)
        yield server
    finally:
        stop(process)


@contextmanager
def mlflow_server(state_dir: Path, timeout_s: float = 300) -> Iterator[RunningServer]:
    """`mlflow server` with a SQLite backend and proxied artifacts under state_dir."""
    port = free_port()
    state_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(VENV_BIN / "mlflow"),
        "server",
        "--backend-store-uri",
        f"sqlite:///{state_dir.resolve()}/mlflow.db",
        "--artifacts-destination",
        str((state_dir / "artifacts").resolve()),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    # The job executor (huey workers) is for GenAI jobs we do not run; it only slows start-up.
    env = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    with _server(command, port, state_dir / "mlflow.log", "/health", timeout_s, env) as server:
        yield server


@contextmanager
def predictor_server(args: Sequence[str], log_path: Path, timeout_s: float = 120, env: dict | None = None):
    """`python -m workloads.serving <args>` on a free port; ready when /v2/health/ready answers 200."""
    port = free_port()
    command = [sys.executable, "-m", "workloads.serving", "--http-port", str(port), *args]
    merged_env = {"PYTHONPATH": str(REPO_ROOT), "SERVING_NUM_THREADS": "1", **(env or {})}
    with _server(command, port, log_path, "/v2/health/ready", timeout_s, merged_env) as server:
        yield server
