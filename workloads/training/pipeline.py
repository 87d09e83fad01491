"""train -> evaluate -> gate -> register, as one call: `train_and_register(config)`.

The Airflow DAG, the drift-triggered retraining, `make serve` and the CLI (`python -m workloads.training`) all
call this. Under torchrun every rank trains; only rank 0 evaluates, writes the bundle and registers.
"""

from __future__ import annotations

import copy
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from workloads.training.card import build_card, write_card
from workloads.training.config import TrainingConfig
from workloads.training.data import TrainingData, load_training_data
from workloads.training.evaluate import (
    GateDecision,
    decision_threshold,
    evaluate,
    explain_top_features,
    quality_gate,
)
from workloads.training.model import CreditRiskMLP, load_bundle, prune_linear_layers, quantize_int8, save_bundle
from workloads.training.registry import (
    RegisteredVersion,
    champion_version,
    download_version,
    log_refused_run,
    register_bundle,
)
from workloads.training.train import TrainingStats, distributed_context, train_model

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingResult:
    rank: int
    bundle_dir: Path | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    gate: GateDecision | None = None
    registered: RegisteredVersion | None = None
    stats: TrainingStats | None = None
    card: dict[str, object] = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return self.gate is not None and not self.gate.passed


def compress(
    model: CreditRiskMLP, data: TrainingData, amount: float, threshold: float
) -> tuple[object, dict[str, object]]:
    """Pruned then int8-quantized copy of `model`, with the accuracy change of each step on the holdout."""
    fp32 = evaluate(model, data.holdout, threshold)
    pruned = prune_linear_layers(copy.deepcopy(model), amount)
    pruned_scores = evaluate(pruned, data.holdout, threshold)
    quantized = quantize_int8(pruned)
    int8 = evaluate(quantized, data.holdout, threshold)
    summary = {
        "prune_amount": amount,
        "quantization": "torch.ao.quantization.quantize_dynamic(nn.Linear, qint8)",
        "fp32": {"auc": fp32["auc"], "accuracy": fp32["accuracy"]},
        "pruned": {"auc": pruned_scores["auc"], "accuracy": pruned_scores["accuracy"]},
        "int8": {"auc": int8["auc"], "accuracy": int8["accuracy"]},
        "int8_accuracy_change": round(int8["accuracy"] - fp32["accuracy"], 6),
        "int8_auc_change": round(int8["auc"] - fp32["auc"], 6),
    }
    return quantized, summary


def champion_metrics(
    config: TrainingConfig, data: TrainingData, threshold: float | None = None
) -> tuple[str | None, dict[str, float] | None]:
    """The registered champion re-scored on this run's holdout at this run's decision threshold (by default the
    training default rate, the rule the candidate uses), so both models are judged on the same rows by the same
    rule: a champion that flags nobody cannot look more accurate and fairer than a candidate that decides."""
    if not config.tracking_uri:
        return None, None
    current = champion_version(config.tracking_uri, config.registered_model_name)
    if current is None:
        return None, None
    bundle = download_version(config.tracking_uri, current, config.out_dir / "champion")
    model, _ = load_bundle(bundle, "fp32")
    threshold = decision_threshold(data.train) if threshold is None else threshold
    return current.version, evaluate(model, data.holdout, threshold)


def train_and_register(config: TrainingConfig, data: TrainingData | None = None) -> TrainingResult:
    """Train (DDP when launched by torchrun), then on rank 0: evaluate, compress, explain, gate, register.

    Returns the registered version in `result.registered`, or None with `result.gate.reasons` when refused
    (or when no tracking URI is configured: then the bundle is only written to out_dir/bundle).
    """
    data = data or load_training_data(config)
    with distributed_context() as ctx:
        model, stats = train_model(config, data.train, ctx)
    if not ctx.is_main:
        return TrainingResult(rank=ctx.rank, stats=stats)

    threshold = decision_threshold(data.train)
    model.decision_threshold.fill_(threshold)
    metrics = evaluate(model, data.holdout, threshold)
    quantized, compression = compress(model, data, config.prune_amount, threshold)
    explanations = explain_top_features(model, data.holdout, config.explain_samples, config.seed)
    champion, champion_scores = champion_metrics(config, data, threshold)
    decision = quality_gate(metrics, champion_scores, config.gate, champion)
    card = build_card(
        metrics=metrics,
        compression=compression,
        explanations=explanations,  # type: ignore[arg-type]
        lineage=data.lineage,
        config=config.as_dict(),
        gate=decision.as_dict(),
        training=stats.__dict__,
    )
    bundle_dir = config.out_dir / "bundle"
    shutil.rmtree(bundle_dir, ignore_errors=True)
    save_bundle(
        bundle_dir,
        model,
        quantized,  # type: ignore[arg-type]
        config.hidden_sizes,
        {
            "metrics": metrics,
            "decision_threshold": threshold,
            "dataset_digest": data.lineage.get("dataset_digest"),
            "git_commit": card["git_commit"],
        },
    )
    write_card(bundle_dir, card)

    registered = None
    params = config.as_dict()
    run_metrics = {
        **metrics,
        "int8_auc": compression["int8"]["auc"],  # type: ignore[index]
        "int8_accuracy": compression["int8"]["accuracy"],  # type: ignore[index]
        "train_samples_per_second": stats.samples_per_second,
    }
    tags = {
        "dataset_digest": str(data.lineage.get("dataset_digest")),
        "feature_service": str(data.lineage.get("feature_service")),
        "git_commit": str(card["git_commit"]),
        "gate": "passed" if decision.passed else "refused",
        "top_feature": str(explanations[0]["feature"]) if explanations else "",
    }
    if config.tracking_uri and decision.passed:
        registered = register_bundle(
            config.tracking_uri,
            config.registered_model_name,
            config.experiment_name,
            bundle_dir,
            params,
            run_metrics,
            tags,
        )
    elif config.tracking_uri:
        log_refused_run(config.tracking_uri, config.experiment_name, params, run_metrics, tags)
        log.warning("quality gate refused the candidate: %s", "; ".join(decision.reasons))
    return TrainingResult(
        rank=0,
        bundle_dir=bundle_dir,
        metrics=metrics,
        gate=decision,
        registered=registered,
        stats=stats,
        card=card,
    )


# Kept for callers written against the first version of this module (the lifecycle DAG's evaluate step).
_champion_metrics = champion_metrics
