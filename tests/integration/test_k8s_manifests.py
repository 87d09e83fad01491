"""Every Kubernetes object in the synthesized stacks is a valid manifest.

Built-in kinds are rendered the way the gate renders them for Checkov and validated in-process with
kubernetes-validate's strict schemas for the cluster's Kubernetes version (unknown fields fail).
InferenceServices are validated against the kserve SDK's models by tests/integration/kserve_model_check.py,
run with the workloads interpreter (.venv-workloads), where kserve is installed.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import kubernetes_validate.utils
import pytest

from platformctl.gate.input.k8s_manifests import render_all
from platformctl.gate.input.preview import normalize

from .test_synth import STACKS, preview

REPO = Path(__file__).resolve().parents[2]
# kubernetes-validate re-reads its (large) definitions file for every object; reading each schema
# file once keeps validating a few hundred objects in-process to about a second.
kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(kubernetes_validate.utils.schema_contents)
# API groups of the custom resources the platform declares; any other kind must have a built-in schema.
CRD_GROUPS = {
    "serving.kserve.io",
    "karpenter.sh",
    "karpenter.k8s.aws",
    "trainer.kubeflow.org",
    "monitoring.coreos.com",
}
INFERENCE_SERVICE = ("serving.kserve.io/v1beta1", "InferenceService")


def manifests(stack: str) -> list[dict[str, Any]]:
    rendered = [m.manifest for m in render_all(normalize(preview(stack)))]
    for manifest in rendered:
        # Secret payloads are masked in a preview ("[secret]"); their shape is all there is to check.
        if manifest["kind"] == "Secret":
            for key in ("data", "stringData"):
                if manifest.get(key) == "[secret]":
                    manifest[key] = {"masked": "value"}
    return rendered


def kubernetes_version(stack: str) -> str:
    return json.loads(preview(stack)["config"]["uae-ml-platform:cluster"])["kubernetesVersion"]


def validate_builtin(manifest: dict[str, Any], version: str) -> str | None:
    """None when valid; the validation error otherwise. Raises SchemaNotFoundError for custom kinds."""
    try:
        kubernetes_validate.validate(manifest, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return f"{manifest['kind']}/{manifest['metadata'].get('name')}: {exc.message} at {list(exc.path)}"
    return None


@pytest.mark.parametrize("stack", STACKS)
def test_every_builtin_object_passes_strict_schema_validation(stack: str) -> None:
    version = kubernetes_version(stack)
    validated, errors, custom = 0, [], set()
    for manifest in manifests(stack):
        try:
            error = validate_builtin(manifest, version)
        except kubernetes_validate.SchemaNotFoundError:
            custom.add(manifest["apiVersion"].split("/")[0])
            continue
        validated += 1
        if error:
            errors.append(error)
    assert errors == []
    assert validated >= 100
    assert custom == CRD_GROUPS  # a typo in a built-in apiVersion would land here, not pass silently


def test_strict_validation_rejects_unknown_fields_and_wrong_types() -> None:
    policy = next(m for m in manifests("prod") if m["kind"] == "NetworkPolicy")
    version = kubernetes_version("prod")
    assert validate_builtin(policy, version) is None
    typo = copy.deepcopy(policy)
    typo["spec"]["policyType"] = typo["spec"].pop("policyTypes")
    assert "policyType" in (validate_builtin(typo, version) or "")
    wrong = copy.deepcopy(policy)
    wrong["spec"]["podSelector"] = "all"
    assert validate_builtin(wrong, version)


def workloads_python() -> Path:
    configured = os.environ.get("WORKLOADS_PYTHON")
    path = Path(configured) if configured else REPO / ".venv-workloads" / "bin" / "python"
    assert path.exists(), f"{path} is missing: run `make setup` (it builds .venv-workloads with kserve)"
    return path


def kserve_problems(isvcs: list[dict[str, Any]]) -> list[str]:
    proc = subprocess.run(
        [str(workloads_python()), str(REPO / "tests" / "integration" / "kserve_model_check.py")],
        input=json.dumps(isvcs),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_inference_services_validate_against_the_kserve_sdk_models() -> None:
    isvcs = [m for stack in STACKS for m in manifests(stack) if (m["apiVersion"], m["kind"]) == INFERENCE_SERVICE]
    assert len(isvcs) == len(STACKS)
    broken = copy.deepcopy(isvcs[-1])
    broken["metadata"]["name"] = "broken"
    broken["spec"]["predictor"]["minReplica"] = 2  # typo of minReplicas
    broken["spec"]["predictor"]["containers"][0]["ports"] = [{"containerPort": "http"}]
    problems = kserve_problems([*isvcs, broken])
    assert [p for p in problems if not p.startswith("InferenceService/broken")] == []
    assert any("minReplica: not a field" in p for p in problems)
    assert any("containerPort: expected int" in p for p in problems)
