"""IAM policy documents as plain data, so every component writes least-privilege JSON the same way."""

from __future__ import annotations

import json
from typing import Any

import pulumi

PARTITION = "aws"  # me-central-1 is a commercial-partition region; no getPartition invoke needed.


def service_trust_policy(service: str, conditions: dict[str, Any] | None = None) -> str:
    """A trust policy that lets one AWS service principal assume the role."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if conditions:
        statement["Condition"] = conditions
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def account_scoped_trust_policy(
    service: str, account_id: pulumi.Input[str], source_arn: str | None = None
) -> pulumi.Output[str]:
    """Trust for a service principal acting for this account only (confused-deputy guard).

    `source_arn` may contain `{account}`; it narrows the trust to matching source resources.
    """

    def render(account: str) -> str:
        conditions: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account}}
        if source_arn:
            conditions["ArnLike"] = {"aws:SourceArn": source_arn.format(account=account)}
        return service_trust_policy(service, conditions)

    return pulumi.Output.from_input(account_id).apply(render)


def managed_policy_arn(name: str) -> str:
    return f"arn:{PARTITION}:iam::aws:policy/{name}"


def document(statements: list[dict[str, Any]]) -> pulumi.Output[str]:
    """A policy document whose statements may hold Outputs (ARNs, account ids)."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements})
