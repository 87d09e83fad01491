"""The EKS control plane: private endpoint, envelope-encrypted Secrets, full audit logging, IRSA.

Access is granted through EKS access entries (authentication mode API), never the aws-auth
ConfigMap, and the identity that runs `pulumi up` gets no implicit cluster-admin.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.components._iam import PARTITION, document, irsa_trust_policy, managed_policy_arn, service_trust_policy
from infra.providers import kubernetes_provider

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CLUSTER_ADMIN_POLICY = f"arn:{PARTITION}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
# Thumbprint of the root CA behind EKS OIDC issuers. IAM now trusts EKS issuers through its own CA
# store and ignores it, but the API still expects a value for non-AWS-managed flows.
EKS_OIDC_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
EBS_CSI_SERVICE_ACCOUNT = ("kube-system", "ebs-csi-controller-sa")

# Managed add-on versions, pinned per Kubernetes version: bumping kubernetesVersion without adding
# the matching row fails here instead of letting EKS pick "latest". Check a row against
# `aws eks describe-addon-versions --kubernetes-version <v> --addon-name <name> --region me-central-1`.
ADDON_VERSIONS: dict[str, dict[str, str]] = {
    "1.33": {
        "vpc-cni": "v1.19.5-eksbuild.1",
        "kube-proxy": "v1.33.0-eksbuild.2",
        "coredns": "v1.12.1-eksbuild.2",
        "aws-ebs-csi-driver": "v1.44.0-eksbuild.1",
    },
}
# DaemonSets that must exist before nodes can become Ready (the cluster is created without the
# self-managed defaults); Deployments (coredns, EBS CSI controller) need nodes and come after them.
BEFORE_COMPUTE_ADDONS = ("vpc-cni", "kube-proxy")
# The VPC CNI enforces Kubernetes NetworkPolicies only with its network-policy agent switched on;
# without it every default-deny policy of the platform namespaces would be silently ignored.
ADDON_CONFIGURATION = {"vpc-cni": json.dumps({"enableNetworkPolicy": "true"})}
AFTER_COMPUTE_ADDONS = ("coredns", "aws-ebs-csi-driver")


class UnpinnedAddonVersionError(ValueError):
    """The cluster's Kubernetes version has no pinned add-on versions."""

    def __init__(self, version: str) -> None:
        super().__init__(
            f"no pinned EKS add-on versions for Kubernetes {version}; add a row to "
            f"infra/components/cluster.py ADDON_VERSIONS (known: {', '.join(sorted(ADDON_VERSIONS))})"
        )


def addon_versions(kubernetes_version: str) -> dict[str, str]:
    try:
        return ADDON_VERSIONS[kubernetes_version]
    except KeyError:
        raise UnpinnedAddonVersionError(kubernetes_version) from None


def _first_issuer(identities: Sequence[aws.eks.outputs.ClusterIdentity] | None) -> str | None:
    # None only under test mocks that do not model the computed `identities` output.
    if not identities or not identities[0].oidcs:
        return None
    return identities[0].oidcs[0].issuer


@dataclass(frozen=True)
class ClusterArgs:
    cluster_name: str
    kubernetes_version: str
    private_subnet_ids: pulumi.Input[Sequence[str]]
    public_access_cidrs: tuple[str, ...]
    admin_role_arns: tuple[str, ...]
    secrets_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int
    protect: bool


