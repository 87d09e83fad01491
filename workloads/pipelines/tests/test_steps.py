"""The lifecycle steps end to end, as the DAG runs them one process each: real Redis, real MLflow server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workloads.pipelines.steps import PRODUCTION_ALIAS, STEP_ORDER, StepFailedError, run_step
from workloads.testing.model_servers import mlflow_server


def test_every_step_runs_in_order_and_promotes_a_registered_version(
    tmp_path: Path, redis_server, pseudonym_key_file
) -> None:
    with mlflow_server(tmp_path / "mlflow") as mlflow:
        settings = {
            "work_dir": str(tmp_path / "run"),
            "tracking_uri": mlflow.url,
            "redis_address": redis_server.address,
            "n_applicants": "600",
            "epochs": "2",
        }
        results = {step: run_step(step, settings) for step in STEP_ORDER}
        assert results["validate"]["profile_rows"] == 600
        assert sum(results["materialize"]["rows"].values()) > 0
        assert results["evaluate"]["gate"]["passed"] is True
        assert results["register"]["version"] == "1"
        assert results["canary"]["version"] == "1" and results["canary"]["rows_scored"] > 0
        assert results["promote"] == {"name": "credit-risk", "version": "1", "alias": PRODUCTION_ALIAS}

        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=mlflow.url, registry_uri=mlflow.url)
        assert client.get_model_version_by_alias("credit-risk", PRODUCTION_ALIAS).version == "1"
        state = json.loads((tmp_path / "run" / "pipeline-state.json").read_text())
        assert list(state) == list(STEP_ORDER)


def test_register_refuses_without_a_registry(tmp_path: Path) -> None:
    (tmp_path / "pipeline-state.json").write_text(
        json.dumps({"ingest": {"labels": "x"}, "train": {"bundle": "b"}, "evaluate": {"metrics": {}}})
    )
    with pytest.raises(StepFailedError, match="tracking URI"):
        run_step("register", {"work_dir": str(tmp_path), "tracking_uri": ""})
