from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def applicant_features(n: int, seed: int) -> pd.DataFrame:
    """Feature rows shaped like FeatureService credit_risk_v1 (workloads/features/names.py), drawn from fixed distributions."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.integers(21, 70, n),
            "annual_income": rng.lognormal(12.2, 0.45, n),
            "employment_years": rng.gamma(2.0, 3.0, n),
            "existing_loans": rng.poisson(1.2, n),
            "credit_utilization": rng.beta(2.0, 4.0, n),
            "late_payments_90d": rng.poisson(0.4, n),
            "txn_count_7d": rng.poisson(14, n),
            "avg_txn_amount_7d": rng.lognormal(5.5, 0.6, n),
        }
    )
    frame["income_per_loan"] = frame["annual_income"] / (frame["existing_loans"] + 1)
    frame["utilization_late_interaction"] = frame["credit_utilization"] * frame["late_payments_90d"]
    return frame


@pytest.fixture(scope="session")
def reference_frame() -> pd.DataFrame:
    return applicant_features(2000, seed=1)
