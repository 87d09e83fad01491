"""ECR repositories for the platform's own images: immutable tags, scan on push, CMK-encrypted.

No replication configuration is ever attached: ECR replication is a path out of the region.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

WORKLOADS = ("training", "serving", "streaming", "monitoring", "features")
UNTAGGED_EXPIRY_DAYS = 14
LIFECYCLE_POLICY = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images after {UNTAGGED_EXPIRY_DAYS} days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": UNTAGGED_EXPIRY_DAYS,
                },
                "action": {"type": "expire"},
            }
        ]
    }
)


@dataclass(frozen=True)
class RegistryArgs:
    repository_prefix: str  # e.g. "uae-ml-prod" -> uae-ml-prod/training
    kms_key_arn: pulumi.Input[str]
    protect: bool
    workloads: tuple[str, ...] = WORKLOADS


class Registry(pulumi.ComponentResource):
    """One repository (and lifecycle policy) per workload image."""

    repositories: dict[str, aws.ecr.Repository]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:registry:Registry", name, None, opts)
        self.repositories = {}
        for workload in args.workloads:
            repository = aws.ecr.Repository(
                f"{name}-{workload}",
                name=f"{args.repository_prefix}/{workload}",
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(
                        encryption_type="KMS",
                        kms_key=args.kms_key_arn,
                    )
                ],
                force_delete=False,
                tags={"Name": f"{args.repository_prefix}/{workload}", "workload": workload},
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{workload}",
                repository=repository.name,
                policy=LIFECYCLE_POLICY,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.repositories[workload] = repository
        self.repository_urls = {workload: repo.repository_url for workload, repo in self.repositories.items()}
        self.register_outputs({"repository_urls": self.repository_urls})
