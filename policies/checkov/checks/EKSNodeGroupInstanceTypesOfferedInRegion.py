from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

# The facts the Rego rule UAE-RES-012 reads too (policies/rego/data/*.json): this check runs in the
# Checkov venv, which cannot import the platform's packages, so it reads the files itself. An
# accelerated family (g4dn, p3, p4d, p5, inf1/inf2, trn1/trn2, ...) that is not offered in the home
# region cannot launch there and fails at deploy time.
_DATA_DIR = Path(__file__).resolve().parents[2] / "rego" / "data"
_FAMILIES = json.loads((_DATA_DIR / "instance_families.json").read_text(encoding="utf-8"))
HOME_REGION: str = json.loads((_DATA_DIR / "region.json").read_text(encoding="utf-8"))["home_region"]
OFFERED_ACCELERATED_FAMILIES = frozenset(_FAMILIES["gpu_families_offered"])
ACCELERATED_FAMILIES = frozenset(_FAMILIES["accelerated_families"])


def _family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0].lower()


class EKSNodeGroupInstanceTypesOfferedInRegion(BaseResourceCheck):
    """Ensure EKS node group (and EC2) GPU instance types are offered in the home region."""

    def __init__(self) -> None:
        super().__init__(
            name=f"Ensure EKS node group instance types are offered in {HOME_REGION} "
            f"(GPU: {', '.join(sorted(OFFERED_ACCELERATED_FAMILIES))})",
            id="CKV_UAE_001",
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_resources=["aws_eks_node_group", "aws_instance", "aws_launch_template"],
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        key = "instance_types" if self.entity_type == "aws_eks_node_group" else "instance_type"
        self.evaluated_keys = [key]
        values = conf.get(key) or []
        types = values[0] if values and isinstance(values[0], list) else values
        for instance_type in types:
            if not isinstance(instance_type, str):
                continue
            family = _family(instance_type)
            if family in ACCELERATED_FAMILIES and family not in OFFERED_ACCELERATED_FAMILIES:
                return CheckResult.FAILED
        return CheckResult.PASSED


check = EKSNodeGroupInstanceTypesOfferedInRegion()
