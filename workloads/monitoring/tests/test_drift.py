from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workloads.monitoring.drift import (
    CREDIT_RISK_FEATURES,
    DriftInputError,
    DriftThresholds,
    detect_drift,
    population_stability_index,
)
from workloads.monitoring.tests.conftest import applicant_features
from workloads.monitoring.traffic import shift_applicants

SHIFTED = {
    "annual_income",
    "credit_utilization",
    "late_payments_90d",
    "income_per_loan",
    "utilization_late_interaction",
}


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_unshifted_traffic_raises_no_alert(reference_frame: pd.DataFrame, seed: int) -> None:
    report = detect_drift(reference_frame, applicant_features(500, seed=seed))
    assert not report.drift_detected, report.to_dict()
    assert all(f.psi < 0.1 for f in report.features), report.to_dict()


def test_shifted_traffic_flags_exactly_the_shifted_features(reference_frame: pd.DataFrame) -> None:
    report = detect_drift(reference_frame, shift_applicants(applicant_features(500, seed=5)))
    assert report.drift_detected
    assert set(report.drifted_features) == SHIFTED
    by_name = {f.column: f for f in report.features}
    assert by_name["annual_income"].psi > 0.2
    assert by_name["annual_income"].ks_p_value < 1e-6
    assert by_name["age"].psi < 0.1


def test_prediction_drift_alone_raises_the_alert(reference_frame: pd.DataFrame) -> None:
    rng = np.random.default_rng(0)
    reference = reference_frame.assign(prediction=rng.beta(2, 8, len(reference_frame)))
    current = applicant_features(500, seed=6).assign(prediction=rng.beta(5, 5, 500))
    report = detect_drift(reference, current)
    assert report.drifted_features == []
    assert report.prediction is not None and report.prediction.drifted
    assert report.drift_detected


def test_psi_is_zero_for_identical_samples_and_grows_with_the_shift() -> None:
    rng = np.random.default_rng(1)
    reference = rng.normal(0, 1, 5000)
    assert population_stability_index(reference, reference) == pytest.approx(0, abs=1e-12)
    small, large = (population_stability_index(reference, reference + delta) for delta in (0.2, 1.0))
    assert 0 < small < 0.1 < 0.2 < large


def test_discrete_features_are_binned_by_value() -> None:
    reference = np.array([0, 1, 2] * 100, dtype=float)
    # Mass moved from 0 to 2: quantile bins would merge the values and miss it.
    current = np.array([1, 2, 2] * 100, dtype=float)
    assert population_stability_index(reference, current) > 1


@pytest.mark.parametrize(
    ("current", "message"),
    [
        (lambda f: f.drop(columns=["age"]), "no column 'age'"),
        (lambda f: f.head(10), "at least 50 needed"),
        (lambda f: f.assign(age="n/a"), "0 usable values of 'age'"),
        (lambda f: f.assign(annual_income=np.nan), "usable values of 'annual_income'"),
    ],
)
def test_unusable_input_is_refused_with_a_reason(reference_frame: pd.DataFrame, current, message: str) -> None:
    with pytest.raises(DriftInputError, match=message):
        detect_drift(reference_frame, current(applicant_features(200, seed=7)))


def test_infinite_values_are_ignored_not_counted(reference_frame: pd.DataFrame) -> None:
    current = applicant_features(500, seed=8)
    current.loc[:9, "annual_income"] = np.inf
    report = detect_drift(reference_frame, current)
    assert not report.drift_detected


def test_thresholds_are_validated() -> None:
    with pytest.raises(ValueError, match="invalid drift thresholds"):
        DriftThresholds(psi=0)
    assert len(CREDIT_RISK_FEATURES) == 10
