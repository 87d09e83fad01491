"""The drift step of `make demo` (scripts/demo_drift.sh): no alert on unshifted traffic; shifted traffic
alerts, triggers a retraining and a new version of credit-risk is registered.

Uses MLFLOW_TRACKING_URI when set (e.g. the model demo's server); otherwise starts a local MLflow server
on 127.0.0.1 for the duration of the demo. Exit status non-zero when any step does not behave as stated.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
import warnings
from pathlib import Path

from prometheus_client import generate_latest

from workloads.monitoring.drift import CREDIT_RISK_FEATURES
from workloads.monitoring.metrics import DriftMetrics
from workloads.monitoring.monitor import run_check, with_predictions
from workloads.monitoring.retrain import LocalRetraining
from workloads.monitoring.traffic import shift_applicants

OUT = Path(os.environ.get("DEMO_OUT", "out/demo/drift"))
TRAINING = {"epochs": 3, "n_applicants": 1000, "explain_samples": 32}
_started = time.monotonic()


def step(message: str) -> None:
    print(f"[drift {time.monotonic() - _started:5.1f}s] {message}", flush=True)


def _registry(tracking_uri: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def _versions(tracking_uri: str) -> list[int]:
    from workloads.training.config import REGISTERED_MODEL_NAME

    found = _registry(tracking_uri).search_model_versions(f"name = '{REGISTERED_MODEL_NAME}'")
    return sorted(int(v.version) for v in found)


def run(tracking_uri: str) -> int:
    from workloads.training.config import TrainingConfig
    from workloads.training.data import synthetic_frame
    from workloads.training.pipeline import train_and_register

    step(f"1/5 baseline: train and register a credit-risk version (registry has {_versions(tracking_uri) or 'none'})")
    baseline = train_and_register(TrainingConfig(out_dir=OUT / "baseline", tracking_uri=tracking_uri, **TRAINING))
    bundle = baseline.bundle_dir
    if bundle is None:
        step("FAILED: training produced no bundle")
        return 1
    versions = _versions(tracking_uri)
    step(f"    registry: credit-risk versions {versions}")

    features = list(CREDIT_RISK_FEATURES)
    reference = with_predictions(synthetic_frame(2000, 7)[features], bundle)
    trigger = LocalRetraining(tracking_uri, out_dir=OUT / "retraining", training_overrides=TRAINING)
    metrics = DriftMetrics()

    step("2/5 drift check on unshifted traffic (600 requests)")
    calm = run_check(reference, with_predictions(synthetic_frame(600, 31)[features], bundle), metrics, trigger=trigger)
    worst = max(calm.report.features, key=lambda f: f.psi)
    step(f"    max feature PSI {worst.psi:.3f} ({worst.column}); alert: {calm.report.drift_detected}")
    if calm.report.drift_detected:
        step("FAILED: unshifted traffic raised a drift alert")
        return 1

    step("3/5 drift check on shifted traffic (incomes -40 %, utilisation +0.3, more late payments)")
    shifted = with_predictions(shift_applicants(synthetic_frame(600, 32)[features]), bundle)
    drifted = run_check(reference, shifted, metrics, trigger=trigger)
    report = drifted.report
    step(f"    alert: {report.drift_detected}; drifted features: {', '.join(report.drifted_features)}")
    if report.prediction is not None:
        step(f"    prediction PSI {report.prediction.psi:.3f} (drifted: {report.prediction.drifted})")
    if not report.drift_detected:
        step("FAILED: shifted traffic raised no drift alert")
        return 1

    step("4/5 retraining triggered by the alert")
    if drifted.retraining is None or not drifted.retraining.started:
        step(f"FAILED: no retraining ({drifted.retraining})")
        return 1
    step(f"    {drifted.retraining.detail}")

    after = _versions(tracking_uri)
    step(f"5/5 registry: credit-risk versions {after} (new: {sorted(set(after) - set(versions))})")
    if len(after) <= len(versions):
        step("FAILED: no new version registered")
        return 1
    exported = generate_latest(metrics.registry).decode().splitlines()
    for line in exported:
        if line.startswith(("credit_risk_drift_detected ", "credit_risk_retraining_triggered_total ")):
            step(f"    metric {line}")
    return 0


def main() -> int:
    # Progress lines only: library deprecation notices and progress bars would bury them.
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore")
    tracking_uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    with contextlib.ExitStack() as stack:
        if not tracking_uri:
            from workloads.testing.model_servers import mlflow_server

            step("0/5 starting a local MLflow server on 127.0.0.1")
            server = stack.enter_context(mlflow_server(OUT / "mlflow"))
            tracking_uri = server.url
            step(f"    MLflow at {tracking_uri}")
        return run(tracking_uri)


if __name__ == "__main__":
    sys.exit(main())
