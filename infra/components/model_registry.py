"""MLflow's AWS backing: an RDS PostgreSQL database and the model artifacts bucket.

The database is private (private subnets, no public address, reachable only from the cluster's
nodes), encrypted with the model-registry CMK, requires TLS, and its master password is created
and rotated by RDS in Secrets Manager (`manage_master_user_password`): no password passes through
Pulumi at all. IAM database authentication is on, so workloads can move to short-lived tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.components._iam import PARTITION, account_scoped_trust_policy, managed_policy_arn
from infra.components.bucket import SecureBucket, SecureBucketArgs
from infra.config import HOME_REGION, RegistryDatabaseConfig

POSTGRES_PORT = 5432
DATABASE_NAME = "mlflow"
MASTER_USERNAME = "mlflow_admin"
LOG_EXPORTS = ("postgresql", "upgrade")
PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7  # the free tier
ENHANCED_MONITORING_SECONDS = 60


@dataclass(frozen=True)
class ModelRegistryArgs:
    name_prefix: str
    account_id: pulumi.Input[str]
    settings: RegistryDatabaseConfig
    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[Sequence[str]]
    node_security_group_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]  # the model-registry key
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int
    protect: bool


class ModelRegistry(pulumi.ComponentResource):
    """RDS PostgreSQL (subnet group, TLS-only parameter group, security group, log groups) and a bucket."""

    database: aws.rds.Instance

    def __init__(self, name: str, args: ModelRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:registry:ModelRegistry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prefix = args.name_prefix
        identifier = f"{prefix}-mlflow"
        settings = args.settings
        major = settings.engine_version.split(".", 1)[0]

        self.artifacts = SecureBucket(
            f"{name}-artifacts",
            SecureBucketArgs(
                bucket_name=pulumi.Output.concat(prefix, "-model-artifacts-", args.account_id),
                kms_key_arn=args.kms_key_arn,
                purpose="model-artifacts",
                protect=args.protect,
                # Registered model versions are overwritten rarely; keep superseded ones for a year.
                noncurrent_version_days=365,
            ),
            child,
        )

        security_group = aws.ec2.SecurityGroup(
            f"{name}-db",
            description=f"MLflow database of {prefix}: PostgreSQL from the cluster nodes only",
            vpc_id=args.vpc_id,
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    description="PostgreSQL from the EKS nodes",
                    protocol="tcp",
                    from_port=POSTGRES_PORT,
                    to_port=POSTGRES_PORT,
                    security_groups=[args.node_security_group_id],
                )
            ],
            egress=[],
            revoke_rules_on_delete=True,
            tags={"Name": f"{prefix}-mlflow-db"},
            opts=child,
        )
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-db",
            name=f"{prefix}-mlflow",
            description=f"Private subnets of {prefix} for the MLflow database",
            subnet_ids=args.private_subnet_ids,
            opts=child,
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-db",
            name=f"{prefix}-mlflow-postgres{major}",
            family=f"postgres{major}",
            description=f"MLflow database of {prefix}: TLS required, connections and DDL logged",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1"),
                aws.rds.ParameterGroupParameterArgs(name="log_connections", value="1"),
                aws.rds.ParameterGroupParameterArgs(name="log_disconnections", value="1"),
                aws.rds.ParameterGroupParameterArgs(name="log_statement", value="ddl"),
            ],
            opts=child,
        )
        # Created up front so they are CMK-encrypted with a retention; RDS would make them bare.
        log_groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-db-{export}",
                name=f"/aws/rds/instance/{identifier}/{export}",
                kms_key_id=args.logs_key_arn,
                retention_in_days=args.log_retention_days,
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            for export in LOG_EXPORTS
        ]

        monitoring_role = aws.iam.Role(
            f"{name}-db-monitoring",
            description=f"RDS enhanced monitoring of {identifier}",
            assume_role_policy=account_scoped_trust_policy("monitoring.rds.amazonaws.com", args.account_id),
            opts=child,
        )
        monitoring_policy = aws.iam.RolePolicyAttachment(
            f"{name}-db-monitoring",
            role=monitoring_role.name,
            policy_arn=managed_policy_arn("service-role/AmazonRDSEnhancedMonitoringRole"),
            opts=child,
        )

        self.database = aws.rds.Instance(
            f"{name}-db",
            identifier=identifier,
            engine="postgres",
            engine_version=settings.engine_version,
            # Minor versions are patched by RDS in the maintenance window; majors only by a change here.
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=False,
            instance_class=settings.instance_class,
            allocated_storage=settings.allocated_storage_gib,
            max_allocated_storage=settings.max_allocated_storage_gib,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            db_name=DATABASE_NAME,
            username=MASTER_USERNAME,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.kms_key_arn,
            iam_database_authentication_enabled=True,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_group.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            port=POSTGRES_PORT,
            multi_az=settings.multi_az,
            backup_retention_period=settings.backup_retention_days,
            copy_tags_to_snapshot=True,
            delete_automated_backups=not args.protect,
            deletion_protection=args.protect,
            skip_final_snapshot=not args.protect,
            final_snapshot_identifier=f"{identifier}-final" if args.protect else None,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            monitoring_interval=ENHANCED_MONITORING_SECONDS,
            monitoring_role_arn=monitoring_role.arn,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=args.kms_key_arn,
            performance_insights_retention_period=PERFORMANCE_INSIGHTS_RETENTION_DAYS,
            apply_immediately=not args.protect,
            tags={"Name": identifier, "platform.uae/backup": "daily"},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=[*log_groups, monitoring_policy]),
        )
        # Known at preview time: the gate can read the policies that name the database.
        self.database_arn = pulumi.Output.concat(
            f"arn:{PARTITION}:rds:{HOME_REGION}:", args.account_id, f":db:{identifier}"
        )
        self.master_secret_arn = self.database.master_user_secrets.apply(
            lambda secrets: secrets[0].secret_arn if secrets else None
        )
        self.register_outputs(
            {
                "database_endpoint": self.database.endpoint,
                "database_arn": self.database_arn,
                "master_secret_arn": self.master_secret_arn,
                "artifacts_bucket": self.artifacts.name,
            }
        )
