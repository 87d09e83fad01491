"""Registration against a real local MLflow server: new versions, the gate refusing a worse model, and the
predictor's registry lookup."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow import MlflowClient

from workloads.serving.predictor import ModelSource
from workloads.testing.model_servers import RunningServer, mlflow_server
from workloads.training.config import REGISTERED_MODEL_NAME, TrainingConfig
from workloads.training.data import load_training_data
from workloads.training.model import load_bundle
from workloads.training.pipeline import train_and_register
from workloads.training.registry import CHAMPION_ALIAS


@pytest.fixture(scope="module")
def mlflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with mlflow_server(tmp_path_factory.mktemp("mlflow")) as server:
        yield server


def _versions(tracking_uri: str) -> list[str]:
    client = MlflowClient(tracking_uri=tracking_uri)
    return sorted(v.version for v in client.search_model_versions(f"name = '{REGISTERED_MODEL_NAME}'"))


def test_register_refuse_worse_then_register_new_version(mlflow: RunningServer, tmp_path: Path) -> None:
    good = TrainingConfig(out_dir=tmp_path / "good", n_applicants=600, epochs=4, batch_size=32, tracking_uri=mlflow.url)
    data = load_training_data(good)

    first = train_and_register(good, data)
    assert first.registered is not None and first.registered.version == "1"
    assert _versions(mlflow.url) == ["1"]
    # Decisions at the training default rate: some applicants are flagged, so accuracy and fairness mean something.
    assert first.metrics["decision_threshold"] == round(float(data.train["defaulted"].mean()), 6)
    assert 0 < first.metrics["positive_rate"] < 1
    card = (first.bundle_dir / "model_card.json").read_text()
    assert "dataset_digest" in card and "int8_accuracy_change" in card and "top_features_integrated_gradients" in card

    # Same data, barely trained: scored on the same holdout as the champion, it must be refused.
    worse = TrainingConfig(
        out_dir=tmp_path / "worse", n_applicants=600, epochs=1, batch_size=512, learning_rate=1e-6,
        hidden_sizes=(2,), tracking_uri=mlflow.url,
    )  # fmt: skip
    refused = train_and_register(worse, data)
    assert refused.registered is None and refused.refused
    assert refused.gate.champion_version == "1"
    assert any("auc" in reason for reason in refused.gate.reasons)
    assert _versions(mlflow.url) == ["1"]

    second = train_and_register(TrainingConfig(**{**good.__dict__, "out_dir": tmp_path / "again"}), data)
    assert second.registered is not None and second.registered.version == "2"
    assert _versions(mlflow.url) == ["1", "2"]
    client = MlflowClient(tracking_uri=mlflow.url)
    assert client.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS).version == "2"
    assert client.get_model_version(REGISTERED_MODEL_NAME, "2").tags["gate"] == "passed"

    # What the predictor loads: by version, and `latest` (the champion).
    bundle, version = ModelSource(f"models:/{REGISTERED_MODEL_NAME}/latest", mlflow.url).resolve(tmp_path / "dl")
    assert version == "2"
    model, spec = load_bundle(bundle, "int8")
    assert "int8" in spec["precisions"]
    bundle_v1, version_v1 = ModelSource(f"models:/{REGISTERED_MODEL_NAME}/1", mlflow.url).resolve(tmp_path / "dl1")
    assert version_v1 == "1" and (bundle_v1 / "model.pt").is_file()
