"""The bootstrap's composition root: config -> one provider pinned to me-central-1 -> components."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from bootstrap.components import (
    AccountAudit,
    AccountAuditArgs,
    GithubCiRoles,
    GithubCiRolesArgs,
    StateBackend,
    StateBackendArgs,
)
from bootstrap.config import HOME_REGION, BootstrapConfig

STATE_BUCKET_PREFIX = "uae-ml-pulumi-state"
KEY_ALIAS_PREFIX = "uae-ml-pulumi"
TRAIL_NAME = "uae-ml-account-audit"


def build(cfg: BootstrapConfig) -> dict[str, pulumi.Output]:
    provider = aws.Provider(
        "uae",
        region=HOME_REGION,
        default_tags=aws.ProviderDefaultTagsArgs(tags=cfg.tags),
        sts_region=HOME_REGION,  # the global STS endpoint is served outside the UAE
    )
    with_aws = pulumi.ResourceOptions(providers=[provider])
    account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider)).account_id
    state = StateBackend(
        "state",
        StateBackendArgs(
            account_id=account_id, bucket_prefix=STATE_BUCKET_PREFIX, alias_prefix=KEY_ALIAS_PREFIX, tags=cfg.tags
        ),
        with_aws,
    )
    audit = AccountAudit(
        "audit", AccountAuditArgs(account_id=account_id, trail_name=TRAIL_NAME, tags=cfg.tags), with_aws
    )
    subjects = {env: cfg.subject(env) for env in cfg.environments}
    subjects.update({f"{env}-preview": cfg.subject(f"{env}-preview") for env in cfg.environments})
    roles = GithubCiRoles(
        "github",
        GithubCiRolesArgs(
            account_id=account_id,
            subjects=subjects,
            environments=cfg.environments,
            state_bucket_arn=state.bucket_arn,
            key_aliases=state.key_aliases,
            session_hours=cfg.role_session_hours,
        ),
        with_aws,
    )
    return {
        "state_bucket": state.bucket_name,
        "backend_url": pulumi.Output.concat("s3://", state.bucket_name, f"?region={HOME_REGION}"),
        "secrets_provider": pulumi.Output.from_input(state.secrets_provider),
        "trail_arn": audit.trail.arn,
        "oidc_provider_arn": roles.provider.arn,
        "deploy_role_arns": pulumi.Output.from_input({env: r.arn for env, r in roles.deploy_roles.items()}),
        "preview_role_arns": pulumi.Output.from_input({env: r.arn for env, r in roles.preview_roles.items()}),
    }
