"""Kubernetes building blocks shared by the platform-service components.

Pod-level defaults live here once, so every Deployment, InferenceService and training job runs
under the Pod Security Standard `restricted` profile the namespaces enforce, and a component
cannot forget one field of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
# A high, fixed UID/GID: never root, and distinct from any UID a node process runs as.
RUNTIME_UID = 10001
INFERENCE_POOL = {"platform.uae/pool": "cpuInference"}
GPU_POOL = {"platform.uae/pool": "gpuTraining"}
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}


def pod_security_context() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": RUNTIME_UID,
        "runAsGroup": RUNTIME_UID,
        "fsGroup": RUNTIME_UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context() -> dict[str, Any]:
    """PSS `restricted` plus a read-only root filesystem (writable paths are emptyDir mounts)."""
    return {
        "runAsNonRoot": True,
        "runAsUser": RUNTIME_UID,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def resources(cpu: str, memory: str, cpu_limit: str | None = None, extra: Mapping[str, str] | None = None) -> dict:
    """Requests and limits; memory limit equals the request (no overcommit of the OOM-relevant one)."""
    limits = {"cpu": cpu_limit or cpu, "memory": memory, **(extra or {})}
    return {"requests": {"cpu": cpu, "memory": memory, **(extra or {})}, "limits": limits}


def http_probe(path: str, port: int | str, period: int = 10, initial_delay: int = 5) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": port},
        "periodSeconds": period,
        "initialDelaySeconds": initial_delay,
        "timeoutSeconds": 2,
        "failureThreshold": 3,
    }


def labels(app: str, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": "uae-ml-platform",
        "app.kubernetes.io/managed-by": "pulumi",
    }
