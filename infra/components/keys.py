"""Customer-managed KMS keys, one per data domain, never multi-Region (UAE PDPL Art. 22-23).

A key per domain keeps blast radius and grants narrow: the flow-log writer cannot decrypt the data
lake, and disabling one domain's key does not take the cluster's secrets with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.components._iam import PARTITION, document
from infra.config import HOME_REGION

# cluster-secrets: EKS envelope encryption of Kubernetes Secrets.
# data-lake: training data and features at rest. streaming: the Kafka (MSK) domain.
# logs: CloudWatch log groups, CloudTrail and the audit bucket. registry: ECR images.
# node-volumes: node root volumes (EBS); the only key the Auto Scaling service role may use.
# model-registry: MLflow's database, its managed master secret and the model artifacts bucket.
# pipelines: the Airflow (MWAA) environment and its DAGs bucket. backup: the AWS Backup vault.
DOMAINS = (
    "cluster-secrets",
    "data-lake",
    "streaming",
    "logs",
    "registry",
    "node-volumes",
    "model-registry",
    "pipelines",
    "backup",
)
DELETION_WINDOW_DAYS = 30


@dataclass(frozen=True)
class KeysArgs:
    account_id: pulumi.Input[str]
    alias_prefix: str  # e.g. "uae-ml-prod" -> alias/uae-ml-prod/<domain>
    protect: bool
    domains: tuple[str, ...] = DOMAINS


class Keys(pulumi.ComponentResource):
    """One rotating, single-Region CMK and alias per data domain."""

    keys: dict[str, aws.kms.Key]
    arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: KeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:security:Keys", name, None, opts)
        unknown = sorted(set(args.domains) - set(DOMAINS))
        if unknown:
            raise ValueError(f"unknown key domain(s) {', '.join(unknown)}; known: {', '.join(DOMAINS)}")
        self.keys = {}
        self.alias_prefix = args.alias_prefix
        for domain in args.domains:
            key = aws.kms.Key(
                f"{name}-{domain}",
                description=f"{args.alias_prefix} {domain} (customer managed, {HOME_REGION} only)",
                enable_key_rotation=True,
                multi_region=False,
                deletion_window_in_days=DELETION_WINDOW_DAYS,
                key_usage="ENCRYPT_DECRYPT",
                customer_master_key_spec="SYMMETRIC_DEFAULT",
                policy=key_policy(domain, args.account_id),
                tags={"Name": f"{args.alias_prefix}-{domain}", "data-domain": domain},
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            aws.kms.Alias(
                f"{name}-{domain}",
                name=f"alias/{args.alias_prefix}/{domain}",
                target_key_id=key.key_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.keys[domain] = key
        self.arns = {domain: key.arn for domain, key in self.keys.items()}
        self.register_outputs({"key_arns": self.arns})

    def arn(self, domain: str) -> pulumi.Output[str]:
        return self.arns[domain]

    def alias(self, domain: str) -> str:
        """The key's alias name, known at preview time (IAM policies name keys through it)."""
        if domain not in self.keys:
            raise KeyError(domain)
        return f"alias/{self.alias_prefix}/{domain}"


def key_policy(domain: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """The key policy: the account administers the key through IAM; services get narrow grants."""
    root = pulumi.Output.concat(f"arn:{PARTITION}:iam::", account_id, ":root")
    statements: list[dict] = [
        {
            # Without this statement the key becomes unmanageable; IAM policies then decide who uses it.
            "Sid": "AccountAdministersKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if domain == "logs":
        statements += [
            {
                "Sid": "CloudWatchLogsInThisRegionAndAccount",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{HOME_REGION}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": pulumi.Output.concat(
                            f"arn:{PARTITION}:logs:{HOME_REGION}:", account_id, ":log-group:*"
                        )
                    }
                },
            },
            {
                "Sid": "CloudTrailEncryptsThisAccountsTrails",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": pulumi.Output.concat(
                            f"arn:{PARTITION}:cloudtrail:{HOME_REGION}:", account_id, ":trail/*"
                        )
                    },
                },
            },
            {
                "Sid": "CloudTrailDescribesKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
        ]
    if domain == "pipelines":
        # MWAA encrypts its own Airflow log groups (airflow-<environment>-*) with the environment's key.
        statements.append(
            {
                "Sid": "CloudWatchLogsForAirflowLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{HOME_REGION}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": pulumi.Output.concat(
                            f"arn:{PARTITION}:logs:{HOME_REGION}:", account_id, ":log-group:airflow-*"
                        )
                    }
                },
            }
        )
    if domain == "node-volumes":
        # Managed node groups launch through Auto Scaling, whose service-linked role must be named in
        # the key policy to use a CMK for EBS volumes. KMS refuses a policy naming a role that does not
        # exist: in a brand-new account run
        # `aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com` first.
        autoscaling = pulumi.Output.concat(
            f"arn:{PARTITION}:iam::",
            account_id,
            ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
        )
        statements += [
            {
                "Sid": "AutoScalingUsesKeyForNodeVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": autoscaling},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
            },
            {
                "Sid": "AutoScalingGrantsForAttachedVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": autoscaling},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": True}},
            },
        ]
    return document(statements)
