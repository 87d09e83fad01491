"""Airflow DAG `credit_risk_lifecycle`: ingest -> validate -> materialize -> train -> evaluate -> register ->
canary -> promote.

This file imports only Airflow and the standard library: Airflow's pins conflict with the workloads venv
(docs/adr/0015-lifecycle-dag-and-drift-monitor.md). Each task runs `workloads.pipelines.steps.run_step(<step>)` in the
workloads interpreter (ExternalPythonOperator), the same function `python -m workloads.pipelines` runs locally.
Settings come from the DAG params, overridable per run (dag_run.conf), e.g. by the drift monitor's trigger.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

try:  # Airflow 3 (local venv)
    from airflow.providers.standard.operators.python import ExternalPythonOperator
    from airflow.sdk import DAG, Param, chain
except ImportError:  # Airflow 2.9/2.10 (the MWAA versions the stacks allow)
    from airflow import DAG
    from airflow.models.baseoperator import chain
    from airflow.models.param import Param
    from airflow.operators.python import ExternalPythonOperator

DAG_ID = "credit_risk_lifecycle"
STEP_ORDER = ("ingest", "validate", "materialize", "train", "evaluate", "register", "canary", "promote")
# The repository (or the image's /app) that holds the `workloads` package, and its interpreter.
WORKLOADS_ROOT = os.environ.get("WORKLOADS_ROOT", str(Path(__file__).resolve().parents[3]))
WORKLOADS_PYTHON = os.environ.get("WORKLOADS_PYTHON", str(Path(WORKLOADS_ROOT) / ".venv-workloads" / "bin" / "python"))
# In the cluster: each step is a pod of this image (the training image, by digest), sharing a work volume.
TASK_IMAGE = os.environ.get("LIFECYCLE_TASK_IMAGE", "")
TASK_NAMESPACE = os.environ.get("LIFECYCLE_NAMESPACE", "ml-pipelines")
TASK_SERVICE_ACCOUNT = os.environ.get("LIFECYCLE_SERVICE_ACCOUNT", "ml-pipelines")
WORK_CLAIM = os.environ.get("LIFECYCLE_WORK_CLAIM", "ml-pipelines-work")
SETTINGS = ("work_dir", "tracking_uri", "redis_address", "seed", "n_applicants", "epochs")


def run_lifecycle_step(step: str, workloads_root: str, settings: dict) -> dict:
    """Runs inside the workloads interpreter; Airflow ships this function's source there, so it imports there."""
    import sys

    sys.path.insert(0, workloads_root)
    from workloads.pipelines.steps import run_step

    return run_step(step, settings)


def local_task(step: str, settings: dict):
    return ExternalPythonOperator(
        task_id=step,
        python=WORKLOADS_PYTHON,
        python_callable=run_lifecycle_step,
        op_args=[step, WORKLOADS_ROOT, settings],
        expect_airflow=False,
    )


def pod_task(step: str, settings: dict):
    """The step as `python -m workloads.pipelines <step>` in a pod of the training image (IRSA service account)."""
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from kubernetes.client import models as k8s

    arguments = [step]
    for name, value in settings.items():
        arguments += ["--set", f"{name}={value}"]
    return KubernetesPodOperator(
        task_id=step,
        name=f"credit-risk-{step}",
        namespace=TASK_NAMESPACE,
        service_account_name=TASK_SERVICE_ACCOUNT,
        image=TASK_IMAGE,
        cmds=["python", "-m", "workloads.pipelines"],
        arguments=arguments,
        volumes=[
            k8s.V1Volume(name="work", persistent_volume_claim=k8s.V1PersistentVolumeClaimVolumeSource(WORK_CLAIM))
        ],
        volume_mounts=[k8s.V1VolumeMount(name="work", mount_path="/work")],
        security_context=k8s.V1PodSecurityContext(
            run_as_non_root=True,
            run_as_user=10001,
            run_as_group=10001,
            fs_group=10001,
            seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault"),
        ),  # fmt: skip
        container_security_context=k8s.V1SecurityContext(
            allow_privilege_escalation=False, capabilities=k8s.V1Capabilities(drop=["ALL"])
        ),
        get_logs=True,
        on_finish_action="delete_pod",
    )


with DAG(
    dag_id=DAG_ID,
    description="Model lifecycle of credit-risk: features -> training -> registry -> canary -> promotion",
    schedule=None,  # started by the drift monitor or by hand
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": timedelta(minutes=2)},
    params={
        # A pod writes to the shared work volume; the local run to out/.
        "work_dir": Param("/work/credit-risk" if TASK_IMAGE else "out/pipelines", type="string"),
        "tracking_uri": Param("", type="string", description="MLflow; empty: MLFLOW_TRACKING_URI"),
        "redis_address": Param("", type="string", description="online store; empty: the local data plane"),
        "seed": Param(7, type="integer"),
        "n_applicants": Param(2000, type="integer", minimum=100),
        "epochs": Param(8, type="integer", minimum=1),
    },
    tags=["credit-risk", "ml-lifecycle"],
) as dag:
    settings = {name: "{{ params." + name + " }}" for name in SETTINGS}
    chain(*(pod_task(step, settings) if TASK_IMAGE else local_task(step, settings) for step in STEP_ORDER))
