"""Retraining when drift crosses the thresholds.

Two ways to start it, one interface:
- `LocalRetraining` calls the training pipeline in-process (`workloads.training.pipeline.train_and_register`,
  the same function the CLI, `make serve` and the Airflow DAG call); used by the local run and the tests.
- `AirflowDagRun` asks the Airflow REST API of the cluster to run the `credit_risk_lifecycle` DAG, so the
  retraining happens in the training image with the cluster's resources, not inside the monitor.
A cooldown (a small state file) keeps a drift that persists across checks from starting a run per check.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from workloads.monitoring.drift import DriftReport

log = logging.getLogger(__name__)


class RetrainingError(RuntimeError):
    """The retraining could not be started or did not register a version; the message says why."""


@dataclass(frozen=True)
class RetrainingOutcome:
    started: bool
    detail: str
    registered_version: str | None = None


class RetrainingTrigger(Protocol):
    def __call__(self, report: DriftReport) -> RetrainingOutcome: ...


@dataclass(frozen=True)
class LocalRetraining:
    """Train and register in this process against `tracking_uri` (an MLflow server)."""

    tracking_uri: str
    out_dir: Path = Path("out/monitoring/retraining")
    training_overrides: dict[str, object] = field(default_factory=dict)

    def __call__(self, report: DriftReport) -> RetrainingOutcome:
        # Imported here: the monitor image runs without torch when it triggers Airflow instead.
        from workloads.training.config import TrainingConfig
        from workloads.training.pipeline import train_and_register

        config = TrainingConfig(
            out_dir=self.out_dir,
            tracking_uri=self.tracking_uri,
            resume=False,
            **self.training_overrides,  # type: ignore[arg-type]
        )
        result = train_and_register(config)
        if result.registered is None:
            reasons = "; ".join(result.gate.reasons) if result.gate else "no tracking URI"
            raise RetrainingError(f"retraining ran but registered no version: {reasons}")
        return RetrainingOutcome(
            started=True,
            detail=f"registered {result.registered.uri} (drifted: {', '.join(report.drifted_features) or 'prediction'})",
            registered_version=str(result.registered.version),
        )


@dataclass(frozen=True)
class AirflowDagRun:
    """POST /api/v2/dags/{dag_id}/dagRuns on the Airflow API server (Airflow 3 REST API)."""

    base_url: str
    dag_id: str = "credit_risk_lifecycle"
    token: str = ""
    timeout_s: float = 10.0

    def __call__(self, report: DriftReport) -> RetrainingOutcome:
        body = json.dumps(
            {
                "logical_date": None,
                "conf": {"reason": "drift", "drifted_features": report.drifted_features},
                "note": "triggered by the drift monitor",
            }
        ).encode()
        request = urllib.request.Request(
            f"{self.base_url.rstrip('/')}/api/v2/dags/{self.dag_id}/dagRuns",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {self.token}"} if self.token else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310 (configured URL)
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise RetrainingError(f"Airflow refused the DAG run ({exc.code}): {exc.read()[:300]!r}") from exc
        except (urllib.error.URLError, TimeoutError) as exc:
            raise RetrainingError(f"Airflow API at {self.base_url} unreachable: {exc}") from exc
        return RetrainingOutcome(started=True, detail=f"DAG run {answer.get('dag_run_id', '?')} of {self.dag_id}")


@dataclass(frozen=True)
class Cooldown:
    """At most one retraining per `seconds`, remembered in `state_file` across monitor runs."""

    state_file: Path
    seconds: float = 6 * 3600

    def ready(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        try:
            last = json.loads(self.state_file.read_text())["last_triggered"]
        except (OSError, ValueError, KeyError, TypeError):
            return True
        return now - float(last) >= self.seconds

    def mark(self, now: float | None = None) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(json.dumps({"last_triggered": time.time() if now is None else now}))

    def disabled(self) -> Cooldown:
        return replace(self, seconds=0)
