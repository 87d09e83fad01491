"""The platform services on the cluster, wired in one call from the composition root.

`deploy_platform_services` takes what the core program built (cluster, node pools, keys, registry)
and what the AWS data services expose (IRSA role ARNs, bucket names, endpoints, secrets) as plain
inputs, and declares the Kubernetes side on the cluster's own provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components.cluster import Cluster
from infra.components.feature_server import FeatureServer, FeatureServerArgs
from infra.components.gpu_scheduling import GpuScheduling, GpuSchedulingArgs
from infra.components.k8s_baseline import IRSA_SERVICE_ACCOUNTS, BaselineArgs, KubernetesBaseline
from infra.components.keys import Keys
from infra.components.mlflow_server import MlflowServer, MlflowServerArgs
from infra.components.model_registry import DATABASE_NAME
from infra.components.network import Network
from infra.components.nodepools import NodePools
from infra.components.observability import Observability, ObservabilityArgs
from infra.components.registry import Registry
from infra.components.serving import Serving, ServingArgs
from infra.components.supply_chain import Mirror, MirrorArgs
from infra.components.training import Training, TrainingArgs
from infra.config import PlatformConfig
from infra.services import SERVICE_ACCOUNTS, DataServices


@dataclass(frozen=True)
class DataServiceInputs:
    """What the AWS data services hand to the cluster services."""

    irsa_role_arns: Mapping[str, pulumi.Input[str]]  # "namespace/serviceaccount" -> role ARN
    model_bucket: pulumi.Input[str]  # models and MLflow artifacts
    checkpoint_bucket: pulumi.Input[str]
    feature_store_yaml: pulumi.Input[str]
    redis_auth_secret_id: pulumi.Input[str]
    mlflow_database_endpoint: pulumi.Input[str]
    mlflow_database_name: str
    mlflow_database_secret_id: pulumi.Input[str]

    def __post_init__(self) -> None:
        missing = sorted({f"{sa.namespace}/{sa.name}" for sa in IRSA_SERVICE_ACCOUNTS} - set(self.irsa_role_arns))
        if missing:
            raise ValueError(f"no IRSA role ARN for service account(s) {', '.join(missing)}")


def deploy_platform_services(
    cfg: PlatformConfig,
    *,
    aws_provider: aws.Provider,
    account_id: pulumi.Input[str],
    keys: Keys,
    network: Network,
    cluster: Cluster,
    node_pools: NodePools,
    registry: Registry,
    data: DataServiceInputs,
    after: tuple[pulumi.Resource, ...] = (),
) -> dict[str, pulumi.Output]:
    """Declare the cluster-side platform (all on the cluster's explicit Kubernetes provider)."""
    prefix = f"uae-ml-{cfg.environment}"
    with_aws = pulumi.ResourceOptions(providers=[aws_provider])
    on_cluster = pulumi.ResourceOptions(providers=[aws_provider, cluster.k8s_provider])

    mirror = Mirror(
        "mirror",
        MirrorArgs(
            repository_prefix=prefix,
            account_id=account_id,
            kms_key_arn=keys.arn("registry"),
            protect=cfg.is_prod,
            workload_repositories={w: f"{prefix}/{w}" for w in registry.repositories},
        ),
        with_aws,
    )
    baseline = KubernetesBaseline(
        "baseline",
        BaselineArgs(environment=cfg.environment, vpc_cidr=cfg.network.cidr, irsa_role_arns=data.irsa_role_arns),
        pulumi.ResourceOptions(providers=[cluster.k8s_provider], depends_on=list(after)),
    )
    ready = (baseline,)
    # What every workload component takes: the environment, the image mirror, and the baseline first.
    workload: dict[str, Any] = {"environment": cfg.environment, "mirror": mirror, "after": ready}
    gpu = GpuScheduling(
        "gpu",
        GpuSchedulingArgs(
            cfg=cfg,
            mirror=mirror,
            cluster_name=cluster.cluster_name,
            cluster_arn=cluster.cluster.arn,
            account_id=account_id,
            oidc_provider_arn=cluster.oidc_provider.arn,
            oidc_issuer=cluster.oidc_issuer,
            node_role_arn=node_pools.role.arn,
            node_role_name=node_pools.role.name,
            private_subnet_ids=network.private_subnet_ids,
            node_security_group_id=cluster.cluster_security_group_id,
            volume_key_arn=keys.arn("node-volumes"),
            node_tags=cfg.base_tags,
            after=ready,
        ),
        on_cluster,
    )
    serving = Serving(
        "serving",
        ServingArgs(model_bucket=data.model_bucket, **workload),
        on_cluster,
    )
    features = FeatureServer(
        "features",
        FeatureServerArgs(
            feature_store_yaml=data.feature_store_yaml, redis_auth_secret_id=data.redis_auth_secret_id, **workload
        ),
        on_cluster,
    )
    mlflow = MlflowServer(
        "mlflow",
        MlflowServerArgs(
            artifact_bucket=data.model_bucket,
            database_endpoint=data.mlflow_database_endpoint,
            database_name=data.mlflow_database_name,
            database_secret_id=data.mlflow_database_secret_id,
            **workload,
        ),
        on_cluster,
    )
    training = Training(
        "training",
        TrainingArgs(checkpoint_bucket=data.checkpoint_bucket, mlflow_tracking_uri=mlflow.tracking_uri, **workload),
        on_cluster,
    )
    observability = Observability(
        "observability",
        ObservabilityArgs(
            environment=cfg.environment,
            mirror=mirror,
            cluster_name=prefix,
            oidc_provider_arn=cluster.oidc_provider.arn,
            oidc_issuer=cluster.oidc_issuer,
            kms_key_arn=keys.arn("logs"),
            after=ready,
        ),
        on_cluster,
    )
    return {
        "inference_services": pulumi.Output.from_input(sorted(serving.inference_services)),
        "karpenter_interruption_queue": gpu.queue.name,
        "training_runtime": pulumi.Output.from_input(training.runtime_name),
        "feature_server_url": pulumi.Output.from_input(features.url),
        "mlflow_tracking_uri": pulumi.Output.from_input(mlflow.tracking_uri),
        "amp_remote_write_url": observability.workspace.prometheus_endpoint,
    }


def data_service_inputs(data: DataServices) -> DataServiceInputs:
    """The AWS data services' outputs that the cluster side consumes."""
    return DataServiceInputs(
        irsa_role_arns={f"{ns}/{sa}": data.roles[name].arn for name, (ns, sa) in SERVICE_ACCOUNTS.items()},
        model_bucket=data.model_registry.artifacts.name,
        checkpoint_bucket=data.checkpoints.name,
        feature_store_yaml=data.feature_store.feature_store_yaml,
        redis_auth_secret_id=data.feature_store.auth_secret_name,
        mlflow_database_endpoint=data.model_registry.database.endpoint,
        mlflow_database_name=DATABASE_NAME,
        mlflow_database_secret_id=data.model_registry.master_secret_arn,
    )
