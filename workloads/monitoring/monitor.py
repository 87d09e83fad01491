"""One drift check: read both samples, compare, export, and trigger a retraining when drift is found."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from workloads.monitoring.drift import (
    CREDIT_RISK_FEATURES,
    PREDICTION_COLUMN,
    DriftInputError,
    DriftReport,
    DriftThresholds,
    detect_drift,
)
from workloads.monitoring.metrics import DriftMetrics
from workloads.monitoring.retrain import Cooldown, RetrainingError, RetrainingOutcome, RetrainingTrigger

log = logging.getLogger(__name__)


def read_sample(path: Path) -> pd.DataFrame:
    """A Parquet, CSV or JSON-lines file of feature rows (training reference or logged serving inputs)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix == ".csv":
            return pd.read_csv(path)
        if suffix in (".jsonl", ".ndjson"):
            return pd.read_json(path, lines=True)
    except FileNotFoundError as exc:
        raise DriftInputError(f"{path}: no such file") from exc
    except (ValueError, OSError) as exc:
        raise DriftInputError(f"{path}: unreadable {suffix[1:]} file ({exc})") from exc
    raise DriftInputError(f"{path}: expected .parquet, .csv or .jsonl")


def with_predictions(frame: pd.DataFrame, bundle_dir: Path, features=CREDIT_RISK_FEATURES) -> pd.DataFrame:
    """`frame` plus a `prediction` column scored by the model bundle (when the inputs were logged without it)."""
    import torch

    from workloads.training.model import load_bundle, predict_proba

    missing = [name for name in features if name not in frame.columns]
    if missing:
        raise DriftInputError(f"cannot score rows without {missing}")
    values = frame[list(features)].apply(pd.to_numeric, errors="coerce")
    complete = values.notna().all(axis=1)
    model, _ = load_bundle(bundle_dir, "fp32")
    scores = predict_proba(model, torch.tensor(values[complete].to_numpy(dtype="float32")))
    scored = frame.copy()
    scored[PREDICTION_COLUMN] = float("nan")
    scored.loc[complete, PREDICTION_COLUMN] = scores.numpy().reshape(-1)
    return scored


@dataclass(frozen=True)
class CheckResult:
    report: DriftReport
    retraining: RetrainingOutcome | None


def run_check(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    metrics: DriftMetrics,
    thresholds: DriftThresholds | None = None,
    trigger: RetrainingTrigger | None = None,
    cooldown: Cooldown | None = None,
) -> CheckResult:
    report = detect_drift(reference, current, thresholds=thresholds)
    metrics.record(report)
    if not report.drift_detected:
        return CheckResult(report, None)
    log.warning("drift detected: features %s, prediction %s", report.drifted_features, report.prediction)
    if trigger is None:
        return CheckResult(report, RetrainingOutcome(False, "drift detected; no retraining trigger configured"))
    if cooldown is not None and not cooldown.ready():
        return CheckResult(
            report, RetrainingOutcome(False, f"drift detected; retraining cooling down ({cooldown.state_file})")
        )
    try:
        outcome = trigger(report)
    except RetrainingError:
        metrics.retraining_failed.inc()
        raise
    metrics.retraining_triggered.inc()
    if cooldown is not None:
        cooldown.mark()
    return CheckResult(report, outcome)
