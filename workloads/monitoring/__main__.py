"""`python -m workloads.monitoring`: drift check job (one check) or exporter (`--interval`, checks repeatedly).

Every flag also reads MONITOR_<FLAG> from the environment (e.g. MONITOR_CURRENT=/data/recent.parquet).
Exit codes: 0 check done (the JSON report on stdout says whether drift was found), 2 unusable input or
settings, 3 drift found but the retraining failed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from prometheus_client import start_http_server

from workloads.monitoring.drift import PREDICTION_COLUMN, DriftInputError, DriftThresholds
from workloads.monitoring.metrics import DriftMetrics
from workloads.monitoring.monitor import read_sample, run_check, with_predictions
from workloads.monitoring.retrain import AirflowDagRun, Cooldown, LocalRetraining, RetrainingError, RetrainingTrigger

EXIT_BAD_INPUT = 2
EXIT_RETRAINING_FAILED = 3
log = logging.getLogger("workloads.monitoring")


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"MONITOR_{name.upper().replace('-', '_')}", default)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m workloads.monitoring", description=__doc__.splitlines()[0])
    p.add_argument("--reference", type=Path, default=_env("reference"), help="training reference sample")
    p.add_argument("--current", type=Path, default=_env("current"), help="recent serving inputs")
    defaults = DriftThresholds()
    p.add_argument("--psi-threshold", type=float, default=float(_env("psi_threshold", str(defaults.psi))))
    p.add_argument("--ks-threshold", type=float, default=float(_env("ks_threshold", str(defaults.ks_statistic))))
    p.add_argument("--min-rows", type=int, default=int(_env("min_rows", str(defaults.min_rows))))
    p.add_argument("--tracking-uri", default=_env("tracking_uri", ""), help="retrain in-process against MLflow")
    p.add_argument("--airflow-url", default=_env("airflow_url", ""), help="or trigger the Airflow DAG there")
    p.add_argument("--cooldown-seconds", type=float, default=float(_env("cooldown_seconds", str(6 * 3600))))
    p.add_argument("--state-dir", type=Path, default=Path(_env("state_dir", "out/monitoring")))
    p.add_argument("--metrics-port", type=int, default=int(_env("metrics_port", "0")), help="0: no exporter")
    p.add_argument("--metrics-host", default=_env("metrics_host", "127.0.0.1"))
    p.add_argument("--interval", type=float, default=float(_env("interval", "0")), help="0: check once")
    p.add_argument(
        "--model-bundle", type=Path, default=_env("model_bundle"), help="score rows that lack a prediction column"
    )
    p.add_argument("--report", type=Path, default=_env("report"), help="also write the JSON report here")
    args = p.parse_args(argv)
    if args.reference is None or args.current is None:
        p.error("--reference and --current are required (or MONITOR_REFERENCE / MONITOR_CURRENT)")
    if args.tracking_uri and args.airflow_url:
        p.error("give --tracking-uri (retrain here) or --airflow-url (retrain in the cluster), not both")
    return args


def _trigger(args: argparse.Namespace) -> RetrainingTrigger | None:
    if args.tracking_uri:
        return LocalRetraining(args.tracking_uri, out_dir=args.state_dir / "retraining")
    if args.airflow_url:
        return AirflowDagRun(args.airflow_url, token=os.environ.get("AIRFLOW_API_TOKEN", ""))
    return None


def _check_once(args: argparse.Namespace, metrics: DriftMetrics, thresholds: DriftThresholds) -> int:
    try:
        reference, current = read_sample(args.reference), read_sample(args.current)
        if args.model_bundle:
            reference, current = (
                frame if PREDICTION_COLUMN in frame.columns else with_predictions(frame, args.model_bundle)
                for frame in (reference, current)
            )
        result = run_check(
            reference,
            current,
            metrics,
            thresholds,
            _trigger(args),
            Cooldown(args.state_dir / "retraining-cooldown.json", args.cooldown_seconds),
        )
    except DriftInputError as exc:
        print(f"monitoring: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RetrainingError as exc:
        print(f"monitoring: drift found, retraining failed: {exc}", file=sys.stderr)
        return EXIT_RETRAINING_FAILED
    document = result.report.to_dict()
    document["retraining"] = result.retraining.__dict__ if result.retraining else None
    text = json.dumps(document, indent=2)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(text + "\n")
    print(text, flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        args = parse_args(argv)
        thresholds = DriftThresholds(psi=args.psi_threshold, ks_statistic=args.ks_threshold, min_rows=args.min_rows)
    except ValueError as exc:
        print(f"monitoring: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    metrics = DriftMetrics()
    if args.metrics_port:
        start_http_server(args.metrics_port, addr=args.metrics_host, registry=metrics.registry)
        log.info("metrics on http://%s:%d/metrics", args.metrics_host, args.metrics_port)
    if args.interval <= 0:
        # A one-shot job stopped by Kubernetes (SIGTERM) exits at once with the conventional status.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        return _check_once(args, metrics, thresholds)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.is_set():
        rc = _check_once(args, metrics, thresholds)
        if rc:
            log.error("drift check failed (exit %d); retrying in %.0f s", rc, args.interval)
        stop.wait(args.interval)
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
