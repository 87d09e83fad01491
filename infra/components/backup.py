"""In-region disaster recovery: an AWS Backup vault under a CMK and a daily plan, no copies abroad.

There is no second UAE region, so DR is cross-zone (Multi-AZ services) plus point-in-time
recovery from this vault in me-central-1; no rule has a copy action (UAE PDPL Art. 22-23).
The plan selects the MLflow database and the data buckets by ARN, and EBS volumes (the cluster's
persistent volumes) by the `platform.uae/backup` tag, which the cluster's storage classes set.
MSK and ElastiCache are not AWS Backup resources: MSK keeps three replicas across zones and
Redis keeps its own snapshots (onlineStore.snapshotRetentionDays).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.components._iam import PARTITION, document, kms_use_by_alias, managed_policy_arn, service_trust_policy
from infra.config import HOME_REGION

BACKUP_TAG = ("platform.uae/backup", "daily")
DAILY_SCHEDULE = "cron(0 1 * * ? *)"  # 01:00 UTC = 05:00 in the UAE, outside business hours
START_WITHIN_MINUTES = 60
COMPLETE_WITHIN_MINUTES = 360
BACKUP_POLICIES = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
)


@dataclass(frozen=True)
class BackupArgs:
    name_prefix: str
    account_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]  # the backup key: recovery points in the vault
    # Aliases of the keys that encrypt the protected resources: Backup reads (and restores) under them.
    key_aliases: tuple[str, ...]
    vault_key_alias: str
    resource_arns: Sequence[pulumi.Input[str]]  # RDS instances and S3 buckets, by ARN
    retention_days: int
    protect: bool


class Backup(pulumi.ComponentResource):
    """Vault, plan, the Backup service role, and selections by ARN and by tag."""

    vault: aws.backup.Vault
    plan: aws.backup.Plan

    def __init__(self, name: str, args: BackupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:backup:Backup", name, None, opts)
        if not 1 <= args.retention_days <= 35:
            raise ValueError("continuous backups are kept between 1 and 35 days")
        child = pulumi.ResourceOptions(parent=self)

        self.vault = aws.backup.Vault(
            f"{name}-vault",
            name=f"{args.name_prefix}-vault",
            kms_key_arn=args.kms_key_arn,
            force_destroy=False,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        role = aws.iam.Role(
            f"{name}-service",
            description=f"AWS Backup for {args.name_prefix}: take and restore recovery points",
            assume_role_policy=service_trust_policy("backup.amazonaws.com"),
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-{policy.rsplit('/', 1)[-1]}",
                role=role.name,
                policy_arn=managed_policy_arn(policy),
                opts=child,
            )
            for policy in BACKUP_POLICIES
        ]
        # The S3 managed policies do not cover objects under a CMK; grant exactly the source keys.
        keys = aws.iam.RolePolicy(
            f"{name}-source-keys",
            role=role.id,
            policy=document(
                [
                    kms_use_by_alias(
                        "UseSourceKeysThroughS3",
                        args.account_id,
                        list(args.key_aliases),
                        ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
                        f"s3.{HOME_REGION}.amazonaws.com",
                    ),
                    kms_use_by_alias(
                        "GrantsForAwsResourcesOnly",
                        args.account_id,
                        [*args.key_aliases, args.vault_key_alias],
                        ["kms:CreateGrant"],
                        extra_conditions={"Bool": {"kms:GrantIsForAWSResource": True}},
                    ),
                ]
            ),
            opts=child,
        )

        self.plan = aws.backup.Plan(
            f"{name}-plan",
            name=f"{args.name_prefix}-daily",
            rules=[
                aws.backup.PlanRuleArgs(
                    rule_name="daily",
                    target_vault_name=self.vault.name,
                    schedule=DAILY_SCHEDULE,
                    start_window=START_WITHIN_MINUTES,
                    completion_window=COMPLETE_WITHIN_MINUTES,
                    # Continuous backup gives point-in-time restore for RDS and S3 (35 days at most).
                    enable_continuous_backup=True,
                    lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=args.retention_days),
                    recovery_point_tags={"backup-plan": f"{args.name_prefix}-daily"},
                    # No copy_actions: recovery points never leave me-central-1.
                )
            ],
            opts=child,
        )
        after = pulumi.ResourceOptions(parent=self, depends_on=[*attachments, keys])
        aws.backup.Selection(
            f"{name}-stateful",
            name=f"{args.name_prefix}-stateful",
            plan_id=self.plan.id,
            iam_role_arn=role.arn,
            resources=list(args.resource_arns),
            opts=after,
        )
        key, value = BACKUP_TAG
        aws.backup.Selection(
            f"{name}-volumes",
            name=f"{args.name_prefix}-tagged-volumes",
            plan_id=self.plan.id,
            iam_role_arn=role.arn,
            resources=[pulumi.Output.concat(f"arn:{PARTITION}:ec2:{HOME_REGION}:", args.account_id, ":volume/*")],
            selection_tags=[aws.backup.SelectionSelectionTagArgs(type="STRINGEQUALS", key=key, value=value)],
            opts=after,
        )
        self.register_outputs({"vault_arn": self.vault.arn, "plan_id": self.plan.id})
