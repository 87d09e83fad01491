"""Holdout evaluation, the quality gate against the registered champion, and captum explanations."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from captum.attr import IntegratedGradients
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

from workloads.training.config import FEATURES, LABEL, PROTECTED_ATTRIBUTE, QualityGate
from workloads.training.model import CreditRiskMLP, predict_proba

DEFAULT_DECISION_THRESHOLD = 0.5


def decision_threshold(train: pd.DataFrame) -> float:
    """Flag an applicant when the predicted default probability reaches the training default rate.

    Defaults are the minority class (~15-25%): at 0.5 a calibrated model flags almost nobody, accuracy
    collapses to the majority rate and the fairness metrics become trivially zero. The base rate keeps
    probabilities calibrated and decisions meaningful."""
    return round(float(train[LABEL].mean()), 6)


def holdout_tensors(holdout: pd.DataFrame) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    features = torch.tensor(holdout[list(FEATURES)].to_numpy(dtype="float32"))
    return features, holdout[LABEL].to_numpy(dtype="int64"), holdout[PROTECTED_ATTRIBUTE].astype(str).to_numpy()


def evaluate(model: torch.nn.Module, holdout: pd.DataFrame, threshold: float | None = None) -> dict[str, float]:
    """Holdout metrics; decisions at `threshold`, by default the model's own decision_threshold buffer."""
    if threshold is None:
        buffer = getattr(model, "decision_threshold", None)
        threshold = round(float(buffer), 6) if buffer is not None else DEFAULT_DECISION_THRESHOLD
    features, labels, gender = holdout_tensors(holdout)
    probabilities = predict_proba(model, features).numpy().astype("float64")
    decisions = (probabilities >= threshold).astype("int64")
    return {
        "auc": round(float(roc_auc_score(labels, probabilities)), 6),
        "accuracy": round(float(accuracy_score(labels, decisions)), 6),
        "log_loss": round(float(log_loss(labels, np.clip(probabilities, 1e-7, 1 - 1e-7), labels=[0, 1])), 6),
        "positive_rate": round(float(decisions.mean()), 6),
        "demographic_parity_difference": round(
            float(demographic_parity_difference(labels, decisions, sensitive_features=gender)), 6
        ),
        "equalized_odds_difference": round(
            float(equalized_odds_difference(labels, decisions, sensitive_features=gender)), 6
        ),
        "holdout_rows": float(len(labels)),
        "decision_threshold": threshold,
    }


@dataclass(frozen=True)
class GateDecision:
    passed: bool
    reasons: list[str] = field(default_factory=list)
    champion_version: str | None = None
    champion_metrics: dict[str, float] | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "reasons": self.reasons,
            "champion_version": self.champion_version,
            "champion_metrics": self.champion_metrics,
        }


def quality_gate(
    candidate: dict[str, float],
    champion: dict[str, float] | None,
    gate: QualityGate,
    champion_version: str | None = None,
) -> GateDecision:
    """Refuses a candidate that is worse (AUC, accuracy) or less fair than the champion, both scored on the
    same holdout, or that breaks the absolute fairness ceiling. No champion: only the ceiling applies."""
    reasons: list[str] = []
    fairness = gate.fairness_metric
    if candidate[fairness] > gate.fairness_ceiling:
        reasons.append(f"{fairness} {candidate[fairness]:.4f} exceeds the ceiling {gate.fairness_ceiling:.4f}")
    if champion is not None:
        if candidate["auc"] < champion["auc"] - gate.max_auc_drop:
            reasons.append(
                f"auc {candidate['auc']:.4f} is below champion v{champion_version} {champion['auc']:.4f} "
                f"by more than {gate.max_auc_drop}"
            )
        if candidate["accuracy"] < champion["accuracy"] - gate.max_accuracy_drop:
            reasons.append(
                f"accuracy {candidate['accuracy']:.4f} is below champion v{champion_version} "
                f"{champion['accuracy']:.4f} by more than {gate.max_accuracy_drop}"
            )
        if candidate[fairness] > champion[fairness] + gate.max_fairness_increase:
            reasons.append(
                f"{fairness} {candidate[fairness]:.4f} is less fair than champion v{champion_version} "
                f"{champion[fairness]:.4f} by more than {gate.max_fairness_increase}"
            )
    return GateDecision(not reasons, reasons, champion_version, champion)


def explain_top_features(
    model: CreditRiskMLP, holdout: pd.DataFrame, samples: int, seed: int, top_k: int = 5
) -> list[dict[str, float | str]]:
    """Integrated gradients on standardized inputs against the training mean (zero) as baseline;
    mean |attribution| per feature, largest first."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(holdout), size=min(samples, len(holdout)), replace=False)
    features = torch.tensor(holdout.iloc[np.sort(rows)][list(FEATURES)].to_numpy(dtype="float32"))
    model = model.eval()
    with torch.no_grad():
        standardized = model.standardize(features)
    attributions = IntegratedGradients(model.forward_standardized).attribute(
        standardized, baselines=torch.zeros_like(standardized), n_steps=32
    )
    importance = attributions.abs().mean(dim=0).detach().numpy()
    share = importance / importance.sum() if importance.sum() > 0 else importance
    order = np.argsort(-importance)[:top_k]
    return [
        {
            "feature": FEATURES[i],
            "mean_abs_attribution": round(float(importance[i]), 6),
            "share": round(float(share[i]), 4),
        }
        for i in order
    ]
