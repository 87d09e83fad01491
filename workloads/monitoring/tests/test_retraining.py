"""Drift against a real MLflow server: unshifted traffic leaves the registry alone; shifted traffic alerts,
triggers the training pipeline, and a new version of credit-risk is registered."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from workloads.monitoring.drift import CREDIT_RISK_FEATURES
from workloads.monitoring.metrics import DriftMetrics
from workloads.monitoring.monitor import run_check, with_predictions
from workloads.monitoring.retrain import Cooldown, LocalRetraining
from workloads.monitoring.traffic import shift_applicants
from workloads.testing.model_servers import mlflow_server
from workloads.training.config import REGISTERED_MODEL_NAME, TrainingConfig
from workloads.training.data import synthetic_frame
from workloads.training.pipeline import train_and_register

ROOT = Path(__file__).resolve().parents[3]
# Small and quick: the retraining path is under test here, not the model's quality.
TRAINING = {"epochs": 2, "n_applicants": 800, "explain_samples": 32}


def _versions(tracking_uri: str) -> list[str]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    return sorted(v.version for v in client.search_model_versions(f"name = '{REGISTERED_MODEL_NAME}'"))


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory):
    state = tmp_path_factory.mktemp("mlflow")
    with mlflow_server(state) as server:
        first = train_and_register(TrainingConfig(out_dir=state / "initial", tracking_uri=server.url, **TRAINING))
        assert first.registered is not None, first.gate
        yield server.url, first.bundle_dir


def _serving_inputs(seed: int, shifted: bool) -> pd.DataFrame:
    frame = synthetic_frame(600, seed)[list(CREDIT_RISK_FEATURES)]
    return shift_applicants(frame) if shifted else frame


def test_unshifted_traffic_alerts_nothing_and_registers_nothing(registry, tmp_path: Path) -> None:
    tracking_uri, bundle = registry
    before = _versions(tracking_uri)
    reference = with_predictions(synthetic_frame(2000, 7)[list(CREDIT_RISK_FEATURES)], bundle)
    metrics = DriftMetrics()
    trigger = LocalRetraining(tracking_uri, out_dir=tmp_path / "retraining", training_overrides=TRAINING)
    result = run_check(reference, with_predictions(_serving_inputs(21, False), bundle), metrics, trigger=trigger)
    assert not result.report.drift_detected, result.report.to_dict()
    assert result.retraining is None
    assert metrics.drift_detected._value.get() == 0
    assert _versions(tracking_uri) == before


def test_shifted_traffic_alerts_and_a_retraining_registers_a_new_version(registry, tmp_path: Path) -> None:
    tracking_uri, bundle = registry
    before = _versions(tracking_uri)
    reference = with_predictions(synthetic_frame(2000, 7)[list(CREDIT_RISK_FEATURES)], bundle)
    metrics = DriftMetrics()
    trigger = LocalRetraining(tracking_uri, out_dir=tmp_path / "retraining", training_overrides=TRAINING)
    cooldown = Cooldown(tmp_path / "cooldown.json", seconds=3600)
    result = run_check(
        reference, with_predictions(_serving_inputs(22, True), bundle), metrics, trigger=trigger, cooldown=cooldown
    )
    assert result.report.drift_detected
    assert "annual_income" in result.report.drifted_features
    assert result.report.prediction is not None and result.report.prediction.drifted
    assert result.retraining is not None and result.retraining.started
    after = _versions(tracking_uri)
    assert len(after) == len(before) + 1
    assert result.retraining.registered_version == max(after, key=int)
    assert metrics.retraining_triggered._value.get() == 1
    # The same drift on the next check does not start a second run inside the cooldown.
    again = run_check(
        reference, with_predictions(_serving_inputs(23, True), bundle), metrics, trigger=trigger, cooldown=cooldown
    )
    assert again.retraining is not None and not again.retraining.started
    assert _versions(tracking_uri) == after


def test_cli_reports_drift_and_refuses_unusable_input(registry, tmp_path: Path) -> None:
    _, bundle = registry
    reference, current = tmp_path / "reference.parquet", tmp_path / "current.csv"
    synthetic_frame(1000, 7)[list(CREDIT_RISK_FEATURES)].to_parquet(reference)
    _serving_inputs(24, True).to_csv(current, index=False)
    command = [sys.executable, "-m", "workloads.monitoring", "--reference", str(reference)]
    done = subprocess.run(
        [*command, "--current", str(current), "--model-bundle", str(bundle), "--state-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["drift_detected"] and report["prediction"]["drifted"]
    assert report["retraining"]["started"] is False  # no trigger configured: alert only
    (tmp_path / "broken.csv").write_text("age,annual_income\nx,y\n")
    refused = subprocess.run(
        [*command, "--current", str(tmp_path / "broken.csv")], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert refused.returncode == 2
    assert "0 usable values of 'age'" in refused.stderr
