"""The composition root: config -> one pinned AWS provider -> components, wired together.

Every component receives the provider through `providers=`, so each child resource inherits it and
none can fall back to a default provider (which the stacks disable anyway). Stateful resources are
protected in prod through each component's `protect` argument.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from infra.components import (
    Audit,
    AuditArgs,
    Cluster,
    ClusterAddons,
    ClusterAddonsArgs,
    ClusterArgs,
    Keys,
    KeysArgs,
    Network,
    NetworkArgs,
    NodePools,
    NodePoolsArgs,
    Registry,
    RegistryArgs,
)
from infra.config import PlatformConfig
from infra.platform_services import data_service_inputs, deploy_platform_services
from infra.providers import aws_provider
from infra.services import build_data_services

PROD_LOG_RETENTION_DAYS = 365
NONPROD_LOG_RETENTION_DAYS = 90


def build(cfg: PlatformConfig) -> dict[str, pulumi.Output]:
    """Declare the platform for one stack and return its stack outputs."""
    provider = aws_provider(cfg)
    with_aws = pulumi.ResourceOptions(providers=[provider])
    account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider)).account_id
    prefix = f"uae-ml-{cfg.environment}"
    retention = PROD_LOG_RETENTION_DAYS if cfg.is_prod else NONPROD_LOG_RETENTION_DAYS
    protect = cfg.is_prod

    keys = Keys("keys", KeysArgs(account_id=account_id, alias_prefix=prefix, protect=protect), with_aws)
    network = Network(
        "network",
        NetworkArgs(
            cidr=cfg.network.cidr,
            availability_zones=cfg.network.availability_zones,
            nat_gateways=cfg.network.nat_gateways,
            account_id=account_id,
            flow_logs_key_arn=keys.arn("logs"),
            flow_log_retention_days=retention,
            protect=protect,
        ),
        with_aws,
    )
    cluster = Cluster(
        "cluster",
        ClusterArgs(
            cluster_name=prefix,
            kubernetes_version=cfg.cluster.kubernetes_version,
            private_subnet_ids=network.private_subnet_ids,
            public_access_cidrs=cfg.cluster.public_access_cidrs,
            admin_role_arns=cfg.cluster.admin_role_arns,
            secrets_key_arn=keys.arn("cluster-secrets"),
            logs_key_arn=keys.arn("logs"),
            log_retention_days=retention,
            protect=protect,
        ),
        with_aws,
    )
    node_pools = NodePools(
        "nodepools",
        NodePoolsArgs(
            cluster_name=prefix,
            cluster=cluster.cluster_name,
            pools=cfg.node_pools,
            private_subnet_ids=network.private_subnet_ids,
            volume_key_arn=keys.arn("node-volumes"),
            instance_tags=cfg.base_tags,
            after=tuple(cluster.network_addons),
        ),
        with_aws,
    )
    addons = ClusterAddons(
        "addons",
        ClusterAddonsArgs(
            cluster_name=cluster.cluster_name,
            kubernetes_version=cfg.cluster.kubernetes_version,
            oidc_provider_arn=cluster.oidc_provider.arn,
            oidc_issuer=cluster.oidc_issuer,
            after=tuple(node_pools.node_groups.values()),
        ),
        with_aws,
    )
    registry = Registry(
        "registry",
        RegistryArgs(repository_prefix=prefix, kms_key_arn=keys.arn("registry"), protect=protect),
        with_aws,
    )
    audit = Audit(
        "audit",
        AuditArgs(
            trail_name=f"{prefix}-audit",
            account_id=account_id,
            logs_key_arn=keys.arn("logs"),
            log_retention_days=retention,
            protect=protect,
        ),
        with_aws,
    )

    data_services = build_data_services(
        cfg, aws_provider=provider, account_id=account_id, keys=keys, network=network, cluster=cluster,
        log_retention_days=retention,
    )  # fmt: skip
    services = deploy_platform_services(
        cfg, aws_provider=provider, account_id=account_id, keys=keys, network=network, cluster=cluster,
        node_pools=node_pools, registry=registry, data=data_service_inputs(data_services), after=(addons,),
    )  # fmt: skip

    return {
        **data_services.outputs,
        **services,
        "region": pulumi.Output.from_input(cfg.region),
        "vpc_id": network.vpc_id,
        "private_subnet_ids": network.private_subnet_ids,
        "public_subnet_ids": network.public_subnet_ids,
        "cluster_name": cluster.cluster_name,
        "cluster_endpoint": cluster.endpoint,
        "cluster_certificate_authority": cluster.certificate_authority_data,
        "oidc_provider_arn": cluster.oidc_provider.arn,
        "cluster_security_group_id": cluster.cluster_security_group_id,
        "ebs_csi_role_arn": addons.ebs_csi_role_arn,
        "node_group_names": pulumi.Output.from_input(node_pools.node_group_names),
        "node_role_arn": node_pools.node_role_arn,
        "kms_key_arns": pulumi.Output.from_input(keys.arns),
        "repository_urls": pulumi.Output.from_input(registry.repository_urls),
        "trail_arn": audit.trail.arn,
        "audit_bucket": audit.bucket.id,
        "guardduty_detector_id": audit.detector.id,
    }
