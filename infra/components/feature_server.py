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
    SecretReadingServerSpec,
    fetch_secret_init_container,
    labels,
    regional_aws_env,
    resources,
    secret_reading_server,
)
from infra.components.k8s_baseline import FEATURE_SERVER_PORT
from infra.components.supply_chain import Mirror

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
        replicas = {"dev": 1, "staging": 2}.get(args.environment, 3)
        after = list(args.after)
        image = args.mirror.workload("features").ref

        self.config_map = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="feature-store", namespace=args.namespace, labels=app),
            data={"feature_store.yaml": args.feature_store_yaml},
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        self.deployment, self.service = secret_reading_server(
            name,
            SecretReadingServerSpec(
                app=APP,
                component="feature-server",
                container_name="feature-server",
                namespace=args.namespace,
                service_account=args.service_account,
                replicas=replicas,
                image=image,
                command=server_command(),
                env=[*regional_aws_env(), {"name": "HOME", "value": "/tmp"}],
                port=FEATURE_SERVER_PORT,
                resources=resources("250m", "1Gi", "1") if args.environment == "dev" else resources("1", "2Gi", "2"),
                fetch_secret=fetch_secret_init_container(image, args.redis_auth_secret_id),
                liveness_initial_delay=20,
                tmp_size="256Mi",
                extra_mounts=({"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},),
                extra_volumes=({"name": "config", "configMap": {"name": "feature-store"}},),
            ),
            parent=self,
            after=after,
            deployment_after=[self.config_map],
        )
        self.url = f"http://{APP}.{args.namespace}.svc.cluster.local:{FEATURE_SERVER_PORT}"
        self.register_outputs({"url": self.url})
