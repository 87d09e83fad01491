"""MLflow tracking and model registry on the cluster: backend store in RDS PostgreSQL, artifacts in
the in-region S3 bucket (proxied by the server, so clients need no S3 access of their own).

The database password is RDS-managed in Secrets Manager: an init container reads it with the pod's
IRSA role into a memory-backed volume and builds the backend URI there; the server takes it from
its environment (MLFLOW_BACKEND_STORE_URI), never from its command line. Reachable only from the
training, serving and pipelines namespaces (k8s_baseline NetworkPolicies).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra.components._k8s import (
    SECRET_FILE,
    container_security_context,
    fetch_secret_init_container,
    http_probe,
    labels,
    pod_security_context,
    resources,
    secret_volume,
)
from infra.components.k8s_baseline import MLFLOW_PORT
from infra.components.supply_chain import Mirror
from infra.config import HOME_REGION


@dataclass(frozen=True)
class MlflowServerArgs:
    environment: str
    mirror: Mirror
    artifact_bucket: pulumi.Input[str]
    database_endpoint: pulumi.Input[str]  # host:port of the RDS instance
    database_name: str
    database_secret_id: pulumi.Input[str]  # the RDS-managed master user secret
    namespace: str = "registry"
    service_account: str = "mlflow"
    after: tuple[pulumi.Resource, ...] = ()


def server_command() -> list[str]:
    return [
        "sh",
        "-c",
        f'MLFLOW_BACKEND_STORE_URI="$(cat {SECRET_FILE})"; export MLFLOW_BACKEND_STORE_URI; '
        f'exec mlflow server --host 0.0.0.0 --port "{MLFLOW_PORT}" --serve-artifacts',
    ]


class MlflowServer(pulumi.ComponentResource):
    """Deployment and Service of the MLflow server in `registry`."""

    def __init__(self, name: str, args: MlflowServerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:registry:MlflowServer", name, None, opts)
        app = labels("mlflow", "tracking-server")
        selector = {"app.kubernetes.io/name": "mlflow"}
        after = list(args.after)
        image = args.mirror.image("mlflow").ref
        artifacts = pulumi.Output.concat("s3://", args.artifact_bucket, "/mlflow")
        fetch = fetch_secret_init_container(
            image,
            args.database_secret_id,
            {"FETCH_AS": "postgres-uri", "DB_ENDPOINT": args.database_endpoint, "DB_NAME": args.database_name},
        )
        container = {
            "name": "mlflow",
            "image": image,
            "command": server_command(),
            "env": [
                {"name": "MLFLOW_ARTIFACTS_DESTINATION", "value": artifacts},
                {"name": "AWS_REGION", "value": HOME_REGION},
                {"name": "AWS_DEFAULT_REGION", "value": HOME_REGION},
                {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
                {"name": "HOME", "value": "/tmp"},
            ],
            "ports": [{"name": "http", "containerPort": MLFLOW_PORT, "protocol": "TCP"}],
            "resources": resources("250m", "1Gi", "1") if args.environment == "dev" else resources("500m", "2Gi", "2"),
            "securityContext": container_security_context(),
            "readinessProbe": http_probe("/health", MLFLOW_PORT),
            "livenessProbe": http_probe("/health", MLFLOW_PORT, period=20, initial_delay=30),
            "volumeMounts": [
                {"name": "platform-secret", "mountPath": "/run/secrets/platform", "readOnly": True},
                {"name": "tmp", "mountPath": "/tmp"},
            ],
        }
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="mlflow", namespace=args.namespace, labels=app),
            spec={
                "replicas": 1 if args.environment == "dev" else 2,
                "selector": {"matchLabels": selector},
                "template": {
                    "metadata": {"labels": app},
                    "spec": {
                        "serviceAccountName": args.service_account,
                        "automountServiceAccountToken": False,
                        "securityContext": pod_security_context(),
                        "nodeSelector": {"platform.uae/pool": "system"},
                        "initContainers": [fetch],
                        "containers": [container],
                        "volumes": [secret_volume(), {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}],
                    },
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="mlflow", namespace=args.namespace, labels=app),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=selector,
                ports=[k8s.core.v1.ServicePortArgs(name="http", port=MLFLOW_PORT, target_port="http", protocol="TCP")],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        self.tracking_uri = f"http://mlflow.{args.namespace}.svc.cluster.local:{MLFLOW_PORT}"
        self.register_outputs({"tracking_uri": self.tracking_uri})
