from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class MSKClientBrokerTLSOnly(BaseResourceCheck):
    """Ensure MSK cluster client-broker encryption is TLS only.

    Unlike CKV_AWS_81 this does not require an `encryption_info` block (AWS defaults to TLS) and
    ignores `in_cluster`; it only rejects a client-broker setting other than `TLS` (`TLS_PLAINTEXT`,
    `PLAINTEXT`), so it can deny everywhere while CKV_AWS_81 carries the rest.
    """

    def __init__(self) -> None:
        super().__init__(
            name="Ensure MSK cluster client-broker encryption is TLS only",
            id="CKV_UAE_002",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_msk_cluster"],
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        self.evaluated_keys = ["encryption_info/[0]/encryption_in_transit/[0]/client_broker"]
        encryption_info = (conf.get("encryption_info") or [{}])[0]
        in_transit = (
            (encryption_info.get("encryption_in_transit") or [{}])[0] if isinstance(encryption_info, dict) else {}
        )
        client_broker = (in_transit.get("client_broker") or ["TLS"])[0] if isinstance(in_transit, dict) else "TLS"
        return CheckResult.PASSED if client_broker == "TLS" else CheckResult.FAILED


check = MSKClientBrokerTLSOnly()
