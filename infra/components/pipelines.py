"""Airflow for the retraining pipeline as Amazon MWAA (docs/adr/0007-airflow-on-mwaa.md).

Private web server only (reached through the VPC), CMK encryption, every Airflow log type sent to
CloudWatch, the DAGs in a hardened in-region bucket, and an execution role limited to what MWAA
documents for a customer-managed key: its own metrics, log groups, Celery queues and DAGs bucket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.components._iam import PARTITION, document, kms_use_by_alias
from infra.components.bucket import SecureBucket, SecureBucketArgs
from infra.config import HOME_REGION, PipelinesConfig

MWAA_SUBNETS = 2  # MWAA takes exactly two private subnets in different zones
DAGS_PATH = "dags/"
LOG_LEVELS = {
    "dag_processing_logs": "INFO",
    "scheduler_logs": "INFO",
    "task_logs": "INFO",
    "webserver_logs": "WARNING",
    "worker_logs": "INFO",
}
AIRFLOW_OPTIONS = {
    "core.load_examples": "False",
    "webserver.expose_config": "False",
}


def first_two(subnet_ids: Sequence[str]) -> list[str]:
    if len(subnet_ids) < MWAA_SUBNETS:
        raise ValueError(f"MWAA needs {MWAA_SUBNETS} private subnets, got {len(subnet_ids)}")
    return list(subnet_ids[:MWAA_SUBNETS])


@dataclass(frozen=True)
class PipelinesArgs:
    name_prefix: str
    account_id: pulumi.Input[str]
    settings: PipelinesConfig
    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[Sequence[str]]
    kms_key_arn: pulumi.Input[str]  # the pipelines key
    kms_key_alias: str  # its alias: the execution role's policy names the key through it
    protect: bool


class Pipelines(pulumi.ComponentResource):
    """The MWAA environment, its DAGs bucket, execution role and security group."""

    environment: aws.mwaa.Environment

    def __init__(self, name: str, args: PipelinesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:pipelines:Pipelines", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prefix = args.name_prefix
        environment_name = f"{prefix}-airflow"
        account = args.account_id

        self.dags = SecureBucket(
            f"{name}-dags",
            SecureBucketArgs(
                # MWAA requires its source bucket's name to start with "airflow-".
                bucket_name=pulumi.Output.concat("airflow-", prefix, "-dags-", account),
                kms_key_arn=args.kms_key_arn,
                purpose="airflow-dags",
                protect=args.protect,
            ),
            child,
        )
        environment_arn = pulumi.Output.concat(
            f"arn:{PARTITION}:airflow:{HOME_REGION}:", account, f":environment/{environment_name}"
        )
        log_groups_arn = pulumi.Output.concat(
            f"arn:{PARTITION}:logs:{HOME_REGION}:", account, f":log-group:airflow-{environment_name}-*"
        )
        role = aws.iam.Role(
            f"{name}-execution",
            description=f"Execution role of the {environment_name} MWAA environment",
            assume_role_policy=document(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": ["airflow.amazonaws.com", "airflow-env.amazonaws.com"]},
                        "Action": "sts:AssumeRole",
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": account},
                            "ArnLike": {"aws:SourceArn": environment_arn},
                        },
                    }
                ]
            ),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-execution",
            role=role.id,
            policy=document(
                [
                    {
                        "Sid": "PublishOwnMetrics",
                        "Effect": "Allow",
                        "Action": "airflow:PublishMetrics",
                        "Resource": environment_arn,
                    },
                    {
                        "Sid": "ReadDags",
                        "Effect": "Allow",
                        "Action": ["s3:GetObject*", "s3:GetBucket*", "s3:List*"],
                        "Resource": [self.dags.arn, pulumi.Output.concat(self.dags.arn, "/*")],
                    },
                    {
                        "Sid": "WriteOwnLogGroups",
                        "Effect": "Allow",
                        "Action": [
                            "logs:CreateLogStream",
                            "logs:CreateLogGroup",
                            "logs:PutLogEvents",
                            "logs:GetLogEvents",
                            "logs:GetLogRecord",
                            "logs:GetLogGroupFields",
                            "logs:GetQueryResults",
                        ],
                        "Resource": [log_groups_arn],
                    },
                    # The actions below have no resource-level permissions (AWS documents "*").
                    {
                        "Sid": "DescribeLogGroupsAndPublicAccessBlock",
                        "Effect": "Allow",
                        "Action": ["logs:DescribeLogGroups", "s3:GetAccountPublicAccessBlock"],
                        "Resource": "*",
                    },
                    {
                        "Sid": "AirflowMetrics",
                        "Effect": "Allow",
                        "Action": "cloudwatch:PutMetricData",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"cloudwatch:namespace": "AmazonMWAA"}},
                    },
                    # MWAA's Celery queues live in an AWS-owned account, hence the wildcard account.
                    {
                        "Sid": "CeleryQueues",
                        "Effect": "Allow",
                        "Action": [
                            "sqs:ChangeMessageVisibility",
                            "sqs:DeleteMessage",
                            "sqs:GetQueueAttributes",
                            "sqs:GetQueueUrl",
                            "sqs:ReceiveMessage",
                            "sqs:SendMessage",
                        ],
                        "Resource": f"arn:{PARTITION}:sqs:{HOME_REGION}:*:airflow-celery-*",
                    },
                    kms_use_by_alias(
                        "UsePipelinesKeyThroughSqsAndS3",
                        account,
                        [args.kms_key_alias],
                        ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Encrypt"],
                        [f"sqs.{HOME_REGION}.amazonaws.com", f"s3.{HOME_REGION}.amazonaws.com"],
                    ),
                ]
            ),
            opts=child,
        )

        security_group = aws.ec2.SecurityGroup(
            f"{name}-airflow",
            description=f"{environment_name}: Airflow components talk to each other; HTTPS out to AWS APIs",
            vpc_id=args.vpc_id,
            # MWAA requires a self-referencing rule; nothing outside the group may connect.
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    description="Airflow components of this environment", protocol="-1", from_port=0, to_port=0,
                    self=True,
                )
            ],
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    description="Airflow components of this environment", protocol="-1", from_port=0, to_port=0,
                    self=True,
                ),
                aws.ec2.SecurityGroupEgressArgs(
                    description="HTTPS to regional AWS APIs (S3, SQS, Logs, KMS, MWAA)", protocol="tcp",
                    from_port=443, to_port=443, cidr_blocks=["0.0.0.0/0"],
                ),
            ],
            revoke_rules_on_delete=True,
            tags={"Name": environment_name},
            opts=child,
        )  # fmt: skip

        settings = args.settings
        self.environment = aws.mwaa.Environment(
            f"{name}-mwaa",
            name=environment_name,
            airflow_version=settings.airflow_version,
            environment_class=settings.environment_class,
            min_workers=settings.min_workers,
            max_workers=settings.max_workers,
            execution_role_arn=role.arn,
            kms_key=args.kms_key_arn,
            source_bucket_arn=self.dags.arn,
            dag_s3_path=DAGS_PATH,
            webserver_access_mode="PRIVATE_ONLY",
            endpoint_management="SERVICE",
            network_configuration=aws.mwaa.EnvironmentNetworkConfigurationArgs(
                security_group_ids=[security_group.id],
                subnet_ids=pulumi.Output.from_input(args.private_subnet_ids).apply(first_two),
            ),
            logging_configuration=aws.mwaa.EnvironmentLoggingConfigurationArgs(
                dag_processing_logs=aws.mwaa.EnvironmentLoggingConfigurationDagProcessingLogsArgs(
                    enabled=True, log_level=LOG_LEVELS["dag_processing_logs"]
                ),
                scheduler_logs=aws.mwaa.EnvironmentLoggingConfigurationSchedulerLogsArgs(
                    enabled=True, log_level=LOG_LEVELS["scheduler_logs"]
                ),
                task_logs=aws.mwaa.EnvironmentLoggingConfigurationTaskLogsArgs(
                    enabled=True, log_level=LOG_LEVELS["task_logs"]
                ),
                webserver_logs=aws.mwaa.EnvironmentLoggingConfigurationWebserverLogsArgs(
                    enabled=True, log_level=LOG_LEVELS["webserver_logs"]
                ),
                worker_logs=aws.mwaa.EnvironmentLoggingConfigurationWorkerLogsArgs(
                    enabled=True, log_level=LOG_LEVELS["worker_logs"]
                ),
            ),
            airflow_configuration_options=AIRFLOW_OPTIONS,
            tags={"Name": environment_name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, *self.dags.ready]),
        )
        self.execution_role = role
        self.register_outputs(
            {
                "environment_arn": self.environment.arn,
                "webserver_url": self.environment.webserver_url,
                "dags_bucket": self.dags.name,
                "execution_role_arn": role.arn,
            }
        )
