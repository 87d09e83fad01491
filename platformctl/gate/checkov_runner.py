"""Checkov half of the policy gate: translate, scan in the checkov venv, apply the curated policy.

Checkov cannot be imported here (its `packaging<24` pin conflicts with pulumi's, ADR 0003), so this
module starts policies/checkov/worker.py with the checkov venv's interpreter and exchanges JSON.
Every way that exchange can go wrong raises CheckovError: a failed scan must never read as a pass.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from platformctl.errors import PolicyEngineError
from platformctl.gate import k8s_manifests, tfplan

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER = REPO_ROOT / "policies" / "checkov" / "worker.py"
CUSTOM_CHECKS_DIR = REPO_ROOT / "policies" / "checkov" / "checks"
CURATED_FILE = REPO_ROOT / "policies" / "checkov" / "curated.yaml"
DEFAULT_PYTHON = REPO_ROOT / ".venv-checkov" / "bin" / "python"
PYTHON_ENV_VAR = "PLATFORM_CHECKOV_PYTHON"
WORKER_SCHEMA = "uae-ml-platform/checkov-worker/v1"
CURATED_SCHEMA = "uae-ml-platform/checkov-curated/v1"
ENVIRONMENTS = ("dev", "staging", "prod")
ENFORCEMENTS = ("deny", "advise")
SEVERITIES = ("critical", "high", "medium", "low", "info")
DEFAULT_TIMEOUT_S = 300.0
TF_FRAMEWORK = "terraform_plan"
K8S_FRAMEWORK = "kubernetes"


class CheckovError(PolicyEngineError):
    """Checkov could not give a trustworthy answer; the gate must fail, not allow."""


@dataclass(frozen=True)
class CuratedCheck:
    title: str
    severity: str
    controls: tuple[str, ...]
    enforcement: Mapping[str, str]
    remediation: str


@dataclass(frozen=True)
class Finding:
    rule_id: str
    urn: str
    resource_type: str
    severity: str
    enforced: bool
    message: str
    controls: tuple[str, ...]
    remediation: str
    title: str
    engine: str = "checkov"


@dataclass(frozen=True)
class CheckovResult:
    findings: tuple[Finding, ...]
    scanned_count: int
    expected_count: int
    unmapped: tuple[tfplan.Unmapped, ...]
    unchecked: tuple[str, ...] = ()  # URNs of translated resources Checkov has no check for


def load_curated(path: Path = CURATED_FILE) -> dict[str, CuratedCheck]:
    """Read and validate the curated list (a malformed list is a CheckovError, not an empty one)."""
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise CheckovError(f"cannot read curated Checkov list {path}: {exc}") from exc
    if not isinstance(document, dict) or document.get("schema") != CURATED_SCHEMA:
        raise CheckovError(f"{path}: expected schema {CURATED_SCHEMA}")
    curated: dict[str, CuratedCheck] = {}
    for check_id, entry in (document.get("checks") or {}).items():
        enforcement = entry.get("enforcement") or {}
        if set(enforcement) != set(ENVIRONMENTS) or not set(enforcement.values()) <= set(ENFORCEMENTS):
            raise CheckovError(f"{path}: {check_id} enforcement must map {ENVIRONMENTS} to one of {ENFORCEMENTS}")
        if entry.get("severity") not in SEVERITIES or not entry.get("title") or not entry.get("controls"):
            raise CheckovError(f"{path}: {check_id} needs title, controls and a severity in {SEVERITIES}")
        curated[check_id] = CuratedCheck(
            title=str(entry["title"]),
            severity=str(entry["severity"]),
            controls=tuple(str(c) for c in entry["controls"]),
            enforcement=dict(enforcement),
            remediation=str(entry.get("remediation") or ""),
        )
    return curated


def checkov_python() -> Path:
    return Path(os.environ.get(PYTHON_ENV_VAR) or DEFAULT_PYTHON)


def call_worker(
    request: Mapping[str, Any],
    *,
    mode: str = "fast",
    python: Path | None = None,
    worker: Path = WORKER,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> dict[str, Any]:
    """Run the worker once; return its parsed answer or raise CheckovError."""
    interpreter = python or checkov_python()
    if not interpreter.exists():
        raise CheckovError(f"checkov interpreter {interpreter} not found: create .venv-checkov or set {PYTHON_ENV_VAR}")
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        completed = subprocess.run(
            [str(interpreter), str(worker), "--mode", mode],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CheckovError(f"checkov worker timed out after {timeout_s:.0f}s") from exc
    except OSError as exc:
        raise CheckovError(f"cannot start checkov worker with {interpreter}: {exc}") from exc
    if completed.returncode != 0:
        raise CheckovError(f"checkov worker exited {completed.returncode}: {completed.stderr.strip()[-2000:]}")
    try:
        answer = json.loads(completed.stdout)
    except json.JSONDecodeError as exc:
        raise CheckovError(f"checkov worker answered something that is not JSON: {completed.stdout[:200]!r}") from exc
    if not isinstance(answer, dict) or answer.get("worker") != WORKER_SCHEMA:
        raise CheckovError(f"checkov worker answer is not a {WORKER_SCHEMA} document")
    if not isinstance(answer.get("entities"), list) or not isinstance(answer.get("checks"), dict):
        raise CheckovError("checkov worker answer lacks entities/checks")
    return answer


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
) -> Finding:
    name = str((checks.get(check_id) or {}).get("name") or check_id)
    guideline = (checks.get(check_id) or {}).get("guideline")
    entry = curated.get(check_id)
    if entry is None:
        return Finding(
            rule_id=check_id,
            urn=urn,
            resource_type=resource_type,
            severity="low",
            enforced=False,
            message=name,
            controls=(),
            remediation=guideline or f"See the Checkov policy reference for {check_id}.",
            title=name,
        )
    return Finding(
        rule_id=check_id,
        urn=urn,
        resource_type=resource_type,
        severity=entry.severity,
        enforced=entry.enforcement[_environment(environment)] == "deny",
        message=name,
        controls=entry.controls,
        remediation=entry.remediation or guideline or f"See the Checkov policy reference for {check_id}.",
        title=entry.title,
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
    environment = environment or str(normalized_input.get("environment") or "prod")
    curated = load_curated() if curated is None else curated
    request, plan, manifests = build_request(normalized_input)
    answer = call_worker(request, mode=mode, python=python, timeout_s=timeout_s)

    urn_type: dict[tuple[str, str], tuple[str, str]] = {
        (TF_FRAMEWORK, address): (urn, plan.address_to_type[address]) for address, urn in plan.address_to_urn.items()
    }
    resource_types = {r.get("urn"): str(r.get("type")) for r in normalized_input.get("resources") or []}
    urn_type.update({(K8S_FRAMEWORK, m.urn): (m.urn, resource_types.get(m.urn, "")) for m in manifests})

    findings: list[Finding] = []
    scanned: set[tuple[str, str]] = set()
    for entity in answer["entities"]:
        key = (str(entity.get("framework")), str(entity.get("id")))
        if key not in urn_type:
            raise CheckovError(f"checkov worker reported an entity the gate did not send: {key}")
        scanned.add(key)
        urn, resource_type = urn_type[key]
        for check_id in entity.get("FAILED") or []:
            findings.append(_finding(check_id, urn, resource_type, answer["checks"], curated, environment))

    registered = answer.get("registered") or {}
    if mode == "fast" and len((registered.get(TF_FRAMEWORK) or {}).get("types", [])) < 100:
        raise CheckovError("checkov worker loaded no AWS checks (or almost none); refusing to report a pass")
    tf_registered = registered.get(TF_FRAMEWORK) or {}
    expected_tf = {a for a, t in plan.address_to_type.items() if not tf_registered or _has_checks(t, tf_registered)}
    expected = {(TF_FRAMEWORK, a) for a in expected_tf} | {(K8S_FRAMEWORK, m.urn) for m in manifests}
    missing = expected - scanned
    if missing:
        sample = ", ".join(sorted(i for _, i in missing)[:5])
        raise CheckovError(
            f"checkov scanned {len(scanned & expected)} of {len(expected)} expected resources; missing: {sample}"
        )

    rendered = {m.urn for m in manifests}
    unmapped = tuple(u for u in plan.unmapped if u.urn not in rendered)
    unchecked = tuple(sorted(plan.address_to_urn[a] for a in set(plan.address_to_type) - expected_tf))
    findings.sort(key=lambda f: (not f.enforced, f.rule_id, f.urn))
    return CheckovResult(tuple(findings), len(scanned), len(expected), unmapped, unchecked)
