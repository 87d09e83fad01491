"""Kubernetes building blocks shared by the platform-service components.

Pod-level defaults live here once, so every Deployment, InferenceService and training job runs
under the Pod Security Standard `restricted` profile the namespaces enforce, and a component
cannot forget one field of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.config import HOME_REGION

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


# Runs as the init container of a pod whose IRSA role may read one Secrets Manager secret: writes
# the value (or, for an RDS-managed secret, a PostgreSQL URI) to a memory-backed volume that only
# this pod mounts. Nothing secret passes through Pulumi state, a Kubernetes Secret or a command line.
FETCH_SECRET_SCRIPT = """\
import json, os, urllib.parse
import boto3

value = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["FETCH_FROM"])["SecretString"]
if os.environ.get("FETCH_AS") == "postgres-uri":
    secret = json.loads(value)
    user, password = (urllib.parse.quote(secret[k], safe="") for k in ("username", "password"))
    value = f"postgresql://{user}:{password}@{os.environ['DB_ENDPOINT']}/{os.environ['DB_NAME']}?sslmode=require"
path = os.environ["FETCH_TO"]
with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o400), "w") as out:
    out.write(value)
"""
SECRET_DIR = "/run/secrets/platform"
SECRET_FILE = f"{SECRET_DIR}/value"


def fetch_secret_init_container(
    image: object, secret_id: object, extra_env: dict[str, object] | None = None
) -> dict[str, object]:
    """An init container that writes one Secrets Manager secret to SECRET_FILE (see FETCH_SECRET_SCRIPT)."""
    env = {
        "FETCH_FROM": secret_id,
        "FETCH_TO": SECRET_FILE,
        "AWS_REGION": HOME_REGION,
        "AWS_STS_REGIONAL_ENDPOINTS": "regional",
        **(extra_env or {}),
    }
    return {
        "name": "fetch-secret",
        "image": image,
        "command": ["python", "-c", FETCH_SECRET_SCRIPT],
        "env": [{"name": k, "value": v} for k, v in env.items()],
        "resources": resources("50m", "128Mi", "200m"),
        "securityContext": container_security_context(),
        "volumeMounts": [{"name": "platform-secret", "mountPath": SECRET_DIR}],
    }


def secret_volume() -> dict[str, object]:
    """tmpfs: the secret never touches the node's disk."""
    return {"name": "platform-secret", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}}
