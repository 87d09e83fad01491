"""Per-feature and prediction drift of recent serving inputs against the training reference.

Two statistics per column, each answering a different question:
- PSI (population stability index) over bins fixed by the reference: how much mass moved between
  ranges of the value. The usual reading: < 0.1 stable, 0.1-0.2 moderate, > 0.2 significant shift.
- The two-sample Kolmogorov-Smirnov test (scipy): the largest gap between the two empirical
  distribution functions and how surprising it is under "same distribution".
A column drifts when its PSI crosses the threshold, or when the KS gap is both large and significant
(with thousands of rows a tiny harmless gap is already "significant", so the p-value alone would alert
on noise).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

# The model's inputs, the columns of the FeatureService credit_risk_v1: training defines them once
# (workloads/training/config.py imports only the standard library, so the monitor image can read it).
from workloads.training.config import FEATURES as CREDIT_RISK_FEATURES

PREDICTION_COLUMN = "prediction"

# A column with at most this many distinct reference values is binned by value, not by quantile.
_MAX_DISCRETE_VALUES = 20
# Stands in for an empty bin so that PSI stays finite (a bin that empties still counts, heavily).
_EMPTY_BIN_FRACTION = 1e-4


class DriftInputError(ValueError):
    """The reference or current data cannot be compared (missing columns, too few rows, no numbers)."""


@dataclass(frozen=True)
class DriftThresholds:
    psi: float = 0.2
    ks_statistic: float = 0.15
    ks_p_value: float = 0.01
    min_rows: int = 50
    bins: int = 10

    def __post_init__(self) -> None:
        if not (self.psi > 0 and 0 < self.ks_statistic <= 1 and 0 < self.ks_p_value < 1):
            raise ValueError(f"invalid drift thresholds: {self}")
        if self.min_rows < 2 or self.bins < 2:
            raise ValueError("min_rows and bins must be at least 2")


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    psi: float
    ks_statistic: float
    ks_p_value: float
    drifted: bool


@dataclass(frozen=True)
class DriftReport:
    reference_rows: int
    current_rows: int
    features: tuple[ColumnDrift, ...]
    prediction: ColumnDrift | None
    thresholds: DriftThresholds = field(default_factory=DriftThresholds)

    @property
    def drifted_features(self) -> list[str]:
        return [f.column for f in self.features if f.drifted]

    @property
    def drift_detected(self) -> bool:
        return bool(self.drifted_features) or bool(self.prediction and self.prediction.drifted)

    def to_dict(self) -> dict:
        return {
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "drift_detected": self.drift_detected,
            "drifted_features": self.drifted_features,
            "features": [asdict(f) for f in self.features],
            "prediction": asdict(self.prediction) if self.prediction else None,
            "thresholds": asdict(self.thresholds),
        }


def _numeric_column(frame: pd.DataFrame, column: str, role: str) -> np.ndarray:
    if column not in frame.columns:
        raise DriftInputError(f"{role} data has no column {column!r}")
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    return values


def _bin_edges(reference: np.ndarray, bins: int) -> np.ndarray:
    distinct = np.unique(reference)
    if distinct.size <= _MAX_DISCRETE_VALUES:
        # One bin per observed value: midpoints between neighbours, open at both ends.
        inner = (distinct[:-1] + distinct[1:]) / 2
    else:
        inner = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    return np.concatenate(([-np.inf], inner, [np.inf]))


def population_stability_index(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """PSI of `current` against `reference`, binned by the reference's quantiles (or values)."""
    if reference.size == 0 or current.size == 0:
        raise DriftInputError("PSI needs values on both sides")
    edges = _bin_edges(reference, bins)
    ref_fraction = np.histogram(reference, edges)[0] / reference.size
    cur_fraction = np.histogram(current, edges)[0] / current.size
    ref_fraction = np.clip(ref_fraction, _EMPTY_BIN_FRACTION, None)
    cur_fraction = np.clip(cur_fraction, _EMPTY_BIN_FRACTION, None)
    return float(np.sum((cur_fraction - ref_fraction) * np.log(cur_fraction / ref_fraction)))


def column_drift(column: str, reference: np.ndarray, current: np.ndarray, thresholds: DriftThresholds) -> ColumnDrift:
    for role, values in (("reference", reference), ("current", current)):
        if values.size < thresholds.min_rows:
            raise DriftInputError(
                f"{role} data has {values.size} usable values of {column!r}; at least {thresholds.min_rows} needed"
            )
    psi = population_stability_index(reference, current, thresholds.bins)
    ks = stats.ks_2samp(reference, current)
    ks_statistic, ks_p_value = float(ks.statistic), float(ks.pvalue)
    drifted = psi >= thresholds.psi or (ks_statistic >= thresholds.ks_statistic and ks_p_value < thresholds.ks_p_value)
    return ColumnDrift(column, round(psi, 6), round(ks_statistic, 6), ks_p_value, drifted)


def detect_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    features: Sequence[str] = CREDIT_RISK_FEATURES,
    thresholds: DriftThresholds | None = None,
    prediction_column: str = PREDICTION_COLUMN,
) -> DriftReport:
    """Compare each feature (and the prediction, when both sides carry it) of `current` to `reference`."""
    thresholds = thresholds or DriftThresholds()
    if not features:
        raise DriftInputError("no features to compare")
    results = tuple(
        column_drift(
            name,
            _numeric_column(reference, name, "reference"),
            _numeric_column(current, name, "current"),
            thresholds,
        )
        for name in features
    )
    prediction = None
    if prediction_column in reference.columns and prediction_column in current.columns:
        prediction = column_drift(
            prediction_column,
            _numeric_column(reference, prediction_column, "reference"),
            _numeric_column(current, prediction_column, "current"),
            thresholds,
        )
    if any(math.isnan(r.psi) for r in results):
        raise DriftInputError("PSI is not a number: check the inputs")
    return DriftReport(len(reference), len(current), results, prediction, thresholds)
