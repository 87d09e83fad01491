"""The lifecycle steps: ingest -> validate -> materialize -> train -> evaluate -> register -> canary -> promote.

Each step is a plain function of `PipelineSettings` that calls the data-plane and training code the local run
uses, and leaves its result in <work_dir>/pipeline-state.json for the next step (so a step can run in another
process: an Airflow task in the workloads interpreter, or a pod of the training image). This module runs in the
workloads venv; the DAG file only names the steps.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

log = logging.getLogger(__name__)

STEP_ORDER = ("ingest", "validate", "materialize", "train", "evaluate", "register", "canary", "promote")
PRODUCTION_ALIAS = "production"


class StepFailedError(RuntimeError):
    """A step refused to continue (bad batch, gate refusal, failed canary); the message says why."""


@dataclass(frozen=True)
class PipelineSettings:
    work_dir: Path = Path("out/pipelines")
    tracking_uri: str = ""
    redis_address: str = ""
    seed: int = 7
    n_applicants: int = 2000
    epochs: int = 8
    canary_rows: int = 200
    # The canary refuses a registered version whose holdout AUC falls this far below the evaluation's.
    canary_max_auc_drop: float = 0.02

    @classmethod
    def from_mapping(cls, values: dict[str, object]) -> PipelineSettings:
        known = {f.name: f for f in fields(cls)}
        unknown = set(values) - set(known)
        if unknown:
            raise StepFailedError(f"unknown pipeline settings: {sorted(unknown)}")
        converted: dict[str, object] = {}
        for name, raw in values.items():
            default = getattr(cls, name)
            converted[name] = type(default)(raw) if not isinstance(default, Path) else Path(str(raw))
        return cls(**converted)  # type: ignore[arg-type]

    @property
    def feature_repo(self) -> Path:
        return self.work_dir / "feature_repo"

    @property
    def training_dir(self) -> Path:
        return self.work_dir / "training"


def _state_path(settings: PipelineSettings) -> Path:
    return settings.work_dir / "pipeline-state.json"


def _load_state(settings: PipelineSettings) -> dict[str, dict]:
    try:
        return json.loads(_state_path(settings).read_text())
    except FileNotFoundError:
        return {}


def _require(settings: PipelineSettings, step: str) -> dict:
    state = _load_state(settings)
    if step not in state:
        raise StepFailedError(f"step {step!r} has not run in {settings.work_dir}; run the steps in order")
    return state[step]


def _training_config(settings: PipelineSettings, tracking_uri: str = ""):
    from workloads.training.config import TrainingConfig

    ingest = _require(settings, "ingest")
    return TrainingConfig(
        out_dir=settings.training_dir,
        seed=settings.seed,
        epochs=settings.epochs,
        feature_repo=settings.feature_repo,
        labels_path=Path(ingest["labels"]),
        tracking_uri=tracking_uri,
        resume=False,
    )


def _store(settings: PipelineSettings):
    from workloads.features.store import open_store

    return open_store(settings.feature_repo, "local", redis_address=settings.redis_address or None)


def ingest(settings: PipelineSettings) -> dict:
    from workloads.features.generate import generate_dataset

    paths = generate_dataset(settings.feature_repo / "data", seed=settings.seed, n_applicants=settings.n_applicants)
    return {
        "applicant_profile": str(paths.applicant_profile),
        "credit_activity": str(paths.credit_activity),
        "labels": str(paths.labels),
        "manifest": str(paths.manifest),
    }


def validate(settings: PipelineSettings) -> dict:
    import pandas as pd

    from workloads.features.validation import BatchRejectedError, validate_activity, validate_profile

    ingested = _require(settings, "ingest")
    try:
        profile = validate_profile(pd.read_parquet(ingested["applicant_profile"]))
        activity = validate_activity(pd.read_parquet(ingested["credit_activity"]))
    except BatchRejectedError as exc:
        raise StepFailedError(f"batch refused, nothing materialized: {exc}") from exc
    return {"profile_rows": len(profile), "activity_rows": len(activity)}


def materialize(settings: PipelineSettings) -> dict:
    from datetime import datetime

    from workloads.features.store import materialize as materialize_store

    _require(settings, "validate")
    # Up to the batch's own as-of time: the window Feast materializes is the one the batch describes.
    manifest = json.loads(Path(_require(settings, "ingest")["manifest"]).read_text())
    report = materialize_store(_store(settings), end=datetime.fromisoformat(manifest["as_of"]))
    return {"rows": report.rows, "end": report.end.isoformat()}


def train(settings: PipelineSettings) -> dict:
    from workloads.training.pipeline import train_and_register

    _require(settings, "materialize")
    # No tracking URI here: train and write the bundle; evaluate and register are their own steps.
    result = train_and_register(_training_config(settings))
    return {"bundle": str(result.bundle_dir), "metrics": result.metrics}


def evaluate(settings: PipelineSettings) -> dict:
    from workloads.training.data import load_training_data
    from workloads.training.evaluate import evaluate as score
    from workloads.training.evaluate import quality_gate
    from workloads.training.model import load_bundle
    from workloads.training.pipeline import champion_metrics

    trained = _require(settings, "train")
    config = _training_config(settings, settings.tracking_uri)
    data = load_training_data(config)
    model, _ = load_bundle(Path(trained["bundle"]), "fp32")
    metrics = score(model, data.holdout)  # at the model's own decision threshold
    champion, champion_scores = champion_metrics(config, data)
    decision = quality_gate(metrics, champion_scores, config.gate, champion)
    if not decision.passed:
        raise StepFailedError(f"quality gate refused the candidate: {'; '.join(decision.reasons)}")
    return {"metrics": metrics, "champion": champion, "gate": decision.as_dict()}


def register(settings: PipelineSettings) -> dict:
    from workloads.training.registry import register_bundle

    trained, evaluated = _require(settings, "train"), _require(settings, "evaluate")
    config = _training_config(settings, settings.tracking_uri)
    if not config.tracking_uri:
        raise StepFailedError("register needs an MLflow tracking URI (tracking_uri setting or MLFLOW_TRACKING_URI)")
    version = register_bundle(
        config.tracking_uri,
        config.registered_model_name,
        config.experiment_name,
        Path(trained["bundle"]),
        config.as_dict(),
        evaluated["metrics"],
        {"pipeline": "credit_risk_lifecycle", "gate": "passed"},
    )
    return {"name": version.name, "version": version.version, "uri": version.uri}


def canary(settings: PipelineSettings) -> dict:
    """The registered version, fetched back from the registry, scores fresh holdout rows as well as evaluated."""
    import torch

    from workloads.training.config import FEATURES
    from workloads.training.data import load_training_data
    from workloads.training.evaluate import evaluate as score
    from workloads.training.model import load_bundle, predict_proba
    from workloads.training.registry import download_version, get_version

    registered, evaluated = _require(settings, "register"), _require(settings, "evaluate")
    config = _training_config(settings, settings.tracking_uri)
    version = get_version(config.tracking_uri, registered["name"], registered["version"])
    bundle = download_version(config.tracking_uri, version, settings.work_dir / "canary")
    model, _ = load_bundle(bundle, "fp32")
    holdout = load_training_data(config).holdout
    scores = predict_proba(model, torch.tensor(holdout[list(FEATURES)].head(settings.canary_rows).to_numpy()))
    if not bool(torch.isfinite(scores).all()) or scores.min() < 0 or scores.max() > 1:
        raise StepFailedError("canary: the registered model returns scores outside [0, 1]")
    auc = score(model, holdout)["auc"]
    if auc < evaluated["metrics"]["auc"] - settings.canary_max_auc_drop:
        raise StepFailedError(
            f"canary: registered version scores AUC {auc:.4f}, evaluation saw {evaluated['metrics']['auc']:.4f}"
        )
    return {"version": version.version, "auc": auc, "rows_scored": int(scores.numel())}


def promote(settings: PipelineSettings) -> dict:
    from mlflow import MlflowClient

    registered = _require(settings, "canary")
    name = _require(settings, "register")["name"]
    client = MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri)
    client.set_registered_model_alias(name, PRODUCTION_ALIAS, registered["version"])
    return {"name": name, "version": registered["version"], "alias": PRODUCTION_ALIAS}


STEPS: dict[str, Callable[[PipelineSettings], dict]] = {
    "ingest": ingest,
    "validate": validate,
    "materialize": materialize,
    "train": train,
    "evaluate": evaluate,
    "register": register,
    "canary": canary,
    "promote": promote,
}


def run_step(step: str, values: dict[str, object] | None = None) -> dict:
    """Run one step and record its result; what an Airflow task (or `python -m workloads.pipelines STEP`) calls."""
    if step not in STEPS:
        raise StepFailedError(f"unknown step {step!r}; steps: {', '.join(STEP_ORDER)}")
    values = dict(values or {})
    values.setdefault("tracking_uri", os.environ.get("MLFLOW_TRACKING_URI", ""))
    values = {k: v for k, v in values.items() if v not in (None, "")}
    settings = PipelineSettings.from_mapping(values)
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    log.info("step %s in %s", step, settings.work_dir)
    result = STEPS[step](settings)
    state = _load_state(settings)
    state[step] = result
    _state_path(settings).write_text(json.dumps(state, indent=2, default=str) + "\n")
    return json.loads(json.dumps(result, default=str))


def settings_dict(settings: PipelineSettings) -> dict[str, object]:
    return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(settings).items()}
