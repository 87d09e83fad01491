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

from infra.components._iam import PARTITION, document

ABORT_INCOMPLETE_UPLOADS_DAYS = 7


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
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms",
                        kms_master_key_id=args.kms_key_arn,
                    ),
                    # One data key per bucket instead of a KMS call per object: cost and throttling.
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            name,
            bucket=self.bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            name,
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        ownership = aws.s3.BucketOwnershipControls(
            name,
            bucket=self.bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            name,
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-old-versions-and-abandoned-uploads",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.noncurrent_version_days
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=ABORT_INCOMPLETE_UPLOADS_DAYS
                    ),
                )
            ],
            # Lifecycle rules on versions need versioning in place first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        self.policy = aws.s3.BucketPolicy(
            name,
            bucket=self.bucket.id,
            policy=document(
                [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [self.arn, pulumi.Output.concat(self.arn, "/*")],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
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
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access, ownership]),
        )
        # What a consumer should wait for before writing: the bucket with all of its guards.
        self.ready: list[pulumi.Resource] = [self.bucket, encryption, versioning, public_access, self.policy]
        self.register_outputs({"bucket_name": self.name, "bucket_arn": self.arn})
