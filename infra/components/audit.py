"""Account audit in the UAE: an in-region CloudTrail into a locked, KMS-encrypted bucket, and GuardDuty.

The trail is deliberately single-Region (`is_multi_region_trail=False`): the platform runs only in
me-central-1, and a multi-Region trail would gather other Regions' events into this bucket while
advertising a footprint the platform does not have.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components._iam import PARTITION, account_scoped_trust_policy, deny_insecure_transport, document
from infra.components.bucket import bucket_guards
from infra.config import HOME_REGION

GUARDDUTY_FEATURES: dict[str, tuple[str, ...]] = {
    # Kubernetes audit logs of the EKS control plane.
    "EKS_AUDIT_LOGS": (),
    # Runtime monitoring (supersedes EKS_RUNTIME_MONITORING); GuardDuty manages its EKS agent add-on.
    "RUNTIME_MONITORING": ("EKS_ADDON_MANAGEMENT",),
}


def cloudtrail_bucket_statements(
    bucket_arn: pulumi.Input[str], account_id: pulumi.Input[str], trail_arn: pulumi.Input[str]
) -> list[dict[str, Any]]:
    """Bucket-policy statements that let one trail (by ARN) check the ACL and write its log files."""
    return [
        {
            "Sid": "CloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
        },
        {
            "Sid": "CloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": pulumi.Output.concat(bucket_arn, "/AWSLogs/", account_id, "/*"),
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn, "s3:x-amz-acl": "bucket-owner-full-control"}},
        },
    ]


def trail_arn_of(account_id: pulumi.Input[str], trail_name: str) -> pulumi.Output[str]:
    """A trail's ARN from known values, so policies naming it are readable at preview time."""
    return pulumi.Output.concat(f"arn:{PARTITION}:cloudtrail:{HOME_REGION}:", account_id, f":trail/{trail_name}")


@dataclass(frozen=True)
class AuditArgs:
    trail_name: str
    account_id: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int
    protect: bool


class Audit(pulumi.ComponentResource):
    """CloudTrail (bucket + CloudWatch Logs) and a GuardDuty detector with EKS protection."""

    def __init__(self, name: str, args: AuditArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:audit:Audit", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        trail_arn = trail_arn_of(args.account_id, args.trail_name)

        # Names and ARNs built from known values (account id, names), not from outputs, so the
        # policies below are known at preview time and the gate can read them.
        bucket_name = pulumi.Output.concat(args.trail_name, "-", args.account_id)
        bucket_arn = pulumi.Output.concat(f"arn:{PARTITION}:s3:::", bucket_name)
        log_group_name = f"/aws/cloudtrail/{args.trail_name}"
        log_group_arn = pulumi.Output.concat(
            f"arn:{PARTITION}:logs:{HOME_REGION}:", args.account_id, f":log-group:{log_group_name}"
        )
        self.bucket = aws.s3.Bucket(
            f"{name}-trail",
            bucket=bucket_name,
            force_destroy=False,
            tags={"Name": f"{args.trail_name}-trail", "data-domain": "logs"},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        guards = bucket_guards(f"{name}-trail", self.bucket.id, args.logs_key_arn, child)
        policy = aws.s3.BucketPolicy(
            f"{name}-trail",
            bucket=self.bucket.id,
            policy=document(
                [
                    *cloudtrail_bucket_statements(bucket_arn, args.account_id, trail_arn),
                    deny_insecure_transport(bucket_arn),
                ]
            ),
            # The public access block must exist first, or S3 may evaluate the policy without it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[guards.public_access, guards.ownership]),
        )

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-trail",
            name=log_group_name,
            kms_key_id=args.logs_key_arn,
            retention_in_days=args.log_retention_days,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        delivery_role = aws.iam.Role(
            f"{name}-trail-logs",
            description="CloudTrail delivery to CloudWatch Logs",
            assume_role_policy=account_scoped_trust_policy("cloudtrail.amazonaws.com", args.account_id),
            opts=child,
        )
        delivery_policy = aws.iam.RolePolicy(
            f"{name}-trail-logs",
            role=delivery_role.id,
            policy=document(
                [
                    {
                        "Sid": "WriteToTheTrailLogGroupOnly",
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": pulumi.Output.concat(log_group_arn, ":log-stream:*"),
                    }
                ]
            ),
            opts=child,
        )

        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=args.trail_name,
            s3_bucket_name=self.bucket.id,
            kms_key_id=args.logs_key_arn,
            enable_logging=True,
            enable_log_file_validation=True,
            is_multi_region_trail=False,
            is_organization_trail=False,
            include_global_service_events=True,
            cloud_watch_logs_group_arn=pulumi.Output.concat(log_group.arn, ":*"),
            cloud_watch_logs_role_arn=delivery_role.arn,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[policy, guards.encryption, guards.versioning, delivery_policy],
            ),
        )

        self.detector = aws.guardduty.Detector(
            f"{name}-guardduty",
            enable=True,
            finding_publishing_frequency="FIFTEEN_MINUTES",
            opts=child,
        )
        for feature, extra in GUARDDUTY_FEATURES.items():
            aws.guardduty.DetectorFeature(
                f"{name}-{feature.lower().replace('_', '-')}",
                detector_id=self.detector.id,
                name=feature,
                status="ENABLED",
                additional_configurations=[
                    aws.guardduty.DetectorFeatureAdditionalConfigurationArgs(name=item, status="ENABLED")
                    for item in extra
                ]
                or None,
                opts=child,
            )

        self.register_outputs(
            {
                "trail_arn": self.trail.arn,
                "bucket_name": self.bucket.id,
                "detector_id": self.detector.id,
            }
        )
