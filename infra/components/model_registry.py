"""MLflow tracking and model registry on the cluster: backend store in RDS PostgreSQL (the URI, with
its password, comes from a Kubernetes Secret), artifacts in the in-region S3 bucket through IRSA.

Reachable only from the training, serving and pipelines namespaces (k8s_baseline NetworkPolicies).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra.components._k8s import container_security_context, http_probe, labels, pod_security_context, resources
from infra.components.k8s_baseline import MLFLOW_PORT
from infra.components.supply_chain import Mirror


@dataclass(frozen=True)
class ModelRegistryArgs:
    environment: str
    mirror: Mirror
    artifact_bucket: pulumi.Input[str]
    backend_store_uri: pulumi.Input[str]  # postgresql://user:password@host:5432/mlflow, a Pulumi secret
    namespace: str = "registry"
    service_account: str = "mlflow"
    after: tuple[pulumi.Resource, ...] = ()


class ModelRegistry(pulumi.ComponentResource):
    """Secret (backend store URI), Deployment and Service of the MLflow server in `registry`."""

    def __init__(self, name: str, args: ModelRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:registry:ModelRegistry", name, None, opts)
        app = labels("mlflow", "tracking-server")
        selector = {"app.kubernetes.io/name": "mlflow"}
        after = list(args.after)
        self.secret = k8s.core.v1.Secret(
            f"{name}-backend-store",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="mlflow-backend-store", namespace=args.namespace, labels=app),
            type="Opaque",
            string_data={"uri": pulumi.Output.secret(args.backend_store_uri)},
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        artifacts = pulumi.Output.concat("s3://", args.artifact_bucket, "/mlflow")
        container = k8s.core.v1.ContainerArgs(
            name="mlflow",
            image=args.mirror.image("mlflow").ref,
            command=["sh", "-c"],
            # The URI stays in the environment: never on the command line, where `ps` would show it.
            args=[
                'exec mlflow server --host 0.0.0.0 --port "$MLFLOW_PORT" '
                '--backend-store-uri "$MLFLOW_BACKEND_STORE_URI" '
                '--artifacts-destination "$MLFLOW_ARTIFACTS_DESTINATION" --serve-artifacts'
            ],
            env=[
                k8s.core.v1.EnvVarArgs(
                    name="MLFLOW_BACKEND_STORE_URI",
                    value_from=k8s.core.v1.EnvVarSourceArgs(
                        secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(name="mlflow-backend-store", key="uri")
                    ),
                ),
                k8s.core.v1.EnvVarArgs(name="MLFLOW_ARTIFACTS_DESTINATION", value=artifacts),
                k8s.core.v1.EnvVarArgs(name="MLFLOW_PORT", value=str(MLFLOW_PORT)),
                k8s.core.v1.EnvVarArgs(name="AWS_REGION", value="me-central-1"),
                k8s.core.v1.EnvVarArgs(name="AWS_DEFAULT_REGION", value="me-central-1"),
                k8s.core.v1.EnvVarArgs(name="AWS_STS_REGIONAL_ENDPOINTS", value="regional"),
                k8s.core.v1.EnvVarArgs(name="HOME", value="/tmp"),
            ],
            ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=MLFLOW_PORT, protocol="TCP")],
            resources=resources("250m", "1Gi", "1") if args.environment == "dev" else resources("500m", "2Gi", "2"),
            security_context=container_security_context(),
            readiness_probe=http_probe("/health", MLFLOW_PORT),
            liveness_probe=http_probe("/health", MLFLOW_PORT, period=20, initial_delay=30),
            volume_mounts=[k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp")],
        )
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="mlflow", namespace=args.namespace, labels=app),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=1 if args.environment == "dev" else 2,
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
                                name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="1Gi")
                            )
                        ],
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.secret, *after]),
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
