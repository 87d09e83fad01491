from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

# shared/UAE.md: accelerated EC2 families offered in me-central-1. Anything else accelerated
# (g4dn, p3, p4d, p5, inf1/inf2, trn1/trn2, ...) cannot launch there and fails at deploy time.
OFFERED_ACCELERATED_FAMILIES = frozenset({"g5", "g6", "g6e", "p5en"})
ACCELERATED_PREFIXES = ("g", "p", "inf", "trn", "dl", "f", "vt")


def _family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0].lower()


def _is_accelerated(family: str) -> bool:
    return any(family.startswith(prefix) and family[len(prefix) :][:1].isdigit() for prefix in ACCELERATED_PREFIXES)


class EKSNodeGroupInstanceTypesOfferedInRegion(BaseResourceCheck):
    """Ensure EKS node group (and EC2) GPU instance types are offered in me-central-1."""

    def __init__(self) -> None:
        super().__init__(
            name="Ensure EKS node group instance types are offered in me-central-1 (GPU: g5, g6, g6e, p5en)",
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
            if _is_accelerated(family) and family not in OFFERED_ACCELERATED_FAMILIES:
                return CheckResult.FAILED
        return CheckResult.PASSED


check = EKSNodeGroupInstanceTypesOfferedInRegion()
