from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

# The region fact the Rego rules read too (policies/rego/data/region.json): this check runs in the
# Checkov venv, which cannot import the platform's packages, so it reads the file itself.
_REGION_FILE = Path(__file__).resolve().parents[2] / "rego" / "data" / "region.json"
HOME_REGION: str = json.loads(_REGION_FILE.read_text(encoding="utf-8"))["home_region"]


class ResourceRegionIsHomeRegion(BaseResourceCheck):
    """Ensure a resource's region override (per-resource `region`) is the home region.

    pulumi-aws v7 (terraform-provider-aws v6) lets any resource set its own `region`, bypassing the
    provider pinned to the home region. A region unknown at preview time cannot be shown to be in the UAE.
    """

    def __init__(self) -> None:
        super().__init__(
            name=f"Ensure resource region override is {HOME_REGION}",
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
