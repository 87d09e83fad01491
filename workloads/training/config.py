"""Typed training configuration: one frozen dataclass built from CLI flags, falling back to TRAIN_* env vars."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

from workloads.features.names import FEATURE_NAMES

REGISTERED_MODEL_NAME = "credit-risk"

# The model's input order: the columns of the FeatureService credit_risk_v1, defined with the Feast
# repo (workloads/features/names.py, standard library only). Serving, batch scoring, drift monitoring and
# the model card all read this one tuple.
FEATURES: tuple[str, ...] = tuple(FEATURE_NAMES)
LABEL = "defaulted"
PROTECTED_ATTRIBUTE = "gender"


class ConfigError(ValueError):
    """A training setting is missing or out of range; the message names the setting and the accepted values."""


@dataclass(frozen=True)
class QualityGate:
    """How much worse than the registered champion a candidate may be (absolute differences)."""

    max_auc_drop: float = 0.01
    max_accuracy_drop: float = 0.02
    # Fairness over `gender`: the candidate may not be less fair than the champion by more than this,
    # and may never exceed the absolute ceiling.
    max_fairness_increase: float = 0.02
    fairness_ceiling: float = 0.2
    fairness_metric: str = "demographic_parity_difference"


@dataclass(frozen=True)
class TrainingConfig:
    out_dir: Path = Path("out/training")
    seed: int = 7
    epochs: int = 8
    batch_size: int = 64
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    hidden_sizes: tuple[int, ...] = (32, 16)
    checkpoint_every: int = 20
    # Mixed precision (autocast + GradScaler) whenever training runs on a GPU; on CPU it is always off.
    amp: bool = True
    resume: bool = True
    # Data: Feast (feature repo + labels parquet) or the seeded in-memory frame when no repo is given.
    feature_repo: Path | None = None
    labels_path: Path | None = None
    n_applicants: int = 2000
    holdout_fraction: float = 0.2
    # Registry: MLflow tracking URI; empty means train and evaluate without registering.
    tracking_uri: str = ""
    registered_model_name: str = REGISTERED_MODEL_NAME
    experiment_name: str = "credit-risk-training"
    gate: QualityGate = field(default_factory=QualityGate)
    prune_amount: float = 0.3
    explain_samples: int = 256
    # Fault injection for the resume test: SIGKILL this process right after the checkpoint at this step.
    kill_after_checkpoint_step: int = 0

    def __post_init__(self) -> None:
        positive = ("epochs", "batch_size", "checkpoint_every", "n_applicants", "explain_samples")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)}")
        if not 0 < self.learning_rate < 1:
            raise ConfigError(f"learning_rate must be in (0, 1), got {self.learning_rate}")
        if not 0 < self.holdout_fraction < 0.9:
            raise ConfigError(f"holdout_fraction must be in (0, 0.9), got {self.holdout_fraction}")
        if not 0 <= self.prune_amount < 1:
            raise ConfigError(f"prune_amount must be in [0, 1), got {self.prune_amount}")
        if not self.hidden_sizes or any(size <= 0 for size in self.hidden_sizes):
            raise ConfigError(f"hidden_sizes must be positive integers, got {self.hidden_sizes}")
        if (self.feature_repo is None) != (self.labels_path is None):
            raise ConfigError("feature_repo and labels_path go together: give both (Feast) or neither (in-memory)")
        if self.gate.fairness_metric not in ("demographic_parity_difference", "equalized_odds_difference"):
            raise ConfigError(
                "fairness metric must be demographic_parity_difference or equalized_odds_difference, "
                f"got {self.gate.fairness_metric!r}"
            )

    @property
    def checkpoint_path(self) -> Path:
        return self.out_dir / "checkpoint.pt"

    def as_dict(self) -> dict[str, object]:
        """JSON-ready view for MLflow params and the model card."""
        out: dict[str, object] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, QualityGate):
                out.update({f"gate.{k.name}": getattr(value, k.name) for k in fields(value)})
            elif isinstance(value, Path):
                out[item.name] = str(value)
            elif isinstance(value, tuple):
                out[item.name] = list(value)
            else:
                out[item.name] = value
        return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m workloads.training",
        description="Train the credit-risk MLP (torchrun-compatible), evaluate it, and register it in MLflow "
        "if it passes the quality gate. Every flag also reads TRAIN_<FLAG> from the environment.",
    )
    parser.add_argument("--out-dir", type=Path)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--weight-decay", type=float)
    parser.add_argument("--hidden-sizes", help="comma-separated layer widths, e.g. 32,16")
    parser.add_argument("--checkpoint-every", type=int, help="steps between rank-0 checkpoints")
    parser.add_argument("--no-resume", dest="resume", action="store_const", const=False)
    parser.add_argument("--no-amp", dest="amp", action="store_const", const=False, help="fp32 even on a GPU")
    parser.add_argument("--feature-repo", type=Path, help="Feast repo path (with --labels-path)")
    parser.add_argument(
        "--labels-path", type=Path, help="labels parquet: applicant_id, event_timestamp, defaulted, gender"
    )
    parser.add_argument(
        "--n-applicants", type=int, help="rows of the seeded in-memory frame when no Feast repo is given"
    )
    parser.add_argument("--holdout-fraction", type=float)
    parser.add_argument("--tracking-uri", help="MLflow tracking URI (default: MLFLOW_TRACKING_URI)")
    parser.add_argument("--registered-model-name")
    parser.add_argument("--experiment-name")
    parser.add_argument("--fairness-metric", choices=("demographic_parity_difference", "equalized_odds_difference"))
    parser.add_argument("--fairness-ceiling", type=float)
    parser.add_argument("--max-auc-drop", type=float)
    parser.add_argument("--prune-amount", type=float)
    parser.add_argument("--kill-after-checkpoint-step", type=int, help=argparse.SUPPRESS)
    return parser


def _coerce(raw: str, target: type) -> object:
    if target is bool:
        lowered = raw.strip().lower()
        if lowered not in ("1", "0", "true", "false", "yes", "no"):
            raise ConfigError(f"expected a boolean, got {raw!r}")
        return lowered in ("1", "true", "yes")
    try:
        return target(raw)
    except ValueError as exc:
        raise ConfigError(f"expected {target.__name__}, got {raw!r}") from exc


def _hidden_sizes(raw: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(f"hidden sizes must be comma-separated integers, got {raw!r}") from exc


_ENV_TYPES: dict[str, type] = {
    "out_dir": Path,
    "seed": int,
    "epochs": int,
    "batch_size": int,
    "learning_rate": float,
    "weight_decay": float,
    "checkpoint_every": int,
    "amp": bool,
    "resume": bool,
    "feature_repo": Path,
    "labels_path": Path,
    "n_applicants": int,
    "holdout_fraction": float,
    "tracking_uri": str,
    "registered_model_name": str,
    "experiment_name": str,
    "prune_amount": float,
    "kill_after_checkpoint_step": int,
}
_GATE_FLAGS = ("fairness_metric", "fairness_ceiling", "max_auc_drop")


def config_from_args(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> TrainingConfig:
    """Flags win over TRAIN_* env vars, which win over the defaults. MLFLOW_TRACKING_URI fills tracking_uri."""
    environ = os.environ if environ is None else environ
    args = vars(_parser().parse_args(argv))
    values: dict[str, object] = {}
    for name, target in _ENV_TYPES.items():
        if args.get(name) is not None:
            values[name] = args[name]
        elif f"TRAIN_{name.upper()}" in environ:
            values[name] = _coerce(environ[f"TRAIN_{name.upper()}"], target)
    hidden = args.get("hidden_sizes") or environ.get("TRAIN_HIDDEN_SIZES")
    if hidden:
        values["hidden_sizes"] = _hidden_sizes(hidden)
    if "tracking_uri" not in values and environ.get("MLFLOW_TRACKING_URI"):
        values["tracking_uri"] = environ["MLFLOW_TRACKING_URI"]
    gate = {name: args[name] for name in _GATE_FLAGS if args.get(name) is not None}
    if gate:
        values["gate"] = QualityGate(**gate)  # type: ignore[arg-type]
    return TrainingConfig(**values)  # type: ignore[arg-type]
