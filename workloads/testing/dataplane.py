"""Start, stop and inspect the local data plane: `python -m workloads.testing.dataplane up|down|status`.

Redis, the Tansu broker (topics credit-activity and credit-activity-dlq) and the Feast feature server on
127.0.0.1; ports from REDIS_PORT / KAFKA_PORT / FEATURE_SERVER_PORT or free ones. State lives under
out/dataplane/ (override with PLATFORM_DATAPLANE_DIR): env (ports), pids, logs/, repo/ (the feature repo).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from workloads.testing.servers import (
    REPO_ROOT,
    ServerStartError,
    create_topic,
    start_feature_server,
    start_kafka,
    start_redis,
)

STATE = Path(os.environ.get("PLATFORM_DATAPLANE_DIR", REPO_ROOT / "out" / "dataplane"))
SERVICES = ("redis", "kafka", "feature-server")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pids() -> dict[str, int]:
    pid_dir = STATE / "pids"
    if not pid_dir.exists():
        return {}
    return {p.stem: int(p.read_text()) for p in pid_dir.glob("*.pid") if p.read_text().strip().isdigit()}


def status() -> int:
    pids, env_path = _pids(), STATE / "env"
    running = {name: pid for name, pid in pids.items() if _alive(pid)}
    for name in SERVICES:
        print(f"{name:15} {'running pid ' + str(running[name]) if name in running else 'stopped'}")
    if env_path.exists():
        print(env_path.read_text().strip())
    return 0 if len(running) == len(SERVICES) else 3


def down() -> int:
    for name, pid in _pids().items():
        if _alive(pid):
            os.killpg(pid, signal.SIGTERM)  # each server leads its own session (start_new_session)
            for _ in range(50):
                if not _alive(pid):
                    break
                time.sleep(0.1)
            else:
                os.killpg(pid, signal.SIGKILL)
        (STATE / "pids" / f"{name}.pid").unlink(missing_ok=True)
        print(f"stopped {name}")
    return 0


def _port(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value else None


def up(applicants: int) -> int:
    if any(_alive(pid) for pid in _pids().values()):
        print("data plane already running (scripts/dataplane.sh status); stop it first", file=sys.stderr)
        return 1
    logs, pid_dir, repo = STATE / "logs", STATE / "pids", STATE / "repo"
    pid_dir.mkdir(parents=True, exist_ok=True)
    started = []
    try:
        redis = start_redis(logs, _port("REDIS_PORT"))
        started.append(redis)
        kafka = start_kafka(logs, _port("KAFKA_PORT"))
        started.append(kafka)
        for topic in ("credit-activity", "credit-activity-dlq"):
            create_topic(kafka.address, topic, partitions=1)
        if not (repo / "data" / "dataset.json").exists():
            from workloads.features.generate import generate_dataset

            generate_dataset(repo / "data", n_applicants=applicants)
        feature_server = start_feature_server(repo, logs, redis.address, _port("FEATURE_SERVER_PORT"))
        started.append(feature_server)
    except ServerStartError as error:
        for server in started:
            server.stop()
        print(f"data plane did not start: {error}", file=sys.stderr)
        return 1
    for server in started:
        (pid_dir / f"{server.name}.pid").write_text(str(server.process.pid))
    (STATE / "env").write_text(
        f"REDIS_PORT={redis.port}\nKAFKA_PORT={kafka.port}\nFEATURE_SERVER_PORT={feature_server.port}\n"
        f"PLATFORM_REDIS_ADDR={redis.address}\nPLATFORM_KAFKA_BOOTSTRAP={kafka.address}\nFEATURE_REPO={repo}\n"
    )
    print(
        f"redis {redis.address}, kafka {kafka.address}, feature server http://{feature_server.address} (state in {STATE})"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("up", "down", "status"))
    parser.add_argument("--applicants", type=int, default=2000, help="synthetic applicants if the repo has no data")
    args = parser.parse_args(argv)
    if args.command == "up":
        return up(args.applicants)
    return down() if args.command == "down" else status()


if __name__ == "__main__":
    raise SystemExit(main())
