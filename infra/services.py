"""The platform's AWS data services, composed: streaming, feature store, model registry, checkpoints,
pipelines, workload identities and backup. `infra/program.py` calls `build_data_services` once.

Names and ARNs that policies refer to are built from known values (prefix, account id), so every
IAM statement is readable by the gate at preview time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from infra.components._iam import PARTITION
from infra.components.backup import Backup, BackupArgs
from infra.components.bucket import SecureBucket, SecureBucketArgs
from infra.components.cluster import Cluster
from infra.components.feature_store import FeatureStore, FeatureStoreArgs
from infra.components.keys import Keys
from infra.components.model_registry import ModelRegistry, ModelRegistryArgs
from infra.components.network import Network
from infra.components.pipelines import Pipelines, PipelinesArgs
from infra.components.streaming import Streaming, StreamingArgs
from infra.components.workload_roles import (
    KafkaAccess,
    WorkloadIdentity,
    WorkloadRoles,
    WorkloadRolesArgs,
    bucket_read,
    bucket_write,
    kafka_access,
    kms_through,
    secret_read,
)
from infra.config import HOME_REGION, PlatformConfig

# The Kubernetes identities that get AWS access (namespace, service account); svc-k8s annotates
# these service accounts with DataServices.roles[<name>].arn.
SERVICE_ACCOUNTS: dict[str, tuple[str, str]] = {
    "feast-server": ("features", "feast-server"),
    "stream-consumer": ("streaming", "stream-consumer"),
    "mlflow": ("registry", "mlflow"),
    "trainer": ("training", "trainer"),
    "predictor": ("serving", "predictor"),
}
# The feature event stream: the same names as the consumer's defaults (workloads/features/names.py,
# workloads/streaming/consumer.py), so the IRSA policy grants exactly what the deployed consumer uses.
FEATURE_EVENTS_TOPIC = "credit-activity"
DEAD_LETTER_TOPIC = "credit-activity-dlq"
INGEST_CONSUMER_GROUP = "credit-activity-feast"


@dataclass(frozen=True)
class DataServices:
    streaming: Streaming
    feature_store: FeatureStore
    model_registry: ModelRegistry
    checkpoints: SecureBucket
    pipelines: Pipelines
    backup: Backup
    roles: dict[str, aws.iam.Role]  # SERVICE_ACCOUNTS name -> IRSA role
    outputs: dict[str, pulumi.Output]  # stack outputs


def build_data_services(
    cfg: PlatformConfig,
    *,
    aws_provider: aws.Provider,
    account_id: pulumi.Input[str],
    keys: Keys,
    network: Network,
    cluster: Cluster,
    log_retention_days: int,
) -> DataServices:
    """Declare the AWS data services of one stack on the given network and cluster."""
    prefix = f"uae-ml-{cfg.environment}"
    protect = cfg.is_prod
    services = cfg.data_services
    # pulumi:disable-default-providers covers every package, so the random provider is explicit too.
    random_provider = random.Provider("random")
    opts = pulumi.ResourceOptions(providers=[aws_provider, random_provider])
    node_sg = cluster.cluster_security_group_id  # managed node groups run in the cluster security group
    zones = len(cfg.network.availability_zones)
    # Where every data service sits and logs: the private subnets, reachable from the nodes only.
    in_vpc: dict[str, Any] = {
        "vpc_id": network.vpc_id,
        "private_subnet_ids": network.private_subnet_ids,
        "node_security_group_id": node_sg,
        "logs_key_arn": keys.arn("logs"),
        "log_retention_days": log_retention_days,
        "protect": protect,
    }

    streaming = Streaming(
        "streaming",
        StreamingArgs(
            cluster_name=f"{prefix}-events",
            settings=services.streaming,
            zones=zones,
            kms_key_arn=keys.arn("streaming"),
            prod=cfg.is_prod,
            **in_vpc,
        ),
        opts,
    )
    feature_store = FeatureStore(
        "features",
        FeatureStoreArgs(
            name_prefix=prefix,
            account_id=account_id,
            settings=services.online_store,
            kms_key_arn=keys.arn("data-lake"),
            **in_vpc,
        ),
        opts,
    )
    model_registry = ModelRegistry(
        "model-registry",
        ModelRegistryArgs(
            name_prefix=prefix,
            account_id=account_id,
            settings=services.registry_database,
            kms_key_arn=keys.arn("model-registry"),
            **in_vpc,
        ),
        opts,
    )
    checkpoints = SecureBucket(
        "checkpoints",
        SecureBucketArgs(
            bucket_name=pulumi.Output.concat(prefix, "-training-checkpoints-", account_id),
            kms_key_arn=keys.arn("data-lake"),
            purpose="training-checkpoints",
            protect=protect,
            # Checkpoints are rewritten every few minutes; superseded versions are worth a week.
            noncurrent_version_days=7,
        ),
        opts,
    )
    pipelines = Pipelines(
        "pipelines",
        PipelinesArgs(
            name_prefix=prefix,
            account_id=account_id,
            settings=services.pipelines,
            vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids,
            kms_key_arn=keys.arn("pipelines"),
            kms_key_alias=keys.alias("pipelines"),
            protect=protect,
        ),
        opts,
    )

    roles = WorkloadRoles(
        "workload-roles",
        WorkloadRolesArgs(
            role_prefix=prefix,
            oidc_provider_arn=cluster.oidc_provider.arn,
            oidc_issuer=cluster.oidc_issuer,
            identities=_identities(
                account_id,
                keys,
                streaming_cluster=f"{prefix}-events",
                feature_store=feature_store,
                model_registry=model_registry,
                checkpoints=checkpoints,
            ),
        ),
        opts,
    )

    backup = Backup(
        "backup",
        BackupArgs(
            name_prefix=prefix,
            account_id=account_id,
            kms_key_arn=keys.arn("backup"),
            key_aliases=(keys.alias("data-lake"), keys.alias("model-registry"), keys.alias("pipelines")),
            vault_key_alias=keys.alias("backup"),
            resource_arns=[
                model_registry.database_arn,
                feature_store.offline.arn,
                feature_store.registry.arn,
                model_registry.artifacts.arn,
                checkpoints.arn,
                pipelines.dags.arn,
            ],
            retention_days=services.backup.daily_retention_days,
            protect=protect,
        ),
        opts,
    )

    outputs: dict[str, pulumi.Output] = {
        "msk_cluster_arn": streaming.cluster.arn,
        "msk_bootstrap_brokers_sasl_iam": streaming.bootstrap_brokers,
        "feature_store_yaml": feature_store.feature_store_yaml,
        "offline_store_bucket": feature_store.offline.name,
        "feast_registry_bucket": feature_store.registry.name,
        "online_store_endpoint": feature_store.redis_host,
        "online_store_auth_secret_arn": feature_store.auth_secret.arn,
        "mlflow_database_endpoint": model_registry.database.endpoint,
        "mlflow_database_secret_arn": model_registry.master_secret_arn,
        "model_artifacts_bucket": model_registry.artifacts.name,
        "checkpoints_bucket": checkpoints.name,
        "airflow_webserver_url": pipelines.environment.webserver_url,
        "airflow_dags_bucket": pipelines.dags.name,
        "backup_vault_arn": backup.vault.arn,
        "workload_role_arns": pulumi.Output.from_input(roles.arns),
    }
    return DataServices(
        streaming=streaming,
        feature_store=feature_store,
        model_registry=model_registry,
        checkpoints=checkpoints,
        pipelines=pipelines,
        backup=backup,
        roles=roles.roles,
        outputs=outputs,
    )


def _identities(
    account_id: pulumi.Input[str],
    keys: Keys,
    *,
    streaming_cluster: str,
    feature_store: FeatureStore,
    model_registry: ModelRegistry,
    checkpoints: SecureBucket,
) -> dict[str, WorkloadIdentity]:
    data_key, registry_key = keys.alias("data-lake"), keys.alias("model-registry")
    redis_token = [
        secret_read("ReadOnlineStoreToken", feature_store.auth_secret_arn_pattern),
        kms_through("DecryptOnlineStoreToken", account_id, [data_key], "secretsmanager", encrypt=False),
    ]
    # RDS names its managed secret rds!db-<uuid> and tags it with the instance ARN, which is known.
    rds_secret = pulumi.Output.concat(f"arn:{PARTITION}:secretsmanager:{HOME_REGION}:", account_id, ":secret:rds!db-*")
    statements = {
        "feast-server": [
            *bucket_read("FeatureData", [feature_store.offline.arn, feature_store.registry.arn]),
            kms_through("DecryptFeatureData", account_id, [data_key], "s3", encrypt=False),
            *redis_token,
        ],
        "stream-consumer": [
            *kafka_access(
                account_id,
                streaming_cluster,
                KafkaAccess(
                    read_topics=(FEATURE_EVENTS_TOPIC,),
                    write_topics=(DEAD_LETTER_TOPIC,),
                    consumer_groups=(INGEST_CONSUMER_GROUP,),
                ),
            ),
            # It pushes validated events to the online store, which needs the Feast registry.
            *bucket_read("FeastRegistry", [feature_store.registry.arn]),
            kms_through("DecryptFeastRegistry", account_id, [data_key], "s3", encrypt=False),
            *redis_token,
        ],
        "mlflow": [
            *bucket_read("ModelArtifacts", [model_registry.artifacts.arn]),
            *bucket_write("ModelArtifacts", [model_registry.artifacts.arn], delete=True),
            kms_through("ModelArtifactsKey", account_id, [registry_key], "s3", encrypt=True),
            secret_read(
                "ReadDatabaseSecret",
                rds_secret,
                {
                    "StringEquals": {
                        "secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn": model_registry.database_arn
                    }
                },
            ),
            kms_through("DecryptDatabaseSecret", account_id, [registry_key], "secretsmanager", encrypt=False),
        ],
        "trainer": [
            *bucket_read("Checkpoints", [checkpoints.arn]),
            *bucket_write("Checkpoints", [checkpoints.arn], delete=True),
            *bucket_read("OfflineStore", [feature_store.offline.arn]),
            *bucket_write("ModelArtifacts", [model_registry.artifacts.arn]),
            kms_through("TrainingDataKey", account_id, [data_key], "s3", encrypt=True),
            kms_through("ModelArtifactsKey", account_id, [registry_key], "s3", encrypt=True),
        ],
        "predictor": [
            *bucket_read("ModelArtifacts", [model_registry.artifacts.arn]),
            kms_through("DecryptModelArtifacts", account_id, [registry_key], "s3", encrypt=False),
        ],
    }
    descriptions = {
        "feast-server": "read the offline store, the Feast registry and the online store token",
        "stream-consumer": "consume feature events, dead-letter poison messages, push to the online store",
        "mlflow": "read and write model artifacts, read the database secret",
        "trainer": "read features, keep checkpoints, write model artifacts",
        "predictor": "read model artifacts",
    }
    return {
        name: WorkloadIdentity(
            namespace=namespace,
            service_account=service_account,
            statements=tuple(statements[name]),
            description=descriptions[name],
        )
        for name, (namespace, service_account) in SERVICE_ACCOUNTS.items()
    }
