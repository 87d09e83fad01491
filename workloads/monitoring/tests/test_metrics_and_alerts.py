from __future__ import annotations

import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
import yaml
from prometheus_client import start_http_server
from prometheus_client.parser import text_string_to_metric_families

from workloads.monitoring.drift import DriftThresholds, detect_drift
from workloads.monitoring.metrics import METRIC_NAMES, DriftMetrics
from workloads.monitoring.tests.conftest import applicant_features
from workloads.monitoring.traffic import shift_applicants

ALERTS = Path(__file__).resolve().parents[1] / "alerts.yaml"


def _rules() -> list[dict]:
    document = yaml.safe_load(ALERTS.read_text())
    assert document["apiVersion"] == "monitoring.coreos.com/v1"
    assert document["kind"] == "PrometheusRule"
    return [rule for group in document["spec"]["groups"] for rule in group["rules"]]


def test_every_alert_uses_only_exported_metrics_and_has_severity_and_summary() -> None:
    rules = _rules()
    assert {r["alert"] for r in rules} >= {"CreditRiskFeatureDrift", "CreditRiskPredictionDrift"}
    for rule in rules:
        names = set(re.findall(r"\bcredit_risk_[a-z0-9_]+", rule["expr"]))
        assert names, rule
        assert names <= set(METRIC_NAMES), (rule["alert"], names - set(METRIC_NAMES))
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"]


def test_alert_thresholds_match_the_detector() -> None:
    drift_rules = {r["alert"]: r["expr"] for r in _rules() if r["alert"].endswith("Drift")}
    for expr in drift_rules.values():
        assert float(expr.rsplit(">=", 1)[1]) == DriftThresholds().psi


def _scrape(port: int) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_exporter_serves_the_latest_check(reference_frame: pd.DataFrame) -> None:
    metrics = DriftMetrics()
    server, thread = start_http_server(0, addr="127.0.0.1", registry=metrics.registry)
    try:
        port = server.server_address[1]
        metrics.record(detect_drift(reference_frame, applicant_features(500, seed=2)), now=1000.0)
        calm = _scrape(port)
        assert calm[("credit_risk_drift_detected", ())] == 0
        assert calm[("credit_risk_drift_last_check_timestamp_seconds", ())] == 1000.0
        metrics.record(detect_drift(reference_frame, shift_applicants(applicant_features(500, seed=3))))
        shifted = _scrape(port)
        assert shifted[("credit_risk_drift_detected", ())] == 1
        assert shifted[("credit_risk_feature_drift_psi", (("feature", "annual_income"),))] > 0.2
        assert shifted[("credit_risk_feature_drift_psi", (("feature", "age"),))] < 0.1
        assert shifted[("credit_risk_drift_checks_total", ())] == 2
        assert shifted[("credit_risk_drift_check_rows", (("side", "current"),))] == 500
    finally:
        server.shutdown()
        thread.join(5)


PROMTOOL_TEST = """
rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'credit_risk_feature_drift_psi{feature="annual_income"}'
        values: '0.05x20 0.45x30'
      - series: 'credit_risk_feature_drift_psi{feature="age"}'
        values: '0.02x50'
      - series: 'credit_risk_prediction_drift_psi'
        values: '0.03x50'
      - series: 'credit_risk_drift_last_check_timestamp_seconds'
        values: '0+60x50'
    alert_rule_test:
      - eval_time: 15m
        alertname: CreditRiskFeatureDrift
        exp_alerts: []
      - eval_time: 40m
        alertname: CreditRiskFeatureDrift
        exp_alerts:
          - exp_labels: {severity: warning, feature: annual_income}
            exp_annotations:
              summary: Feature annual_income of credit-risk drifted (PSI 0.45)
              description: >-
                Serving inputs of annual_income moved away from the training reference
                (PSI >= 0.2). The monitor triggers a retraining; check the new version's evaluation
                before it is promoted.
      - eval_time: 40m
        alertname: CreditRiskPredictionDrift
        exp_alerts: []
      - eval_time: 40m
        alertname: CreditRiskDriftCheckStale
        exp_alerts: []
"""


def test_rules_fire_under_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (apt-get install prometheus); the static checks above still ran")
    spec = yaml.safe_load(ALERTS.read_text())["spec"]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(spec))
    check = subprocess.run([promtool, "check", "rules", "rules.yaml"], cwd=tmp_path, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    (tmp_path / "test.yaml").write_text(PROMTOOL_TEST)
    run = subprocess.run([promtool, "test", "rules", "test.yaml"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
