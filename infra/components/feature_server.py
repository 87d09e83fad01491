"""The Feast feature server on the cluster: serves online features from ElastiCache Redis (TLS) with
the feature_store.yaml that the data services render from stack outputs (a ConfigMap here).

The Redis auth token never reaches Pulumi state on this side, a ConfigMap or a Kubernetes Secret:
an init container reads it from Secrets Manager with the pod's IRSA role (which may read exactly
that secret) into a memory-backed volume, and the server exports it as REDIS_AUTH_TOKEN, which Feast
expands inside feature_store.yaml when it loads the file.
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
from infra.components.k8s_baseline import FEATURE_SERVER_PORT
from infra.components.supply_chain import Mirror
from infra.config import HOME_REGION

CONFIG_DIR = "/etc/feast"
APP = "feast-feature-server"


@dataclass(frozen=True)
class FeatureServerArgs:
    environment: str
    mirror: Mirror
    feature_store_yaml: pulumi.Input[str]  # rendered from stack outputs by the data services
    redis_auth_secret_id: pulumi.Input[str]  # Secrets Manager name/ARN of the online store token
    namespace: str = "features"
    service_account: str = "feast-server"
    after: tuple[pulumi.Resource, ...] = ()


def server_command() -> list[str]:
    # The token goes from the tmpfs file into the environment of the server process only.
    return [
        "sh",
        "-c",
        f'REDIS_AUTH_TOKEN="$(cat {SECRET_FILE})"; export REDIS_AUTH_TOKEN; '
        f'exec feast --chdir {CONFIG_DIR} serve --host 0.0.0.0 --port "{FEATURE_SERVER_PORT}"',
    ]


class FeatureServer(pulumi.ComponentResource):
    """ConfigMap (feature_store.yaml), Deployment and Service of the Feast feature server."""

    def __init__(self, name: str, args: FeatureServerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:features:FeatureServer", name, None, opts)
        app = labels(APP, "feature-server")
        selector = {"app.kubernetes.io/name": APP}
        replicas = {"dev": 1, "staging": 2}.get(args.environment, 3)
        after = list(args.after)
        image = args.mirror.workload("features").ref

        self.config_map = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="feature-store", namespace=args.namespace, labels=app),
            data={"feature_store.yaml": args.feature_store_yaml},
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        container = {
            "name": "feature-server",
            "image": image,
            "command": server_command(),
            "env": [
                {"name": "AWS_REGION", "value": HOME_REGION},
                {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
                {"name": "HOME", "value": "/tmp"},
            ],
            "ports": [{"name": "http", "containerPort": FEATURE_SERVER_PORT, "protocol": "TCP"}],
            "resources": resources("250m", "1Gi", "1") if args.environment == "dev" else resources("1", "2Gi", "2"),
            "securityContext": container_security_context(),
            "readinessProbe": http_probe("/health", FEATURE_SERVER_PORT),
            "livenessProbe": http_probe("/health", FEATURE_SERVER_PORT, period=20, initial_delay=20),
            "volumeMounts": [
                {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
                {"name": "platform-secret", "mountPath": "/run/secrets/platform", "readOnly": True},
                {"name": "tmp", "mountPath": "/tmp"},
            ],
        }
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=APP, namespace=args.namespace, labels=app),
            spec={
                "replicas": replicas,
                "selector": {"matchLabels": selector},
                "template": {
                    "metadata": {"labels": app},
                    "spec": {
                        "serviceAccountName": args.service_account,
                        "automountServiceAccountToken": False,
                        "securityContext": pod_security_context(),
                        "nodeSelector": {"platform.uae/pool": "system"},
                        "initContainers": [fetch_secret_init_container(image, args.redis_auth_secret_id)],
                        "containers": [container],
                        "volumes": [
                            {"name": "config", "configMap": {"name": "feature-store"}},
                            secret_volume(),
                            {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
                        ],
                    },
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.config_map, *after]),
        )
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=APP, namespace=args.namespace, labels=app),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=selector,
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name="http", port=FEATURE_SERVER_PORT, target_port="http", protocol="TCP"
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        self.url = f"http://{APP}.{args.namespace}.svc.cluster.local:{FEATURE_SERVER_PORT}"
        self.register_outputs({"url": self.url})
