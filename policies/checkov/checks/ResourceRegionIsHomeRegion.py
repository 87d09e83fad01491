from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

HOME_REGION = "me-central-1"


class ResourceRegionIsHomeRegion(BaseResourceCheck):
    """Ensure resource region override (per-resource `region`) is me-central-1.

    pulumi-aws v7 (terraform-provider-aws v6) lets any resource set its own `region`, bypassing the
    provider pinned to me-central-1. A region unknown at preview time cannot be shown to be in the UAE.
    """

    def __init__(self) -> None:
        super().__init__(
            name="Ensure resource region override is me-central-1",
            id="CKV_UAE_004",
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_resources=["aws_*"],
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        self.evaluated_keys = ["region"]
        if "region" not in conf:
            return CheckResult.PASSED
        return CheckResult.PASSED if conf["region"] == [HOME_REGION] else CheckResult.FAILED


check = ResourceRegionIsHomeRegion()
