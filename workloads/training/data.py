"""Training data: point-in-time-correct Feast historical retrieval, or a seeded in-memory frame with the same columns.

Both paths return a `TrainingData` with the contract's column names (workloads/features/names.py) and lineage for the model card.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from workloads.features.names import FEATURE_SERVICE
from workloads.training.config import FEATURES, LABEL, PROTECTED_ATTRIBUTE, TrainingConfig

REQUIRED_LABEL_COLUMNS = ("applicant_id", "event_timestamp", LABEL, PROTECTED_ATTRIBUTE)
# Fixed anchor so the same seed gives byte-identical frames on any day.
_SYNTHETIC_ANCHOR = datetime(2026, 6, 1, tzinfo=UTC)


class TrainingDataError(ValueError):
    """The training frame is unusable (missing columns, empty, non-finite values, one class only)."""


@dataclass(frozen=True)
class TrainingData:
    train: pd.DataFrame
    holdout: pd.DataFrame
    lineage: dict[str, object] = field(default_factory=dict)


def synthetic_frame(n_applicants: int, seed: int) -> pd.DataFrame:
    """Applicants with the credit_risk_v1 features, a default label driven by them, and gender for fairness only."""
    rng = np.random.default_rng(seed)
    gender = rng.choice(np.array(["F", "M"]), size=n_applicants)
    age = rng.integers(21, 70, size=n_applicants)
    employment_years = np.clip(rng.gamma(2.0, 3.0, size=n_applicants), 0, age - 18).round(1)
    # A modest income gap by gender, so the fairness metric has something real to measure.
    income_scale = np.where(gender == "F", 0.93, 1.0)
    annual_income = (rng.lognormal(11.6, 0.45, size=n_applicants) * income_scale).round(2)
    existing_loans = rng.poisson(1.3, size=n_applicants)
    credit_utilization = np.clip(rng.beta(2.0, 3.5, size=n_applicants), 0, 1).round(4)
    late_payments_90d = rng.poisson(0.25 + 1.2 * credit_utilization)
    txn_count_7d = rng.poisson(14, size=n_applicants)
    avg_txn_amount_7d = rng.lognormal(5.0, 0.6, size=n_applicants).round(2)
    income_per_loan = annual_income / (existing_loans + 1)
    utilization_late_interaction = credit_utilization * late_payments_90d
    logit = (
        -2.2
        + 2.6 * credit_utilization
        + 0.75 * late_payments_90d
        + 0.25 * existing_loans
        - 0.08 * employment_years
        - 0.9 * (np.log(annual_income) - 11.6)
        - 0.01 * (age - 40)
        + rng.normal(0, 0.6, size=n_applicants)
    )
    defaulted = (rng.random(n_applicants) < 1 / (1 + np.exp(-logit))).astype("int64")
    seconds = rng.integers(0, 180 * 24 * 3600, size=n_applicants)
    event_timestamp = pd.to_datetime([_SYNTHETIC_ANCHOR - timedelta(seconds=int(s)) for s in seconds], utc=True)
    ids = [hashlib.sha256(f"synthetic-{seed}-{i}".encode()).hexdigest() for i in range(n_applicants)]
    return pd.DataFrame(
        {
            "applicant_id": ids,
            "event_timestamp": event_timestamp,
            "age": age.astype("int64"),
            "annual_income": annual_income.astype("float64"),
            "employment_years": employment_years.astype("float64"),
            "existing_loans": existing_loans.astype("int64"),
            "credit_utilization": credit_utilization.astype("float64"),
            "late_payments_90d": late_payments_90d.astype("int64"),
            "txn_count_7d": txn_count_7d.astype("int64"),
            "avg_txn_amount_7d": avg_txn_amount_7d.astype("float64"),
            "income_per_loan": income_per_loan.astype("float64"),
            "utilization_late_interaction": utilization_late_interaction.astype("float64"),
            LABEL: defaulted,
            PROTECTED_ATTRIBUTE: gender,
        }
    )


def dataset_digest(frame: pd.DataFrame) -> str:
    """sha256 over the rows the model sees (ids, timestamps, features, label, gender), order-independent."""
    columns = ["applicant_id", "event_timestamp", *FEATURES, LABEL, PROTECTED_ATTRIBUTE]
    canonical = frame[columns].sort_values(["applicant_id", "event_timestamp"]).reset_index(drop=True)
    row_hashes = pd.util.hash_pandas_object(canonical, index=False).to_numpy()
    return "sha256:" + hashlib.sha256(row_hashes.tobytes()).hexdigest()


def check_frame(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("applicant_id", "event_timestamp", *FEATURES, LABEL, PROTECTED_ATTRIBUTE) if c not in frame]
    if missing:
        raise TrainingDataError(f"training frame lacks columns {missing}; expected the {FEATURE_SERVICE} features")
    before = len(frame)
    # Rows whose features were outside a view's TTL come back as nulls from point-in-time retrieval: drop them.
    frame = frame.dropna(subset=[*FEATURES, LABEL, PROTECTED_ATTRIBUTE])
    if len(frame) < 20:
        raise TrainingDataError(f"only {len(frame)} of {before} rows have every feature; need at least 20")
    values = frame[list(FEATURES)].to_numpy(dtype="float64")
    if not np.isfinite(values).all():
        raise TrainingDataError("training frame holds non-finite feature values")
    if frame[LABEL].nunique() < 2:
        raise TrainingDataError(f"label {LABEL!r} has a single class; cannot train a classifier")
    frame = frame.copy()
    frame[LABEL] = frame[LABEL].astype("int64")
    return frame


def split_by_time(frame: pd.DataFrame, holdout_fraction: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The newest rows are the holdout: evaluation never sees the past of what it scores."""
    ordered = frame.sort_values(["event_timestamp", "applicant_id"], kind="mergesort").reset_index(drop=True)
    cut = int(round(len(ordered) * (1 - holdout_fraction)))
    return ordered.iloc[:cut].reset_index(drop=True), ordered.iloc[cut:].reset_index(drop=True)


