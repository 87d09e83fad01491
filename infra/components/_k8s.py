"""Kubernetes building blocks shared by the platform-service components.

Pod-level defaults live here once, so every Deployment, InferenceService and training job runs
under the Pod Security Standard `restricted` profile the namespaces enforce, and a component
cannot forget one field of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

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


def regional_aws_env(*, default_region: bool = False) -> list[dict[str, Any]]:
    """Environment that keeps the AWS SDK in the home region (regional STS, never the global endpoint)."""
    return [
        {"name": "AWS_REGION", "value": HOME_REGION},
        *([{"name": "AWS_DEFAULT_REGION", "value": HOME_REGION}] if default_region else []),
        {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
    ]


@dataclass(frozen=True)
class SecretReadingServerSpec:
    """A restricted Deployment + ClusterIP Service whose pod reads one Secrets Manager secret through IRSA.

    The init container (fetch_secret_init_container) writes the secret to a tmpfs that the server
    container mounts read-only; the pod runs on the system pool under PSS `restricted`, with a
    writable /tmp and no Kubernetes API token.
    """

    app: str  # app.kubernetes.io/name, and the name of the Deployment and the Service
    component: str  # app.kubernetes.io/component
    container_name: str
    namespace: str
    service_account: str
    replicas: int
    image: Any  # pulumi.Input[str]
    command: list[str]
    env: list[dict[str, Any]]
    port: int
    resources: dict[str, Any]
    fetch_secret: dict[str, Any]  # the init container
    liveness_initial_delay: int
    tmp_size: str
    extra_mounts: tuple[dict[str, Any], ...] = ()  # listed before the secret and /tmp mounts
    extra_volumes: tuple[dict[str, Any], ...] = ()  # listed before the secret and /tmp volumes


def secret_reading_server(
    name: str,
    spec: SecretReadingServerSpec,
    *,
    parent: pulumi.Resource,
    after: Sequence[pulumi.Resource] = (),
    deployment_after: Sequence[pulumi.Resource] = (),
) -> tuple[k8s.apps.v1.Deployment, k8s.core.v1.Service]:
    """`<name>-deployment` and `<name>-service` under `parent`; `deployment_after` come before the Deployment only."""
    app = labels(spec.app, spec.component)
    selector = {"app.kubernetes.io/name": spec.app}
    container = {
        "name": spec.container_name,
        "image": spec.image,
        "command": spec.command,
        "env": spec.env,
        "ports": [{"name": "http", "containerPort": spec.port, "protocol": "TCP"}],
        "resources": spec.resources,
        "securityContext": container_security_context(),
        "readinessProbe": http_probe("/health", spec.port),
        "livenessProbe": http_probe("/health", spec.port, period=20, initial_delay=spec.liveness_initial_delay),
        "volumeMounts": [
            *spec.extra_mounts,
            {"name": "platform-secret", "mountPath": SECRET_DIR, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    deployment = k8s.apps.v1.Deployment(
        f"{name}-deployment",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=spec.app, namespace=spec.namespace, labels=app),
        spec={
            "replicas": spec.replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": app},
                "spec": {
                    "serviceAccountName": spec.service_account,
                    "automountServiceAccountToken": False,
                    "securityContext": pod_security_context(),
                    "nodeSelector": {"platform.uae/pool": "system"},
                    "initContainers": [spec.fetch_secret],
                    "containers": [container],
                    "volumes": [
                        *spec.extra_volumes,
                        secret_volume(),
                        {"name": "tmp", "emptyDir": {"sizeLimit": spec.tmp_size}},
                    ],
                },
            },
        },
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[*deployment_after, *after]),
    )
    service = k8s.core.v1.Service(
        f"{name}-service",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=spec.app, namespace=spec.namespace, labels=app),
        spec=k8s.core.v1.ServiceSpecArgs(
            type="ClusterIP",
            selector=selector,
            ports=[k8s.core.v1.ServicePortArgs(name="http", port=spec.port, target_port="http", protocol="TCP")],
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(after)),
    )
    return deployment, service
