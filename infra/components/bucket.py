"""One hardened S3 bucket: SSE-KMS with a CMK, versioning, no public access, TLS only, lifecycle.

Every data bucket of the platform (feature store, model artifacts, checkpoints, Airflow DAGs) is
built by this component, so the hardening cannot drift between them. No replication is ever
configured: S3 replication is a path out of me-central-1 (UAE PDPL Art. 22-23), and DR is AWS
Backup into the in-region vault. Versioning is also what AWS Backup needs to back a bucket up.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.components._iam import PARTITION, deny_insecure_transport, document

ABORT_INCOMPLETE_UPLOADS_DAYS = 7


@dataclass(frozen=True)
class BucketGuards:
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    versioning: aws.s3.BucketVersioning
    public_access: aws.s3.BucketPublicAccessBlock
    ownership: aws.s3.BucketOwnershipControls


def bucket_guards(
    name: str, bucket_id: pulumi.Input[str], kms_key_arn: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> BucketGuards:
    """The hardening every bucket gets (here, in the audit trail and in the bootstrap): SSE-KMS with a
    CMK, versioning, all public access blocked, object ownership enforced (no ACLs)."""
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        bucket=bucket_id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms",
                    kms_master_key_id=kms_key_arn,
                ),
                # One data key per bucket instead of a KMS call per object: cost and throttling.
                bucket_key_enabled=True,
            )
        ],
        opts=opts,
    )
    versioning = aws.s3.BucketVersioning(
        name,
        bucket=bucket_id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=opts,
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        name,
        bucket=bucket_id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    ownership = aws.s3.BucketOwnershipControls(
        name,
        bucket=bucket_id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=opts,
    )
    return BucketGuards(encryption, versioning, public_access, ownership)


def expire_noncurrent_versions(
    name: str,
    bucket_id: pulumi.Input[str],
    *,
    rule_id: str,
    noncurrent_days: int,
    versioning: aws.s3.BucketVersioning,
    parent: pulumi.Resource,
) -> aws.s3.BucketLifecycleConfiguration:
    """Old object versions and abandoned multipart uploads expire (they cost, and hold data longer)."""
    return aws.s3.BucketLifecycleConfiguration(
        name,
        bucket=bucket_id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id=rule_id,
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=noncurrent_days
                ),
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=ABORT_INCOMPLETE_UPLOADS_DAYS
                ),
            )
        ],
        # Lifecycle rules on versions need versioning in place first.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]),
    )


@dataclass(frozen=True)
class SecureBucketArgs:
    # Known at preview time (a prefix and the account id), so policies naming the bucket are readable.
    bucket_name: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    purpose: str  # a short tag value: offline-store, feast-registry, model-artifacts ...
    protect: bool
    noncurrent_version_days: int = 90


class SecureBucket(pulumi.ComponentResource):
    """A private, CMK-encrypted, versioned bucket that only answers TLS requests."""

    bucket: aws.s3.Bucket

    def __init__(self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:data:SecureBucket", name, None, opts)
        if args.noncurrent_version_days < 1:
            raise ValueError(f"{name}: noncurrent_version_days must be at least 1")
        child = pulumi.ResourceOptions(parent=self)
        self.name = pulumi.Output.from_input(args.bucket_name)
        self.arn = pulumi.Output.concat(f"arn:{PARTITION}:s3:::", args.bucket_name)

        self.bucket = aws.s3.Bucket(
            name,
            bucket=args.bucket_name,
            force_destroy=False,
            tags={"Name": name, "data-domain": args.purpose},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        guards = bucket_guards(name, self.bucket.id, args.kms_key_arn, child)
        expire_noncurrent_versions(
            name,
            self.bucket.id,
            rule_id="expire-old-versions-and-abandoned-uploads",
            noncurrent_days=args.noncurrent_version_days,
            versioning=guards.versioning,
            parent=self,
        )
        self.policy = aws.s3.BucketPolicy(
            name,
            bucket=self.bucket.id,
            policy=document(
                [
                    deny_insecure_transport(self.arn),
                    {
                        # A client may not opt out of SSE-KMS (e.g. ask for SSE-S3) on upload; without the
                        # header the bucket's default (the CMK) applies.
                        "Sid": "DenyUploadsWithoutKms",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:PutObject",
                        "Resource": pulumi.Output.concat(self.arn, "/*"),
                        "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
                    },
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[guards.public_access, guards.ownership]),
        )
        # What a consumer should wait for before writing: the bucket with all of its guards.
        self.ready: list[pulumi.Resource] = [
            self.bucket,
            guards.encryption,
            guards.versioning,
            guards.public_access,
            self.policy,
        ]
        self.register_outputs({"bucket_name": self.name, "bucket_arn": self.arn})
