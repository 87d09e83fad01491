"""A reproducible shift of serving traffic, for the drift demo and tests (what an economic shock looks like)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def shift_applicants(frame: pd.DataFrame) -> pd.DataFrame:
    """Incomes fall by 40 %, utilisation rises by 0.3, one more late payment each; derived ratios follow."""
    shifted = frame.copy()
    shifted["annual_income"] = shifted["annual_income"] * 0.6
    shifted["credit_utilization"] = np.clip(shifted["credit_utilization"] + 0.3, 0, 1)
    shifted["late_payments_90d"] = shifted["late_payments_90d"] + 1
    shifted["income_per_loan"] = shifted["annual_income"] / (shifted["existing_loans"] + 1)
    shifted["utilization_late_interaction"] = shifted["credit_utilization"] * shifted["late_payments_90d"]
    return shifted
