"""Checkov half of the policy gate: translate, scan in the checkov venv, apply the curated policy.

Checkov cannot be imported here (its `packaging<24` pin conflicts with pulumi's, ADR 0003), so this
module starts policies/checkov/worker.py with the checkov venv's interpreter and exchanges JSON.
Every way that exchange can go wrong raises CheckovError: a failed scan must never read as a pass.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformctl.errors import PolicyEngineError
from platformctl.gate.findings import Finding
from platformctl.gate.input import k8s_manifests, tfplan
from platformctl.gate.policy.curated import ENVIRONMENTS, CuratedCheck, load_curated

REPO_ROOT = Path(__file__).resolve().parents[3]
WORKER = REPO_ROOT / "policies" / "checkov" / "worker.py"
CUSTOM_CHECKS_DIR = REPO_ROOT / "policies" / "checkov" / "checks"
DEFAULT_PYTHON = REPO_ROOT / ".venv-checkov" / "bin" / "python"
PYTHON_ENV_VAR = "PLATFORM_CHECKOV_PYTHON"
WORKER_SCHEMA = "uae-ml-platform/checkov-worker/v1"
DEFAULT_TIMEOUT_S = 300.0
TF_FRAMEWORK = "terraform_plan"
K8S_FRAMEWORK = "kubernetes"
ENGINE = "checkov"


class CheckovError(PolicyEngineError):
    """Checkov could not give a trustworthy answer; the gate must fail, not allow."""


@dataclass(frozen=True)
class CheckovResult:
    findings: tuple[Finding, ...]
    scanned_count: int
    expected_count: int
    unmapped: tuple[tfplan.Unmapped, ...]
    unchecked: tuple[str, ...] = ()  # URNs of plan resources and manifests Checkov has no check for


def checkov_python() -> Path:
    return Path(os.environ.get(PYTHON_ENV_VAR) or DEFAULT_PYTHON)


class WorkerProcess:
    """One started Checkov worker. In fast mode it loads Checkov before it reads its request, so the
    gate starts it first and does its own work (reading previews, Rego) while Checkov imports."""

    def __init__(
        self,
        *,
        mode: str = "fast",
        python: Path | None = None,
        worker: Path = WORKER,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        interpreter = python or checkov_python()
        if not interpreter.exists():
            raise CheckovError(
                f"checkov interpreter {interpreter} not found: create .venv-checkov or set {PYTHON_ENV_VAR}"
            )
        self.timeout_s = timeout_s
        self._started = time.monotonic()
        env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            self._process: subprocess.Popen[str] | None = subprocess.Popen(
                [str(interpreter), str(worker), "--mode", mode],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
        except OSError as exc:
            raise CheckovError(f"cannot start checkov worker with {interpreter}: {exc}") from exc

    def exchange(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Send the request, wait for the answer (the timeout counts from the start) and check it."""
        process = self._process
        if process is None:
            raise CheckovError("checkov worker was already used or closed")
        self._process = None
        remaining = max(1.0, self.timeout_s - (time.monotonic() - self._started))
        try:
            stdout, stderr = process.communicate(json.dumps(request), timeout=remaining)
        except subprocess.TimeoutExpired as exc:
            process.kill()
            process.communicate()
            raise CheckovError(f"checkov worker timed out after {self.timeout_s:.0f}s") from exc
        except BrokenPipeError:
            stdout, stderr = process.communicate()
        if process.returncode != 0:
            raise CheckovError(f"checkov worker exited {process.returncode}: {stderr.strip()[-2000:]}")
        return _parse_answer(stdout, request)

    def close(self) -> None:
        """Stop a worker that was never sent a request (the gate failed before it needed Checkov)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.communicate()

    def __enter__(self) -> WorkerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parse_answer(stdout: str, request: Mapping[str, Any]) -> dict[str, Any]:
    try:
        answer = json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise CheckovError(f"checkov worker answered something that is not JSON: {stdout[:200]!r}") from exc
    if not isinstance(answer, dict) or answer.get("worker") != WORKER_SCHEMA:
        raise CheckovError(f"checkov worker answer is not a {WORKER_SCHEMA} document")
    if not isinstance(answer.get("checks"), dict):
        raise CheckovError("checkov worker answer lacks entities/checks")
    if "batch" in request:
        results = answer.get("results")
        ids = [item["id"] for item in request["batch"]]
        if not isinstance(results, list) or [r.get("id") if isinstance(r, dict) else None for r in results] != ids:
            raise CheckovError("checkov worker answer does not hold one result per preview of the batch")
        if not all(isinstance(r.get("entities"), list) for r in results):
            raise CheckovError("checkov worker answer lacks entities/checks")
    elif not isinstance(answer.get("entities"), list):
        raise CheckovError("checkov worker answer lacks entities/checks")
    return answer


def call_worker(
    request: Mapping[str, Any],
    *,
    mode: str = "fast",
    python: Path | None = None,
    worker: Path = WORKER,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> dict[str, Any]:
    """Run the worker once; return its parsed answer or raise CheckovError."""
    with WorkerProcess(mode=mode, python=python, worker=worker, timeout_s=timeout_s) as process:
        return process.exchange(request)


def build_request(
    normalized: Mapping[str, Any],
) -> tuple[dict[str, Any], tfplan.TerraformPlan, list[k8s_manifests.Manifest]]:
    plan = tfplan.build_plan(normalized)
    manifests = k8s_manifests.render_all(normalized)
    request = {
        "plan": plan.document,
        "manifests": [{"id": m.urn, "manifest": m.manifest} for m in manifests],
        "external_checks_dirs": [str(CUSTOM_CHECKS_DIR)],
    }
    return request, plan, manifests


def _has_checks(tf_type: str, registered: Mapping[str, Any]) -> bool:
    return tf_type in set(registered.get("types", [])) or any(
        fnmatch.fnmatchcase(tf_type, pattern) for pattern in registered.get("patterns", [])
    )


def _environment(environment: str) -> str:
    return environment if environment in ENVIRONMENTS else "prod"


def _finding(
    check_id: str,
    urn: str,
    resource_type: str,
    checks: Mapping[str, Any],
    curated: Mapping[str, CuratedCheck],
    environment: str,
    stack: str,
) -> Finding:
    name = str((checks.get(check_id) or {}).get("name") or check_id)
    guideline = (checks.get(check_id) or {}).get("guideline")
    entry = curated.get(check_id)
    if entry is None:
        return Finding(
            rule_id=check_id,
            engine=ENGINE,
            urn=urn,
            type=resource_type,
            severity="low",
            enforced=False,
            message=name,
            controls=[],
            remediation=guideline or f"See the Checkov policy reference for {check_id}.",
            title=name,
            stack=stack,
        )
    return Finding(
        rule_id=check_id,
        engine=ENGINE,
        urn=urn,
        type=resource_type,
        severity=entry.severity,
        enforced=entry.enforcement[_environment(environment)] == "deny",
        message=name,
        controls=list(entry.controls),
        remediation=entry.remediation or guideline or f"See the Checkov policy reference for {check_id}.",
        title=entry.title,
        stack=stack,
    )


def run_checkov(
    normalized_input: Mapping[str, Any],
    environment: str | None = None,
    *,
    mode: str = "fast",
    python: Path | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    curated: Mapping[str, CuratedCheck] | None = None,
) -> CheckovResult:
    """Scan the normalized gate input with Checkov; see the module docstring for the guarantees."""
    return run_checkov_batch(
        [normalized_input], [environment], mode=mode, python=python, timeout_s=timeout_s, curated=curated
    )[0]


def run_checkov_batch(
    normalized_inputs: Sequence[Mapping[str, Any]],
    environments: Sequence[str | None] | None = None,
    *,
    worker: WorkerProcess | None = None,
    mode: str = "fast",
    python: Path | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    curated: Mapping[str, CuratedCheck] | None = None,
) -> list[CheckovResult]:
    """Scan several normalized inputs in ONE worker process (Checkov's import is paid once).

    `worker` is a WorkerProcess started earlier (it loads Checkov meanwhile); without one a worker
    is started here.
    """
    if not normalized_inputs:
        return []
    environments = list(environments or [None] * len(normalized_inputs))
    curated = load_curated() if curated is None else curated
    built = [build_request(doc) for doc in normalized_inputs]
    request = {
        "batch": [
            {"id": str(index), "plan": item["plan"], "manifests": item["manifests"]}
            for index, (item, _, _) in enumerate(built)
        ],
        "external_checks_dirs": [str(CUSTOM_CHECKS_DIR)],
    }
    if worker is None:
        answer = call_worker(request, mode=mode, python=python, timeout_s=timeout_s)
    else:
        answer = worker.exchange(request)
    registered = answer.get("registered") or {}
    if mode == "fast" and len((registered.get(TF_FRAMEWORK) or {}).get("types", [])) < 100:
        raise CheckovError("checkov worker loaded no AWS checks (or almost none); refusing to report a pass")
    results = []
    for doc, env, (_, plan, manifests), item in zip(
        normalized_inputs, environments, built, answer["results"], strict=True
    ):
        environment = env or str(doc.get("environment") or "prod")
        results.append(
            _interpret(doc, environment, plan, manifests, item["entities"], answer["checks"], registered, curated)
        )
    return results


def _error_finding(check_id: str, error: str, base: Finding) -> Finding:
    """A check that raised on this resource: as blocking as its failure would have been."""
    return dataclasses.replace(
        base,
        message=f"Checkov could not evaluate {check_id} on this resource ({error}); "
        "a value has a shape Kubernetes/Terraform would not accept",
    )


def _interpret(
    normalized_input: Mapping[str, Any],
    environment: str,
    plan: tfplan.TerraformPlan,
    manifests: list[k8s_manifests.Manifest],
    entities: list[Any],
    checks: Mapping[str, Any],
    registered: Mapping[str, Any],
    curated: Mapping[str, CuratedCheck],
) -> CheckovResult:
    urn_type: dict[tuple[str, str], tuple[str, str]] = {
        (TF_FRAMEWORK, address): (urn, plan.address_to_type[address]) for address, urn in plan.address_to_urn.items()
    }
    resource_types = {r.get("urn"): str(r.get("type")) for r in normalized_input.get("resources") or []}
    urn_type.update({(K8S_FRAMEWORK, m.urn): (m.urn, resource_types.get(m.urn, "")) for m in manifests})

    stack = str(normalized_input.get("stack") or "")
    findings: list[Finding] = []
    scanned: set[tuple[str, str]] = set()
    for entity in entities:
        if not isinstance(entity, dict):
            raise CheckovError(f"checkov worker reported a malformed entity: {str(entity)[:200]}")
        key = (str(entity.get("framework")), str(entity.get("id")))
        if key not in urn_type:
            raise CheckovError(f"checkov worker reported an entity the gate did not send: {key}")
        scanned.add(key)
        urn, resource_type = urn_type[key]
        for check_id in entity.get("FAILED") or []:
            findings.append(_finding(check_id, urn, resource_type, checks, curated, environment, stack))
        errors = entity.get("errors") or {}
        for check_id in entity.get("ERROR") or []:
            base = _finding(check_id, urn, resource_type, checks, curated, environment, stack)
            findings.append(_error_finding(check_id, str(errors.get(check_id, "error")), base))

    # Expected = what Checkov can scan: a Terraform type or a Kubernetes kind with at least one
    # registered check (asked of Checkov's own registries by the worker, never a list kept here).
    tf_registered = registered.get(TF_FRAMEWORK) or {}
    k8s_registered = registered.get(K8S_FRAMEWORK) or {}
    expected_tf = {a for a, t in plan.address_to_type.items() if not tf_registered or _has_checks(t, tf_registered)}
    expected_k8s = {
        m.urn for m in manifests if not k8s_registered or _has_checks(str(m.manifest.get("kind", "")), k8s_registered)
    }
    expected = {(TF_FRAMEWORK, a) for a in expected_tf} | {(K8S_FRAMEWORK, u) for u in expected_k8s}
    missing = expected - scanned
    if missing:
        sample = ", ".join(sorted(i for _, i in missing)[:5])
        raise CheckovError(
            f"checkov scanned {len(scanned & expected)} of {len(expected)} expected resources; missing: {sample}"
        )

    rendered = {m.urn for m in manifests}
    unmapped = tuple(u for u in plan.unmapped if u.urn not in rendered)
    unchecked = tuple(
        sorted(
            {plan.address_to_urn[a] for a in set(plan.address_to_type) - expected_tf}
            | {m.urn for m in manifests if m.urn not in expected_k8s}
        )
    )
    findings.sort(key=lambda f: (not f.enforced, f.rule_id, f.urn))
    return CheckovResult(tuple(findings), len(scanned), len(expected), unmapped, unchecked)
