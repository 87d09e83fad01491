"""Prometheus metrics of the drift check; workloads/monitoring/alerts.yaml alerts on these names."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge

from workloads.monitoring.drift import DriftReport

# The names the alert rules use (tests check each rule refers only to these).
METRIC_NAMES = (
    "credit_risk_feature_drift_psi",
    "credit_risk_feature_drift_ks_statistic",
    "credit_risk_feature_drift_ks_p_value",
    "credit_risk_prediction_drift_psi",
    "credit_risk_prediction_drift_ks_statistic",
    "credit_risk_drift_detected",
    "credit_risk_drift_check_rows",
    "credit_risk_drift_last_check_timestamp_seconds",
    "credit_risk_drift_checks_total",
    "credit_risk_retraining_triggered_total",
    "credit_risk_retraining_failed_total",
)


class DriftMetrics:
    """Gauges for the latest check, counters over the exporter's life; one registry per instance."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.feature_psi = Gauge(
            "credit_risk_feature_drift_psi", "PSI of a feature, serving vs training", ["feature"], registry=r
        )
        self.feature_ks = Gauge(
            "credit_risk_feature_drift_ks_statistic", "KS statistic of a feature", ["feature"], registry=r
        )
        self.feature_ks_p = Gauge(
            "credit_risk_feature_drift_ks_p_value", "KS test p-value of a feature", ["feature"], registry=r
        )
        self.prediction_psi = Gauge("credit_risk_prediction_drift_psi", "PSI of the predicted score", registry=r)
        self.prediction_ks = Gauge(
            "credit_risk_prediction_drift_ks_statistic", "KS statistic of the predicted score", registry=r
        )
        self.drift_detected = Gauge(
            "credit_risk_drift_detected", "1 when the latest check found drift, else 0", registry=r
        )
        self.rows = Gauge("credit_risk_drift_check_rows", "Rows compared in the latest check", ["side"], registry=r)
        self.last_check = Gauge(
            "credit_risk_drift_last_check_timestamp_seconds", "Unix time of the latest completed check", registry=r
        )
        self.checks = Counter("credit_risk_drift_checks", "Completed drift checks", registry=r)
        self.retraining_triggered = Counter(
            "credit_risk_retraining_triggered", "Retraining runs triggered by drift", registry=r
        )
        self.retraining_failed = Counter("credit_risk_retraining_failed", "Retraining triggers that failed", registry=r)

    def record(self, report: DriftReport, now: float | None = None) -> None:
        for feature in report.features:
            self.feature_psi.labels(feature.column).set(feature.psi)
            self.feature_ks.labels(feature.column).set(feature.ks_statistic)
            self.feature_ks_p.labels(feature.column).set(feature.ks_p_value)
        if report.prediction is not None:
            self.prediction_psi.set(report.prediction.psi)
            self.prediction_ks.set(report.prediction.ks_statistic)
        self.drift_detected.set(1 if report.drift_detected else 0)
        self.rows.labels("reference").set(report.reference_rows)
        self.rows.labels("current").set(report.current_rows)
        self.last_check.set(time.time() if now is None else now)
        self.checks.inc()
