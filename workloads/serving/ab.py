"""A/B evaluation: two model versions served side by side get the same labelled traffic; which one wins?

  python -m workloads.serving.ab --url http://127.0.0.1:8080 --a credit-risk --b credit-risk-challenger

(`python -m workloads.serving --model-uri models:/credit-risk/1 --challenger-uri models:/credit-risk/2` serves
both.) The winner is decided on AUC with a paired bootstrap over the same rows; accuracy is
compared with McNemar's exact test on the discordant pairs at
the traffic's default rate as the cut-off. Without significance at `alpha` there is no winner.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from scipy.stats import binomtest
from sklearn.metrics import roc_auc_score

from workloads.training.config import FEATURES, LABEL, TrainingConfig
from workloads.training.data import load_training_data


def paired_bootstrap_auc(
    labels: np.ndarray, proba_a: np.ndarray, proba_b: np.ndarray, rounds: int = 1000, seed: int = 7
) -> dict[str, float]:
    """AUC(B) - AUC(A) with a 95% interval and a two-sided p-value, resampling rows (pairs stay together)."""
    rng = np.random.default_rng(seed)
    n = len(labels)
    diffs = []
    for _ in range(rounds):
        rows = rng.integers(0, n, size=n)
        if labels[rows].min() == labels[rows].max():
            continue  # a one-class resample has no AUC
        diffs.append(roc_auc_score(labels[rows], proba_b[rows]) - roc_auc_score(labels[rows], proba_a[rows]))
    diffs_arr = np.asarray(diffs)
    p_value = min(1.0, 2 * min((diffs_arr <= 0).mean(), (diffs_arr >= 0).mean()))
    return {
        "auc_a": round(float(roc_auc_score(labels, proba_a)), 6),
        "auc_b": round(float(roc_auc_score(labels, proba_b)), 6),
        "auc_difference_b_minus_a": round(float(np.mean(diffs_arr)), 6),
        "ci95_low": round(float(np.quantile(diffs_arr, 0.025)), 6),
        "ci95_high": round(float(np.quantile(diffs_arr, 0.975)), 6),
        "p_value": round(float(p_value), 6),
        "bootstrap_rounds": len(diffs_arr),
    }


def mcnemar_accuracy(
    labels: np.ndarray, proba_a: np.ndarray, proba_b: np.ndarray, threshold: float = 0.5
) -> dict[str, float]:
    correct_a = (proba_a >= threshold).astype(int) == labels
    correct_b = (proba_b >= threshold).astype(int) == labels
    only_a = int(np.sum(correct_a & ~correct_b))
    only_b = int(np.sum(correct_b & ~correct_a))
    p_value = binomtest(only_b, only_a + only_b, 0.5).pvalue if only_a + only_b else 1.0
    return {
        "accuracy_a": round(float(correct_a.mean()), 6),
        "accuracy_b": round(float(correct_b.mean()), 6),
        "only_a_correct": only_a,
        "only_b_correct": only_b,
        "p_value": round(float(p_value), 6),
        "threshold": round(threshold, 6),
    }


def compare(labels: np.ndarray, proba_a: np.ndarray, proba_b: np.ndarray, alpha: float = 0.05) -> dict[str, object]:
    auc = paired_bootstrap_auc(labels, proba_a, proba_b)
    # Both models are judged at the same cut-off: the traffic's default rate (the rule training uses).
    accuracy = mcnemar_accuracy(labels, proba_a, proba_b, float(labels.mean()))
    if auc["p_value"] < alpha:
        winner = "b" if auc["auc_difference_b_minus_a"] > 0 else "a"
    else:
        winner = "none (no significant AUC difference)"
    return {
        "metric": "auc",
        "alpha": alpha,
        "winner": winner,
        "auc": auc,
        "accuracy_mcnemar": accuracy,
        "rows": len(labels),
    }


def score_over_http(client: httpx.Client, url: str, model: str, features: np.ndarray, batch: int = 256) -> np.ndarray:
    out: list[float] = []
    for start in range(0, len(features), batch):
        rows = features[start : start + batch].tolist()
        response = client.post(f"{url}/v1/models/{model}:predict", json={"instances": rows})
        response.raise_for_status()
        out.extend(response.json()["predictions"])
    return np.asarray(out, dtype="float64")


def run_ab(url: str, model_a: str, model_b: str, traffic: pd.DataFrame, alpha: float = 0.05) -> dict[str, object]:
    """Sends every row of `traffic` to both models (same requests, same order) and compares the answers."""
    features = traffic[list(FEATURES)].to_numpy(dtype="float64")
    labels = traffic[LABEL].to_numpy(dtype="int64")
    with httpx.Client(timeout=30) as client:
        proba_a = score_over_http(client, url, model_a, features)
        proba_b = score_over_http(client, url, model_b, features)
    report = compare(labels, proba_a, proba_b, alpha)
    report.update({"model_a": model_a, "model_b": model_b, "url": url})
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workloads.serving.ab", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="predictor base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--a", default="credit-risk")
    parser.add_argument("--b", default="credit-risk-challenger")
    parser.add_argument("--seed", type=int, default=11, help="seed of the labelled traffic (holdout of a fresh frame)")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--feature-repo", type=Path)
    parser.add_argument("--labels-path", type=Path)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--out", type=Path, default=Path("out/serving/ab.json"))
    args = parser.parse_args(argv)
    data = load_training_data(
        TrainingConfig(
            seed=args.seed, n_applicants=args.rows, feature_repo=args.feature_repo, labels_path=args.labels_path
        )
    )
    try:
        report = run_ab(args.url, args.a, args.b, data.holdout, args.alpha)
    except httpx.HTTPError as exc:
        print(f"ab: predictor request failed: {exc}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
