"""`make serve`: the predictor in the foreground on 127.0.0.1:${PORT:-8080} with the latest registered model.

  python -m workloads.serving.local [--port 8080] [--precision fp32|int8]

Registry: MLFLOW_TRACKING_URI when set; otherwise a local `mlflow server` with its state under out/mlflow
(kept between runs, so `latest` survives restarts; its URI is written to out/mlflow/env). When `credit-risk` has
no version yet, one is trained and registered first (TRAIN_* env vars apply). SIGTERM or Ctrl-C stops the
predictor, then the MLflow server this command started; the exit code is the predictor's.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys

from workloads.testing.model_servers import REPO_ROOT, mlflow_server
from workloads.training.config import REGISTERED_MODEL_NAME, config_from_args
from workloads.training.pipeline import train_and_register
from workloads.training.registry import champion_version

log = logging.getLogger("serve")
STATE_DIR = REPO_ROOT / "out" / "mlflow"


@contextlib.contextmanager
def registry():
    if os.environ.get("MLFLOW_TRACKING_URI"):
        yield os.environ["MLFLOW_TRACKING_URI"]
        return
    log.info("starting a local MLflow server (state in %s)", STATE_DIR)
    with mlflow_server(STATE_DIR) as server:
        (STATE_DIR / "env").write_text(f"MLFLOW_TRACKING_URI={server.url}\n")
        yield server.url


def ensure_registered(tracking_uri: str) -> str:
    current = champion_version(tracking_uri, REGISTERED_MODEL_NAME)
    if current is not None:
        return current.version
    log.info("no %s version registered yet: training one", REGISTERED_MODEL_NAME)
    config = config_from_args(["--tracking-uri", tracking_uri], os.environ)
    result = train_and_register(config)
    if result.registered is None:
        raise SystemExit(f"serve: the first model was refused by the quality gate: {result.gate.reasons}")  # type: ignore[union-attr]
    return result.registered.version


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m workloads.serving.local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--precision", choices=("fp32", "int8"), default=os.environ.get("SERVING_PRECISION", "fp32"))
    args = parser.parse_args(argv)
    stop_requested = False

    def request_stop(signum, _frame) -> None:
        nonlocal stop_requested
        stop_requested = True
        raise KeyboardInterrupt  # unwinds whatever is running (training, start-up waits) through the finally blocks

    signal.signal(signal.SIGTERM, request_stop)
    try:
        with registry() as tracking_uri:
            version = ensure_registered(tracking_uri)
            log.info("serving %s version %s on http://127.0.0.1:%d", REGISTERED_MODEL_NAME, version, args.port)
            command = [
                sys.executable, "-m", "workloads.serving", "--host", "127.0.0.1", "--http-port", str(args.port),
                "--model-uri", f"models:/{REGISTERED_MODEL_NAME}/{version}", "--tracking-uri", tracking_uri,
                "--precision", args.precision,
            ]  # fmt: skip
            env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
            predictor = subprocess.Popen(command, cwd=REPO_ROOT, env=env)
            try:
                return predictor.wait()
            except KeyboardInterrupt:
                predictor.send_signal(signal.SIGTERM)
                return predictor.wait(timeout=30)
    except KeyboardInterrupt:
        log.info("stopped")
        return 0 if stop_requested else 130


if __name__ == "__main__":
    sys.exit(main())
