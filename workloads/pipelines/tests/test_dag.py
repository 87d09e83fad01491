"""The DAG loads in Airflow's own venv (Airflow parses it, not us) and has the lifecycle's task graph."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workloads.pipelines.steps import STEP_ORDER, STEPS, PipelineSettings, StepFailedError, run_step

ROOT = Path(__file__).resolve().parents[3]
AIRFLOW_PYTHON = ROOT / ".venv-airflow" / "bin" / "python"
DAGS = ROOT / "workloads" / "pipelines" / "dags"

LOAD_DAGS = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag

bag = DagBag(dag_folder=sys.argv[1])
dag = bag.dags.get("credit_risk_lifecycle")
out = {"import_errors": {k: str(v) for k, v in bag.import_errors.items()}, "dag_ids": sorted(bag.dag_ids)}
if dag is not None:
    out["tasks"] = {
        t.task_id: {
            "upstream": sorted(t.upstream_task_ids),
            "downstream": sorted(t.downstream_task_ids),
            "operator": type(t).__name__,
            "python": getattr(t, "python", None),
            "image": getattr(t, "image", None),
            "cmds": getattr(t, "cmds", None),
            "arguments": getattr(t, "arguments", None),
            "run_as_user": getattr(getattr(t, "security_context", None), "run_as_user", None),
        }
        for t in dag.tasks
    }
    out["params"] = sorted(dag.params.keys())
    out["schedule"] = type(dag.timetable).__name__
try:
    import torch  # noqa: F401
    out["airflow_venv_has_torch"] = True
except ImportError:
    out["airflow_venv_has_torch"] = False
print(json.dumps(out))
"""


def _load(tmp_path: Path, dag_folder: Path, extra_env: dict[str, str] | None = None) -> dict:
    if not AIRFLOW_PYTHON.exists():
        pytest.fail(f"{AIRFLOW_PYTHON} missing: run 'make setup' (creates .venv-airflow from requirements/airflow.txt)")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PYTHON"))},
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
        "WORKLOADS_PYTHON": sys.executable,
        **(extra_env or {}),
    }
    result = subprocess.run(
        [str(AIRFLOW_PYTHON), "-c", LOAD_DAGS, str(dag_folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_airflow_loads_the_dag_with_the_lifecycle_graph(tmp_path: Path) -> None:
    loaded = _load(tmp_path, DAGS)
    assert loaded["import_errors"] == {}
    assert loaded["dag_ids"] == ["credit_risk_lifecycle"]
    # Airflow's venv cannot import the workloads stack: the DAG file really loads without it.
    assert loaded["airflow_venv_has_torch"] is False
    tasks = loaded["tasks"]
    assert set(tasks) == set(STEP_ORDER)
    for before, after in zip(STEP_ORDER, STEP_ORDER[1:], strict=False):
        assert tasks[before]["downstream"] == [after]
        assert tasks[after]["upstream"] == [before]
    assert tasks["ingest"]["upstream"] == [] and tasks["promote"]["downstream"] == []
    assert {t["operator"] for t in tasks.values()} == {"ExternalPythonOperator"}
    assert {t["python"] for t in tasks.values()} == {sys.executable}
    assert {"work_dir", "tracking_uri", "seed", "n_applicants", "epochs"} <= set(loaded["params"])
    assert loaded["schedule"] == "NullTimetable"  # runs only when triggered (drift monitor, by hand)


def test_in_the_cluster_each_step_is_a_pod_of_the_training_image(tmp_path: Path) -> None:
    image = "111122223333.dkr.ecr.me-central-1.amazonaws.com/uae-ml-prod/training@sha256:" + "ab" * 32
    loaded = _load(tmp_path, DAGS, {"LIFECYCLE_TASK_IMAGE": image})
    assert loaded["import_errors"] == {}
    tasks = loaded["tasks"]
    assert {t["operator"] for t in tasks.values()} == {"KubernetesPodOperator"}
    for step, task in tasks.items():
        assert task["image"] == image
        assert task["cmds"] == ["python", "-m", "workloads.pipelines"]
        assert task["arguments"][0] == step and "--set" in task["arguments"]
        assert task["run_as_user"] == 10001
    for before, after in zip(STEP_ORDER, STEP_ORDER[1:], strict=False):
        assert tasks[before]["downstream"] == [after]


def test_a_broken_dag_file_is_reported_by_airflow(tmp_path: Path) -> None:
    # The loader above is live: a DAG file with a cycle is an import error, not a silent pass.
    broken = tmp_path / "dags"
    broken.mkdir()
    text = (DAGS / "credit_risk_lifecycle.py").read_text()
    text = text.replace("    chain(\n", "    ops = chain(\n", 1) + (
        "\ndag.get_task('promote') >> dag.get_task('ingest')\n"
    )
    (broken / "credit_risk_lifecycle.py").write_text(text)
    loaded = _load(tmp_path, broken)
    assert loaded["import_errors"], loaded
    assert "cycle" in " ".join(loaded["import_errors"].values()).lower()


def test_the_local_run_has_a_function_for_every_step_in_dag_order() -> None:
    assert tuple(STEPS) == STEP_ORDER


def test_steps_refuse_to_run_out_of_order_or_with_unknown_settings(tmp_path: Path) -> None:
    with pytest.raises(StepFailedError, match="has not run"):
        run_step("train", {"work_dir": str(tmp_path)})
    with pytest.raises(StepFailedError, match="unknown pipeline settings"):
        run_step("ingest", {"work_dir": str(tmp_path), "epoch": "3"})
    with pytest.raises(StepFailedError, match="unknown step"):
        run_step("deploy", {})
    assert PipelineSettings.from_mapping({"seed": "11", "work_dir": "x"}).seed == 11
