"""IRSA roles for the platform's workloads: one role per Kubernetes service account, narrow policies.

Each role trusts exactly one `system:serviceaccount:<namespace>:<name>` subject with the
`sts.amazonaws.com` audience through the cluster's OIDC provider, and its inline policy names the
buckets, keys, secrets, topics and groups of that workload only. The statements are built from
known names (prefix, account id) rather than resource outputs, so the gate reads them at preview.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components._iam import PARTITION, document, irsa_role, kms_use_by_alias
from infra.config import HOME_REGION

Statement = dict[str, Any]
MAX_SESSION_SECONDS = 3600


@dataclass(frozen=True)
class WorkloadIdentity:
    namespace: str
    service_account: str
    statements: tuple[Statement, ...]  # values may be Outputs (ARNs built from the account id)
    description: str


@dataclass(frozen=True)
class WorkloadRolesArgs:
    role_prefix: str  # e.g. uae-ml-prod -> uae-ml-prod-feast-server
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    identities: Mapping[str, WorkloadIdentity]  # role name -> who and what


class WorkloadRoles(pulumi.ComponentResource):
    """An IAM role and inline policy per workload identity."""

    roles: dict[str, aws.iam.Role]

    def __init__(self, name: str, args: WorkloadRolesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:identity:WorkloadRoles", name, None, opts)
        self.roles = {}
        for role_name, identity in args.identities.items():
            if not identity.statements:
                raise ValueError(f"workload role {role_name} has no permissions; drop it instead")
            role, _ = irsa_role(
                f"{name}-{role_name}",
                namespace=identity.namespace,
                service_account=identity.service_account,
                oidc_provider_arn=args.oidc_provider_arn,
                oidc_issuer=args.oidc_issuer,
                role_name=f"{args.role_prefix}-{role_name}",
                description=f"IRSA {identity.namespace}/{identity.service_account}: {identity.description}",
                policy=document(list(identity.statements)),
                max_session_duration=MAX_SESSION_SECONDS,
                tags={
                    "kubernetes-namespace": identity.namespace,
                    "kubernetes-service-account": identity.service_account,
                },
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.roles[role_name] = role
        self.arns = {role_name: role.arn for role_name, role in self.roles.items()}
        self.register_outputs({"role_arns": self.arns})


# --- statement builders ------------------------------------------------------------------------


def _objects(bucket_arns: Sequence[pulumi.Input[str]]) -> list[pulumi.Output[str]]:
    return [pulumi.Output.concat(arn, "/*") for arn in bucket_arns]


def bucket_read(sid: str, bucket_arns: Sequence[pulumi.Input[str]]) -> list[Statement]:
    return [
        {"Sid": f"{sid}List", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
         "Resource": list(bucket_arns)},
        {"Sid": f"{sid}Get", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
         "Resource": _objects(bucket_arns)},
    ]  # fmt: skip


def bucket_write(sid: str, bucket_arns: Sequence[pulumi.Input[str]], delete: bool = False) -> list[Statement]:
    actions = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    if delete:
        actions.append("s3:DeleteObject")
    return [{"Sid": f"{sid}Put", "Effect": "Allow", "Action": actions, "Resource": _objects(bucket_arns)}]


def kms_through(
    sid: str, account_id: pulumi.Input[str], aliases: Sequence[str], service: str, encrypt: bool
) -> Statement:
    """Use of CMKs (named by alias) only on behalf of one regional service (S3, Secrets Manager)."""
    actions = ["kms:Decrypt", "kms:DescribeKey"]
    if encrypt:
        actions += ["kms:GenerateDataKey"]
    return kms_use_by_alias(sid, account_id, list(aliases), actions, f"{service}.{HOME_REGION}.amazonaws.com")


def secret_read(sid: str, secret_arn: pulumi.Input[str], condition: Mapping[str, Any] | None = None) -> Statement:
    statement: Statement = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        "Resource": secret_arn,
    }
    if condition:
        statement["Condition"] = dict(condition)
    return statement


@dataclass(frozen=True)
class KafkaAccess:
    """What one client may do on the MSK cluster (IAM access control: no Kafka ACLs involved)."""

    read_topics: tuple[str, ...] = ()
    write_topics: tuple[str, ...] = ()
    consumer_groups: tuple[str, ...] = ()


def kafka_access(account_id: pulumi.Input[str], cluster_name: str, access: KafkaAccess) -> list[Statement]:
    # MSK ARNs carry a generated cluster UUID; `*` stands for it, the cluster name pins the cluster.
    base = pulumi.Output.concat(f"arn:{PARTITION}:kafka:{HOME_REGION}:", account_id, ":")

    def arn(kind: str, name: str = "") -> pulumi.Output[str]:
        suffix = f"{kind}/{cluster_name}/*" + (f"/{name}" if name else "")
        return pulumi.Output.concat(base, suffix)

    statements: list[Statement] = [
        {"Sid": "KafkaConnect", "Effect": "Allow",
         "Action": ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"], "Resource": arn("cluster")},
    ]  # fmt: skip
    if access.read_topics:
        statements.append(
            {"Sid": "KafkaReadTopics", "Effect": "Allow",
             "Action": ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
             "Resource": [arn("topic", t) for t in access.read_topics]}
        )  # fmt: skip
    if access.write_topics:
        statements += [
            {"Sid": "KafkaWriteTopics", "Effect": "Allow",
             "Action": ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
             "Resource": [arn("topic", t) for t in access.write_topics]},
            # Idempotent producers (no duplicates on retry) need this on the cluster itself.
            {"Sid": "KafkaIdempotentWrites", "Effect": "Allow", "Action": "kafka-cluster:WriteDataIdempotently",
             "Resource": arn("cluster")},
        ]  # fmt: skip
    if access.consumer_groups:
        statements.append(
            {"Sid": "KafkaConsumerGroups", "Effect": "Allow",
             "Action": ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
             "Resource": [arn("group", g) for g in access.consumer_groups]}
        )  # fmt: skip
    return statements
