"""The model card, as JSON (machine-read by promotion and audits) and Markdown (read by people)."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from workloads.training.config import FEATURES, PROTECTED_ATTRIBUTE, REGISTERED_MODEL_NAME

REPO_ROOT = Path(__file__).resolve().parents[2]


def git_commit() -> str:
    """The commit the code came from: git when run from a checkout, GIT_COMMIT baked into an image otherwise."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return os.environ.get("GIT_COMMIT", "unknown")


def build_card(
    *,
    metrics: dict[str, float],
    compression: dict[str, object],
    explanations: list[dict[str, object]],
    lineage: dict[str, object],
    config: dict[str, object],
    gate: dict[str, object],
    training: dict[str, object],
) -> dict[str, object]:
    return {
        "model": REGISTERED_MODEL_NAME,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "intended_use": "Probability that a loan applicant defaults, as one input to a human credit decision "
        "in regulated UAE retail lending. Not for automated rejection.",
        "inputs": list(FEATURES),
        "output": "default_probability in [0, 1]",
        "protected_attribute": {
            "name": PROTECTED_ATTRIBUTE,
            "use": "fairness evaluation only; never a model input",
        },
        "metrics": metrics,
        "cpu_inference": compression,
        "top_features_integrated_gradients": explanations,
        "data_lineage": lineage,
        "quality_gate": gate,
        "training": training,
        "config": config,
    }


def card_markdown(card: dict[str, object]) -> str:
    metrics: dict[str, float] = card["metrics"]  # type: ignore[assignment]
    compression: dict[str, object] = card["cpu_inference"]  # type: ignore[assignment]
    lineage: dict[str, object] = card["data_lineage"]  # type: ignore[assignment]
    gate: dict[str, object] = card["quality_gate"]  # type: ignore[assignment]
    lines = [
        f"# Model card: {card['model']}",
        "",
        f"- Created: {card['created_at']}",
        f"- Git commit: `{card['git_commit']}`",
        f"- Intended use: {card['intended_use']}",
        f"- Output: {card['output']}",
        f"- Protected attribute: `{PROTECTED_ATTRIBUTE}` (fairness evaluation only, not an input)",
        "",
        "## Holdout metrics (newest rows by event time)",
        "",
        "| metric | value |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in metrics.items()],
        "",
        "## CPU inference path (magnitude pruning + int8 dynamic quantization)",
        "",
        "| variant | auc | accuracy |",
        "|---|---|---|",
    ]
    for variant in ("fp32", "pruned", "int8"):
        scores: dict[str, float] = compression.get(variant, {})  # type: ignore[assignment]
        lines.append(f"| {variant} | {scores.get('auc')} | {scores.get('accuracy')} |")
    lines += [
        "",
        f"Pruned fraction of Linear weights: {compression.get('prune_amount')}; "
        f"int8 accuracy change vs fp32: {compression.get('int8_accuracy_change')}, "
        f"AUC change: {compression.get('int8_auc_change')}.",
        "",
        "## Top features (integrated gradients, mean |attribution| on holdout rows)",
        "",
        "| feature | mean abs attribution | share |",
        "|---|---|---|",
        *[
            f"| {row['feature']} | {row['mean_abs_attribution']} | {row['share']} |"
            for row in card["top_features_integrated_gradients"]  # type: ignore[union-attr]
        ],
        "",
        "## Data lineage",
        "",
        *[f"- {key}: `{value}`" for key, value in lineage.items()],
        "",
        "## Quality gate",
        "",
        f"- Passed: {gate.get('passed')}",
        f"- Champion compared: {gate.get('champion_version')}",
        *[f"- Refused because: {reason}" for reason in gate.get("reasons", [])],  # type: ignore[union-attr]
        "",
        "## Training configuration",
        "",
        "```json",
        json.dumps(card["config"], indent=2, sort_keys=True, default=str),
        "```",
        "",
    ]
    return "\n".join(lines)


def write_card(directory: Path, card: dict[str, object]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "model_card.json").write_text(json.dumps(card, indent=2, sort_keys=True, default=str) + "\n")
    (directory / "model_card.md").write_text(card_markdown(card))
