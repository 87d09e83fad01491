"""MLflow model registry: register a bundle as a new version of `credit-risk`, find the champion, download a version.

Uses the MlflowClient API only (no fluent global run state), so the same code runs in a torchrun rank, a test,
an Airflow task or the serving process. The champion is the version carrying the `champion` alias; a version
only gets it by passing the quality gate.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

CHAMPION_ALIAS = "champion"


class RegistryError(RuntimeError):
    """The registry cannot be reached or does not hold what was asked for."""


@dataclass(frozen=True)
class RegisteredVersion:
    name: str
    version: str
    run_id: str
    source: str

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


def _client(tracking_uri: str):  # -> mlflow.MlflowClient (imported lazily: ~2 s)
    if not tracking_uri:
        raise RegistryError("no MLflow tracking URI: pass --tracking-uri or set MLFLOW_TRACKING_URI")
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def champion_version(tracking_uri: str, name: str) -> RegisteredVersion | None:
    """The version serving and the gate compare against: the `champion` alias, else the newest version."""
    from mlflow.exceptions import MlflowException

    client = _client(tracking_uri)
    try:
        found = client.get_model_version_by_alias(name, CHAMPION_ALIAS)
    except MlflowException:
        versions = client.search_model_versions(f"name = '{name}'")
        if not versions:
            return None
        found = max(versions, key=lambda v: int(v.version))
    return RegisteredVersion(name=name, version=str(found.version), run_id=found.run_id, source=found.source)


def get_version(tracking_uri: str, name: str, version: str) -> RegisteredVersion:
    from mlflow.exceptions import MlflowException

    client = _client(tracking_uri)
    try:
        if version in ("latest", CHAMPION_ALIAS):
            found = champion_version(tracking_uri, name)
            if found is None:
                raise RegistryError(f"registered model {name!r} has no versions yet")
            return found
        mv = client.get_model_version(name, version)
    except MlflowException as exc:
        raise RegistryError(f"{name} version {version} not found in {tracking_uri}: {exc.message}") from exc
    return RegisteredVersion(name=name, version=str(mv.version), run_id=mv.run_id, source=mv.source)


def download_version(tracking_uri: str, version: RegisteredVersion, dest: Path | None = None) -> Path:
    """The bundle directory of a registered version, on local disk."""
    from mlflow.artifacts import download_artifacts

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # no tqdm bars in server/demo logs
    dest = dest or Path(tempfile.mkdtemp(prefix=f"{version.name}-v{version.version}-"))
    dest.mkdir(parents=True, exist_ok=True)
    local = download_artifacts(
        run_id=version.run_id, artifact_path="model", dst_path=str(dest), tracking_uri=tracking_uri
    )
    return Path(local)


def register_bundle(
    tracking_uri: str,
    name: str,
    experiment_name: str,
    bundle_dir: Path,
    params: dict[str, object],
    metrics: dict[str, float],
    tags: dict[str, str],
) -> RegisteredVersion:
    """One MLflow run holding the bundle (fp32, int8, model card) as artifacts, then a new registry version
    pointing at it, aliased `champion`."""
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.exceptions import MlflowException

    client = _client(tracking_uri)
    experiment = client.get_experiment_by_name(experiment_name)
    experiment_id = experiment.experiment_id if experiment else client.create_experiment(experiment_name)
    run = client.create_run(experiment_id, tags={"mlflow.runName": f"{name}-training", **tags})
    run_id = run.info.run_id
    try:
        client.log_batch(
            run_id,
            metrics=[Metric(key, float(value), 0, 0) for key, value in metrics.items()],
            params=[Param(key, str(value)[:6000]) for key, value in params.items()],
            tags=[RunTag(key, value) for key, value in tags.items()],
        )
        client.log_artifacts(run_id, str(bundle_dir), artifact_path="model")
        try:
            client.create_registered_model(name, description="Credit-risk default probability (credit_risk_v1)")
        except MlflowException as exc:
            if "already exists" not in str(exc).lower() and "RESOURCE_ALREADY_EXISTS" not in str(exc):
                raise
        mv = client.create_model_version(name, source=f"{run.info.artifact_uri}/model", run_id=run_id, tags=tags)
        client.set_registered_model_alias(name, CHAMPION_ALIAS, mv.version)
        client.set_terminated(run_id, "FINISHED")
    except BaseException:
        client.set_terminated(run_id, "FAILED")
        raise
    log.info("registered %s version %s (run %s)", name, mv.version, run_id)
    return RegisteredVersion(name=name, version=str(mv.version), run_id=run_id, source=mv.source)


def log_refused_run(
    tracking_uri: str, experiment_name: str, params: dict[str, object], metrics: dict[str, float], tags: dict[str, str]
) -> str:
    """A refused candidate is still recorded as a run (tagged gate=refused), never as a registry version."""
    from mlflow.entities import Metric, Param, RunTag

    client = _client(tracking_uri)
    experiment = client.get_experiment_by_name(experiment_name)
    experiment_id = experiment.experiment_id if experiment else client.create_experiment(experiment_name)
    run = client.create_run(experiment_id, tags={"mlflow.runName": "refused-candidate", **tags})
    client.log_batch(
        run.info.run_id,
        metrics=[Metric(key, float(value), 0, 0) for key, value in metrics.items()],
        params=[Param(key, str(value)[:6000]) for key, value in params.items()],
        tags=[RunTag(key, value) for key, value in tags.items()],
    )
    client.set_terminated(run.info.run_id, "FINISHED")
    return run.info.run_id
