"""IAM policy documents as plain data, so every component writes least-privilege JSON the same way."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from infra.config import HOME_REGION

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


def kms_use_by_alias(
    sid: str,
    account_id: pulumi.Input[str],
    aliases: list[str],
    actions: list[str],
    via_service: str | list[str] | None = None,
    extra_conditions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Use of this account's CMKs named by alias (`alias/<prefix>/<domain>`), not by key ARN.

    A key ARN is computed (a generated key id), so a statement naming it is unknown at preview time
    and the gate cannot read it; the alias is known, and `kms:ResourceAliases` pins the key just as
    narrowly. `via_service` (e.g. `s3.me-central-1.amazonaws.com`) limits use to one AWS service.
    """
    conditions: dict[str, Any] = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": list(aliases)}}
    if via_service:
        services = [via_service] if isinstance(via_service, str) else list(via_service)
        conditions["StringEquals"] = {"kms:ViaService": services[0] if len(services) == 1 else services}
    conditions |= extra_conditions or {}
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": pulumi.Output.concat(f"arn:{PARTITION}:kms:{HOME_REGION}:", account_id, ":key/*"),
        "Condition": conditions,
    }
