from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.common.util.consts import TRUE_AFTER_UNKNOWN
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

# How the gate's normalized input shows a Pulumi secret (docs/gate-input.md).
SECRET_MARKER = "[secret]"


class ElastiCacheReplicationGroupAuthTokenSecret(BaseResourceCheck):
    """Ensure ElastiCache replication group has auth token (a Pulumi secret) or RBAC user groups.

    CKV_AWS_31 accepts any auth token; a token that reaches the preview as plain text is stored
    unencrypted in the Pulumi state and CI logs, so it fails here.
    """

    def __init__(self) -> None:
        super().__init__(
            name="Ensure ElastiCache replication group has auth token that is a secret, or RBAC user groups",
            id="CKV_UAE_003",
            categories=[CheckCategories.SECRETS],
            supported_resources=["aws_elasticache_replication_group"],
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        self.evaluated_keys = ["auth_token", "user_group_ids"]
        if conf.get("user_group_ids") and conf["user_group_ids"] != [[]]:
            return CheckResult.PASSED
        token = (conf.get("auth_token") or [None])[0]
        if token in (SECRET_MARKER, TRUE_AFTER_UNKNOWN):
            return CheckResult.PASSED
        return CheckResult.FAILED


check = ElastiCacheReplicationGroupAuthTokenSecret()
