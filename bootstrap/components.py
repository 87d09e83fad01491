"""The bootstrap's components: state backend, account audit trail, GitHub OIDC and the CI roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from bootstrap.config import HOME_REGION
from infra.components._iam import PARTITION, deny_insecure_transport, document
from infra.components.audit import cloudtrail_bucket_statements, trail_arn_of
from infra.components.bucket import bucket_guards, expire_noncurrent_versions

GITHUB_ISSUER = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
STATE_VERSION_DAYS = 365  # old state versions: the rollback and forensics window
ROLE_PREFIX = "uae-ml-github"


def key_policy(
    account_id: pulumi.Input[str], service_statements: list[dict[str, Any]] | None = None
) -> pulumi.Output[str]:
    root = pulumi.Output.concat(f"arn:{PARTITION}:iam::", account_id, ":root")
    return document(
        [
            {
                # Without it the key is unmanageable; IAM policies then decide who uses it.
                "Sid": "AccountAdministersKeyThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*",
            },
            *(service_statements or []),
        ]
    )


def hardened_bucket(
    parent: pulumi.Resource,
    name: str,
    bucket: pulumi.Input[str],
    key_arn: pulumi.Input[str],
    extra_statements: list[dict[str, Any]],
    protect: bool,
    tags: dict[str, str],
) -> tuple[aws.s3.Bucket, aws.s3.BucketPolicy]:
    """An S3 bucket: SSE-KMS, versioned, owner-enforced, no public access, TLS only."""
    child = pulumi.ResourceOptions(parent=parent)
    resource = aws.s3.Bucket(
        name, bucket=bucket, force_destroy=False, tags=tags, opts=pulumi.ResourceOptions(parent=parent, protect=protect)
    )
    # From the name, not the id: the name is known at preview time, so the gate reads the policy.
    arn = pulumi.Output.concat(f"arn:{PARTITION}:s3:::", bucket)
    guards = bucket_guards(name, resource.id, key_arn, child)
    expire_noncurrent_versions(
        name,
        resource.id,
        rule_id="expire-old-versions",
        noncurrent_days=STATE_VERSION_DAYS,
        versioning=guards.versioning,
        parent=parent,
    )
    policy = aws.s3.BucketPolicy(
        name,
        bucket=resource.id,
        policy=document(
            [
                *extra_statements,
                deny_insecure_transport(arn),
            ]
        ),
        opts=pulumi.ResourceOptions(
            parent=parent, depends_on=[guards.public_access, guards.ownership, guards.encryption]
        ),
    )
    return resource, policy


@dataclass(frozen=True)
class StateBackendArgs:
    account_id: pulumi.Input[str]
    bucket_prefix: str  # the bucket is <prefix>-<account id>: globally unique, recognisable
    alias_prefix: str  # alias/<prefix>/state and alias/<prefix>/secrets
    tags: dict[str, str]


class StateBackend(pulumi.ComponentResource):
    """The Pulumi state bucket and two keys: one encrypts the state, one is the secrets provider."""

    def __init__(self, name: str, args: StateBackendArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:bootstrap:StateBackend", name, None, opts)
        self.keys: dict[str, aws.kms.Key] = {}
        for purpose in ("state", "secrets"):
            key = aws.kms.Key(
                f"{name}-{purpose}",
                description=f"Pulumi {purpose} ({HOME_REGION} only)",
                enable_key_rotation=True,
                multi_region=False,
                deletion_window_in_days=30,
                key_usage="ENCRYPT_DECRYPT",
                customer_master_key_spec="SYMMETRIC_DEFAULT",
                policy=key_policy(args.account_id),
                tags={**args.tags, "Name": f"{args.alias_prefix}-{purpose}"},
                opts=pulumi.ResourceOptions(parent=self, protect=True),
            )
            aws.kms.Alias(
                f"{name}-{purpose}",
                name=f"alias/{args.alias_prefix}/{purpose}",
                target_key_id=key.key_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.keys[purpose] = key
        self.bucket_name = pulumi.Output.concat(args.bucket_prefix, "-", args.account_id)
        self.bucket, _ = hardened_bucket(
            self,
            f"{name}-state",
            self.bucket_name,
            self.keys["state"].arn,
            [],
            protect=True,
            tags={**args.tags, "Name": f"{args.bucket_prefix}-state", "data-domain": "pulumi-state"},
        )
        self.bucket_arn = pulumi.Output.concat(f"arn:{PARTITION}:s3:::", self.bucket_name)
        self.key_aliases = tuple(f"alias/{args.alias_prefix}/{purpose}" for purpose in ("state", "secrets"))
        self.secrets_provider = f"awskms://alias/{args.alias_prefix}/secrets?region={HOME_REGION}"
        self.register_outputs(
            {
                "bucket": self.bucket.id,
                "state_key_arn": self.keys["state"].arn,
                "secrets_key_arn": self.keys["secrets"].arn,
                "secrets_provider": self.secrets_provider,
            }
        )


@dataclass(frozen=True)
class AccountAuditArgs:
    account_id: pulumi.Input[str]
    trail_name: str
    tags: dict[str, str]


class AccountAudit(pulumi.ComponentResource):
    """A CloudTrail trail from day one, so the bootstrap and the first deploys are on the record."""

    def __init__(self, name: str, args: AccountAuditArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:bootstrap:AccountAudit", name, None, opts)
        trail_arn = trail_arn_of(args.account_id, args.trail_name)
        self.key = aws.kms.Key(
            f"{name}-trail",
            description=f"{args.trail_name} CloudTrail logs ({HOME_REGION} only)",
            enable_key_rotation=True,
            multi_region=False,
            deletion_window_in_days=30,
            policy=key_policy(
                args.account_id,
                [
                    {
                        "Sid": "CloudTrailEncryptsThisTrail",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudtrail.amazonaws.com"},
                        "Action": ["kms:GenerateDataKey*", "kms:DescribeKey"],
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
                    }
                ],
            ),
            tags={**args.tags, "Name": f"{args.trail_name}-logs"},
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        bucket_name = pulumi.Output.concat(args.trail_name, "-", args.account_id)
        bucket_arn = pulumi.Output.concat(f"arn:{PARTITION}:s3:::", bucket_name)
        bucket, policy = hardened_bucket(
            self,
            f"{name}-trail",
            bucket_name,
            self.key.arn,
            cloudtrail_bucket_statements(bucket_arn, args.account_id, trail_arn),
            protect=True,
            tags={**args.tags, "Name": f"{args.trail_name}-trail", "data-domain": "logs"},
        )
        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=args.trail_name,
            s3_bucket_name=bucket.id,
            kms_key_id=self.key.arn,
            enable_logging=True,
            enable_log_file_validation=True,
            is_multi_region_trail=False,
            is_organization_trail=False,
            include_global_service_events=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.register_outputs({"trail_arn": self.trail.arn})


@dataclass(frozen=True)
class GithubCiRolesArgs:
    account_id: pulumi.Input[str]
    subjects: dict[str, str]  # GitHub environment -> the exact `sub` claim
    environments: tuple[str, ...]
    state_bucket_arn: pulumi.Input[str]
    key_aliases: tuple[str, ...]  # the state and secrets keys, named by alias (known at preview)
    session_hours: int


class GithubCiRoles(pulumi.ComponentResource):
    """GitHub's OIDC provider and, per environment, a deploy role and a read-only preview role.

    Each role trusts exactly one `sub`: `repo:<owner>/<repo>:environment:<env>` for the deploy
    role and `...:environment:<env>-preview` for the preview role, so a branch, a fork or another
    environment cannot assume it, and prod's role is reachable only through the prod environment
    (whose required reviewers GitHub enforces before it issues the token).
    """

    def __init__(self, name: str, args: GithubCiRolesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:bootstrap:GithubCiRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.provider = aws.iam.OpenIdConnectProvider(
            f"{name}-github",
            url=f"https://{GITHUB_ISSUER}",
            client_id_lists=[STS_AUDIENCE],
            opts=child,
        )
        self.deploy_roles: dict[str, aws.iam.Role] = {}
        self.preview_roles: dict[str, aws.iam.Role] = {}
        account_arn = pulumi.Output.concat(f"arn:{PARTITION}:iam::", args.account_id)
        # IAM names the provider after its host; built here so the trust policies are known at preview.
        provider_arn = pulumi.Output.concat(account_arn, f":oidc-provider/{GITHUB_ISSUER}")
        own_roles = pulumi.Output.concat(account_arn, f":role/{ROLE_PREFIX}-*")
        for env in args.environments:
            for kind, github_env in (("deploy", env), ("preview", f"{env}-preview")):
                role = aws.iam.Role(
                    f"{name}-{kind}-{env}",
                    name=f"{ROLE_PREFIX}-{kind}-{env}",
                    description=f"GitHub Actions, environment {github_env} ({'read-only' if kind == 'preview' else 'deploys ' + env})",
                    assume_role_policy=self._trust(provider_arn, args.subjects[github_env]),
                    max_session_duration=args.session_hours * 3600,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[self.provider]),
                )
                policy = self._deploy_policy(args, own_roles) if kind == "deploy" else self._preview_policy(args)
                aws.iam.RolePolicy(f"{name}-{kind}-{env}", role=role.id, policy=policy, opts=child)
                if kind == "preview":
                    # Describe/list across services without reading data (no s3:GetObject, no secrets).
                    aws.iam.RolePolicyAttachment(
                        f"{name}-{kind}-{env}-view",
                        role=role.name,
                        policy_arn=f"arn:{PARTITION}:iam::aws:policy/job-function/ViewOnlyAccess",
                        opts=child,
                    )
                    self.preview_roles[env] = role
                else:
                    self.deploy_roles[env] = role
        self.register_outputs(
            {
                "oidc_provider_arn": self.provider.arn,
                "deploy_role_arns": {env: role.arn for env, role in self.deploy_roles.items()},
                "preview_role_arns": {env: role.arn for env, role in self.preview_roles.items()},
            }
        )

    @staticmethod
    def _trust(provider_arn: pulumi.Output[str], subject: str) -> pulumi.Output[str]:
        return document(
            [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {f"{GITHUB_ISSUER}:aud": STS_AUDIENCE, f"{GITHUB_ISSUER}:sub": subject}
                    },
                }
            ]
        )

    @staticmethod
    def _state_statements(args: GithubCiRolesArgs, *, write: bool) -> list[dict[str, Any]]:
        objects = pulumi.Output.concat(args.state_bucket_arn, "/*")
        locks = pulumi.Output.concat(args.state_bucket_arn, "/.pulumi/locks/*")
        return [
            {
                "Sid": "ListState",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetBucketVersioning"],
                "Resource": args.state_bucket_arn,
            },
            {
                "Sid": "ReadWriteState" if write else "ReadStateAndTakeLocks",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] if write else ["s3:GetObject"],
                "Resource": objects,
            },
            # A preview takes the stack lock too; it may write and remove lock files only.
            {"Sid": "StackLocks", "Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"], "Resource": locks},
            {
                # By alias: key ids are unknown until the keys exist, aliases are fixed names.
                "Sid": "StateAndSecretsKeys",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:DescribeKey"]
                + (["kms:Encrypt", "kms:GenerateDataKey"] if write else []),
                "Resource": pulumi.Output.concat(f"arn:{PARTITION}:kms:{HOME_REGION}:", args.account_id, ":key/*"),
                "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": list(args.key_aliases)}},
            },
        ]

    def _preview_policy(self, args: GithubCiRolesArgs) -> pulumi.Output[str]:
        return document(self._state_statements(args, write=False))

    def _deploy_policy(self, args: GithubCiRolesArgs, own_roles: pulumi.Output[str]) -> pulumi.Output[str]:
        regional = [
            "ec2:*", "eks:*", "ecr:*", "kms:*", "s3:*", "logs:*", "cloudtrail:*", "guardduty:*", "kafka:*",
            "elasticache:*", "autoscaling:*", "elasticloadbalancing:*", "ssm:GetParameter*", "sts:GetCallerIdentity",
        ]  # fmt: skip
        iam = [
            "iam:Get*", "iam:List*", "iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole*", "iam:TagRole",
            "iam:UntagRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy",
            "iam:DetachRolePolicy", "iam:CreatePolicy*", "iam:DeletePolicy*", "iam:TagPolicy", "iam:PassRole",
            "iam:CreateInstanceProfile", "iam:DeleteInstanceProfile", "iam:AddRoleToInstanceProfile",
            "iam:RemoveRoleFromInstanceProfile", "iam:TagInstanceProfile", "iam:CreateServiceLinkedRole",
            "iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:TagOpenIDConnectProvider",
            "iam:UpdateOpenIDConnectProviderThumbprint", "iam:AddClientIDToOpenIDConnectProvider",
        ]  # fmt: skip
        return document(
            [
                *self._state_statements(args, write=True),
                {
                    "Sid": "PlatformServicesInTheUaeOnly",
                    "Effect": "Allow",
                    "Action": regional,
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:RequestedRegion": HOME_REGION}},
                },
                {"Sid": "PlatformIdentities", "Effect": "Allow", "Action": iam, "Resource": "*"},
                {
                    # The CI roles cannot widen themselves or mint long-lived credentials.
                    "Sid": "NoSelfEscalation",
                    "Effect": "Deny",
                    "Action": "iam:*",
                    "Resource": own_roles,
                },
                {
                    "Sid": "NoLongLivedCredentials",
                    "Effect": "Deny",
                    "Action": ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile"],
                    "Resource": "*",
                },
            ]
        )