def _feast_frame(repo: Path, labels_path: Path) -> tuple[pd.DataFrame, dict[str, object]]:
    from workloads.features.store import open_store, training_frame

    labels = pd.read_parquet(labels_path)
    missing = [c for c in REQUIRED_LABEL_COLUMNS if c not in labels]
    if missing:
        raise TrainingDataError(f"labels file {labels_path} lacks columns {missing}")
    store = open_store(repo)
    frame = training_frame(store, labels)
    from workloads.features.lineage import view_version

    service = store.get_feature_service(FEATURE_SERVICE)
    views: dict[str, str] = {}
    for projection in service.feature_view_projections:
        name = projection.name
        try:
            view = store.get_feature_view(name)
        except Exception:  # noqa: BLE001 - on-demand views live in another registry table
            view = store.get_on_demand_feature_view(name)
        views[name] = view_version(view)
    lineage = {
        "source": "feast",
        "feature_repo": str(repo),
        "feature_service": FEATURE_SERVICE,
        "feature_view_versions": views,
        "labels_path": str(labels_path),
        "point_in_time_correct": True,
    }
    return frame, lineage


def load_training_data(config: TrainingConfig) -> TrainingData:
    if config.feature_repo is not None and config.labels_path is not None:
        frame, lineage = _feast_frame(config.feature_repo, config.labels_path)
    else:
        frame = synthetic_frame(config.n_applicants, config.seed)
        lineage = {
            "source": "synthetic-in-memory",
            "feature_service": FEATURE_SERVICE,
            "feature_view_versions": {},
            "generator_seed": config.seed,
            "point_in_time_correct": False,
        }
    frame = check_frame(frame)
    train, holdout = split_by_time(frame, config.holdout_fraction)
    if train[LABEL].nunique() < 2 or holdout[LABEL].nunique() < 2:
        raise TrainingDataError("train or holdout split has a single class; use more rows")
    lineage.update(
        {
            "dataset_digest": dataset_digest(frame),
            "rows": len(frame),
            "train_rows": len(train),
            "holdout_rows": len(holdout),
            "holdout_from": holdout["event_timestamp"].min().isoformat(),
            "features": list(FEATURES),
        }
    )
    return TrainingData(train=train, holdout=holdout, lineage=lineage)
