"""IAM policy documents as plain data, so every component writes least-privilege JSON the same way."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

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


def deny_insecure_transport(bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Bucket-policy statement: the bucket answers TLS requests only."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


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


def irsa_trust_policy(provider_arn: str, issuer: str | None, namespace: str, service_account: str) -> str:
    """Trust one Kubernetes service account (and only for STS audience) through the cluster's OIDC issuer."""
    host = (issuer or "").removeprefix("https://")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                            f"{host}:aud": "sts.amazonaws.com",
                        }
                    },
                }
            ],
        }
    )


def irsa_role(
    name: str,
    *,
    namespace: str,
    service_account: str,
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer: pulumi.Input[str],
    description: str,
    policy: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    role_name: str | None = None,
    max_session_duration: int | None = None,
    tags: dict[str, str] | None = None,
) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    """An IRSA role that only `namespace:service_account` can assume, and its one inline policy.

    Both resources take `name` (so their URNs are the name), under the caller's `opts` (its parent).
    """
    trust = pulumi.Output.all(oidc_provider_arn, oidc_issuer).apply(
        lambda values: irsa_trust_policy(values[0], values[1], namespace, service_account)
    )
    role = aws.iam.Role(
        name,
        name=role_name,
        description=description,
        assume_role_policy=trust,
        max_session_duration=max_session_duration,
        tags=tags,
        opts=opts,
    )
    inline = aws.iam.RolePolicy(name, role=role.id, policy=policy, opts=opts)
    return role, inline
