"""The Feast feature server on the cluster: reads the online store (ElastiCache Redis over TLS) and
the registry (S3) with its IRSA role, configured by a feature_store.yaml rendered from stack outputs.

The Redis auth token never appears in the ConfigMap: Feast expands `${REDIS_AUTH_TOKEN}` from the
environment, which comes from a Kubernetes Secret (envelope-encrypted with the cluster-secrets key).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import yaml

from infra.components._k8s import container_security_context, http_probe, labels, pod_security_context, resources
from infra.components.k8s_baseline import FEATURE_SERVER_PORT
from infra.components.supply_chain import Mirror

FEAST_PROJECT = "uae_ml_platform"
CONFIG_DIR = "/etc/feast"


@dataclass(frozen=True)
class FeatureServerArgs:
    environment: str
    mirror: Mirror
    registry_bucket: pulumi.Input[str]  # s3://<bucket>/registry.pb
    offline_bucket: pulumi.Input[str]
    redis_endpoint: pulumi.Input[str]  # primary (or configuration) endpoint host
    redis_auth_token: pulumi.Input[str]  # a Pulumi secret
    redis_port: int = 6379
    namespace: str = "features"
    service_account: str = "feast-server"
    after: tuple[pulumi.Resource, ...] = ()


def feature_store_yaml(registry_bucket: str, offline_bucket: str, redis_endpoint: str, redis_port: int) -> str:
    """The feature_store.yaml the server (and the workloads' `aws` profile) reads."""
    return yaml.safe_dump(
        {
            "project": FEAST_PROJECT,
            "provider": "aws",
            "registry": {"path": f"s3://{registry_bucket}/registry.pb", "cache_ttl_seconds": 60},
            "online_store": {
                "type": "redis",
                "redis_type": "redis",
                # ssl=true: ElastiCache has in-transit encryption on; the password is expanded from env.
                "connection_string": f"{redis_endpoint}:{redis_port},ssl=true,password=${{REDIS_AUTH_TOKEN}}",
            },
            "offline_store": {"type": "file"},
            "batch_engine": {"type": "local"},
            "entity_key_serialization_version": 3,
            "auth": {"type": "no_auth"},
            "repo_path": f"s3://{offline_bucket}/feature_repo",
        },
        sort_keys=False,
    )


class FeatureServer(pulumi.ComponentResource):
    """ConfigMap (feature_store.yaml), Secret (Redis token), Deployment and Service in `features`."""

    def __init__(self, name: str, args: FeatureServerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:features:FeatureServer", name, None, opts)
        app = labels("feast-feature-server", "feature-server")
        selector = {"app.kubernetes.io/name": "feast-feature-server"}
        replicas = 1 if args.environment == "dev" else 3 if args.environment == "prod" else 2
        after = list(args.after)

        rendered = pulumi.Output.all(args.registry_bucket, args.offline_bucket, args.redis_endpoint).apply(
            lambda v: feature_store_yaml(v[0], v[1], v[2], args.redis_port)
        )
        self.config_map = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="feature-store", namespace=args.namespace, labels=app),
            data={"feature_store.yaml": rendered},
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        self.secret = k8s.core.v1.Secret(
            f"{name}-online-store",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="feast-online-store", namespace=args.namespace, labels=app),
            type="Opaque",
            string_data={"auth-token": pulumi.Output.secret(args.redis_auth_token)},
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        container = k8s.core.v1.ContainerArgs(
            name="feature-server",
            image=args.mirror.workload("features").ref,
            command=["feast", "--chdir", CONFIG_DIR, "serve", "--host", "0.0.0.0", "--port", str(FEATURE_SERVER_PORT)],
            env=[
                k8s.core.v1.EnvVarArgs(
                    name="REDIS_AUTH_TOKEN",
                    value_from=k8s.core.v1.EnvVarSourceArgs(
                        secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(name="feast-online-store", key="auth-token")
                    ),
                ),
                k8s.core.v1.EnvVarArgs(name="AWS_REGION", value="me-central-1"),
                k8s.core.v1.EnvVarArgs(name="AWS_STS_REGIONAL_ENDPOINTS", value="regional"),
                k8s.core.v1.EnvVarArgs(name="HOME", value="/tmp"),
            ],
            ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=FEATURE_SERVER_PORT, protocol="TCP")],
            resources=resources("250m", "1Gi", "1") if args.environment == "dev" else resources("1", "2Gi", "2"),
            security_context=container_security_context(),
            readiness_probe=http_probe("/health", FEATURE_SERVER_PORT),
            liveness_probe=http_probe("/health", FEATURE_SERVER_PORT, period=20, initial_delay=20),
            volume_mounts=[
                k8s.core.v1.VolumeMountArgs(name="config", mount_path=CONFIG_DIR, read_only=True),
                k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
            ],
        )
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="feast-feature-server", namespace=args.namespace, labels=app),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=app),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=args.service_account,
                        automount_service_account_token=False,
                        security_context=pod_security_context(),
                        node_selector={"platform.uae/pool": "system"},
                        containers=[container],
                        volumes=[
                            k8s.core.v1.VolumeArgs(
                                name="config", config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name="feature-store")
                            ),
                            k8s.core.v1.VolumeArgs(
                                name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="256Mi")
                            ),
                        ],
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.config_map, self.secret, *after]),
        )
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="feast-feature-server", namespace=args.namespace, labels=app),
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
        self.feature_store_yaml = rendered
        self.url = f"http://feast-feature-server.{args.namespace}.svc.cluster.local:{FEATURE_SERVER_PORT}"
        self.register_outputs({"feature_store_yaml": rendered, "url": self.url})