class Cluster(pulumi.ComponentResource):
    """EKS cluster, its role, control-plane log group, admin access entries and the IRSA provider."""

    cluster: aws.eks.Cluster
    oidc_provider: aws.iam.OpenIdConnectProvider
    k8s_provider: k8s.Provider

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:compute:Cluster", name, None, opts)
        if any(cidr.endswith("/0") for cidr in args.public_access_cidrs):
            raise ValueError("the EKS API endpoint must never be open to 0.0.0.0/0")
        versions = addon_versions(args.kubernetes_version)
        child = pulumi.ResourceOptions(parent=self)

        role = aws.iam.Role(
            f"{name}-role",
            description=f"EKS control plane of {args.cluster_name}",
            assume_role_policy=service_trust_policy("eks.amazonaws.com"),
            opts=child,
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy",
            role=role.name,
            policy_arn=managed_policy_arn("AmazonEKSClusterPolicy"),
            opts=child,
        )
        # Envelope encryption of Secrets: the control plane may use exactly the cluster-secrets key.
        secrets_key_use = aws.iam.RolePolicy(
            f"{name}-secrets-key",
            role=role.id,
            policy=document(
                [
                    {
                        "Sid": "UseClusterSecretsKey",
                        "Effect": "Allow",
                        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                        "Resource": args.secrets_key_arn,
                    }
                ]
            ),
            opts=child,
        )
        # Created explicitly (before the cluster) so it is KMS-encrypted, has a retention, and is
        # protected in prod; EKS would otherwise create it unencrypted with no expiry.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=f"/aws/eks/{args.cluster_name}/cluster",
            kms_key_id=args.logs_key_arn,
            retention_in_days=args.log_retention_days,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

        public = bool(args.public_access_cidrs)
        self.cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=args.private_subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=public,
                public_access_cidrs=list(args.public_access_cidrs) if public else None,
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=False,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"],
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=args.secrets_key_arn),
            ),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            # vpc-cni, kube-proxy and coredns come as pinned managed add-ons below instead.
            bootstrap_self_managed_addons=False,
            # Standard support only: extended support is billed and means a version has aged out.
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            deletion_protection=args.protect,
            tags={"Name": args.cluster_name},
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                depends_on=[log_group, cluster_policy, secrets_key_use],
            ),
        )

        for index, principal in enumerate(args.admin_role_arns):
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{index}",
                cluster_name=self.cluster.name,
                principal_arn=principal,
                type="STANDARD",
                opts=child,
            )
            aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{index}",
                cluster_name=self.cluster.name,
                principal_arn=principal,
                policy_arn=CLUSTER_ADMIN_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
            )
        if not args.admin_role_arns:
            pulumi.log.warn(
                f"{args.cluster_name}: no cluster.adminRoleArns configured; with creator admin disabled nobody "
                "can reach the Kubernetes API until an access entry is added",
                resource=self,
            )

        self.oidc_issuer = self.cluster.identities.apply(_first_issuer)
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=self.oidc_issuer,
            client_id_lists=["sts.amazonaws.com"],
            thumbprint_lists=[EKS_OIDC_THUMBPRINT],
            opts=child,
        )

        self.network_addons = [
            aws.eks.Addon(
                f"{name}-{addon}",
                cluster_name=self.cluster.name,
                addon_name=addon,
                addon_version=versions[addon],
                configuration_values=ADDON_CONFIGURATION.get(addon),
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                opts=child,
            )
            for addon in BEFORE_COMPUTE_ADDONS
        ]

        self.cluster_name = self.cluster.name
        self.endpoint = self.cluster.endpoint
        self.certificate_authority_data = self.cluster.certificate_authority.apply(lambda ca: ca.data if ca else None)
        self.cluster_security_group_id = self.cluster.vpc_config.apply(
            lambda vpc: vpc.cluster_security_group_id if vpc else None
        )
        self.k8s_provider = kubernetes_provider(
            f"{name}-k8s",
            self.cluster_name,
            self.endpoint,
            self.certificate_authority_data,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "certificate_authority_data": self.certificate_authority_data,
                "oidc_provider_arn": self.oidc_provider.arn,
                "oidc_issuer": self.oidc_issuer,
                "cluster_security_group_id": self.cluster_security_group_id,
            }
        )


@dataclass(frozen=True)
class ClusterAddonsArgs:
    cluster_name: pulumi.Input[str]
    kubernetes_version: str
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    after: tuple[pulumi.Resource, ...] = ()  # the node groups: these add-ons need nodes to become ACTIVE


class ClusterAddons(pulumi.ComponentResource):
    """Add-ons that run as Deployments (coredns, EBS CSI controller) and so must follow the nodes."""

    def __init__(self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:compute:ClusterAddons", name, None, opts)
        versions = addon_versions(args.kubernetes_version)
        namespace, service_account = EBS_CSI_SERVICE_ACCOUNT

        ebs_role = aws.iam.Role(
            f"{name}-ebs-csi",
            description="IRSA role of the EBS CSI controller (kube-system:ebs-csi-controller-sa only)",
            assume_role_policy=pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer).apply(
                lambda values: irsa_trust_policy(values[0], values[1], namespace, service_account)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        ebs_policy = aws.iam.RolePolicyAttachment(
            f"{name}-ebs-csi",
            role=ebs_role.name,
            policy_arn=f"arn:{PARTITION}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.addons: dict[str, aws.eks.Addon] = {}
        for addon in AFTER_COMPUTE_ADDONS:
            is_ebs = addon == "aws-ebs-csi-driver"
            self.addons[addon] = aws.eks.Addon(
                f"{name}-{addon}",
                cluster_name=args.cluster_name,
                addon_name=addon,
                addon_version=versions[addon],
                service_account_role_arn=ebs_role.arn if is_ebs else None,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[*args.after, *([ebs_policy] if is_ebs else [])],
                ),
            )
        self.ebs_csi_role_arn = ebs_role.arn
        self.register_outputs(
            {
                "addon_versions": {addon: versions[addon] for addon in AFTER_COMPUTE_ADDONS},
                "ebs_csi_role_arn": self.ebs_csi_role_arn,
            }
        )
