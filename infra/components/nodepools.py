"""Managed node groups: one per pool, each behind a hardened launch template.

Every node enforces IMDSv2 with a hop limit of 1, so a pod on the pod network cannot read the
node role's credentials from instance metadata; pods get AWS access through IRSA instead. The
host-network DaemonSets that need metadata (aws-node) sit on the host and are unaffected, and the
EBS CSI node plugin falls back to Kubernetes node metadata when IMDS is out of reach.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra.components._iam import managed_policy_arn, service_trust_policy
from infra.config import GPU_FAMILIES, NodePoolConfig, instance_family

NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    # Kept on the node role for simplicity; moving it to an IRSA role for aws-node narrows it further.
    "AmazonEKS_CNI_Policy",
)
ARM_FAMILIES = frozenset({"c8g", "m8g", "r8g"})
ROOT_DEVICE = "/dev/xvda"  # AL2023 root device
GPU_TAINT = ("nvidia.com/gpu", "true", "NO_SCHEDULE")
# The cpuInference pool is deliberately NOT tainted: serving pods select it with the
# `platform.uae/pool: cpuInference` label, and leaving it untainted lets cluster add-ons spill onto
# it during a system-pool outage. Set this to ("workload", "inference", "NO_SCHEDULE") for hard
# isolation; every serving manifest then needs the matching toleration.
CPU_INFERENCE_TAINT: tuple[str, str, str] | None = None
ROOT_VOLUME_GIB = {"system": 50, "cpuInference": 100, "gpuTraining": 200}  # GPU AMIs and images are large
_K8S_EFFECT = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


@dataclass(frozen=True)
class NodePoolsArgs:
    cluster_name: str  # the known name, used in cluster-autoscaler tag keys
    cluster: pulumi.Input[str]  # the cluster resource's name output: carries the dependency on it
    pools: tuple[NodePoolConfig, ...]
    private_subnet_ids: pulumi.Input[Sequence[str]]
    volume_key_arn: pulumi.Input[str]
    # Provider default tags do not reach instances launched by Auto Scaling; these are stamped on
    # the instances and volumes through the launch template instead.
    instance_tags: Mapping[str, str] = field(default_factory=dict)
    after: tuple[pulumi.Resource, ...] = ()  # the CNI add-ons: nodes cannot become Ready without them


def ami_type(pool: NodePoolConfig) -> str:
    if pool.is_gpu:
        return "AL2023_x86_64_NVIDIA"
    arm = {instance_family(t) in ARM_FAMILIES for t in pool.instance_types}
    if len(arm) > 1:
        raise ValueError(f"node pool {pool.name} mixes Graviton and x86 instance types")
    return "AL2023_ARM_64_STANDARD" if arm.pop() else "AL2023_x86_64_STANDARD"


def pool_labels(pool: NodePoolConfig) -> dict[str, str]:
    labels = {"platform.uae/pool": pool.name}
    if pool.is_gpu:
        labels |= {"nvidia.com/gpu.present": "true", "platform.uae/accelerator": "nvidia"}
    return labels


def pool_taints(pool: NodePoolConfig) -> list[tuple[str, str, str]]:
    if pool.is_gpu:
        return [GPU_TAINT]
    if pool.name == "cpuInference" and CPU_INFERENCE_TAINT:
        return [CPU_INFERENCE_TAINT]
    return []


def autoscaler_tags(cluster_name: str, pool: NodePoolConfig) -> dict[str, str]:
    """Auto-discovery tags, plus node-template hints so the autoscaler can scale a pool up from zero."""
    prefix = "k8s.io/cluster-autoscaler"
    tags = {f"{prefix}/enabled": "true", f"{prefix}/{cluster_name}": "owned"}
    if pool.min_size == 0:
        for key, value in pool_labels(pool).items():
            tags[f"{prefix}/node-template/label/{key}"] = value
        for key, value, effect in pool_taints(pool):
            tags[f"{prefix}/node-template/taint/{key}"] = f"{value}:{_K8S_EFFECT[effect]}"
    return tags


def _version_string(version: int | float | None) -> str | None:
    return None if version is None else str(int(version))


def _first_asg_name(resources: Sequence[aws.eks.outputs.NodeGroupResource] | None) -> str | None:
    if not resources or not resources[0].autoscaling_groups:
        return None  # only under test mocks that do not model the computed `resources` output
    return resources[0].autoscaling_groups[0].name


class NodePools(pulumi.ComponentResource):
    """The node IAM role and, per pool, a launch template and a managed node group."""

    node_groups: dict[str, aws.eks.NodeGroup]

    def __init__(self, name: str, args: NodePoolsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:compute:NodePools", name, None, opts)
        for pool in args.pools:
            bad = sorted({instance_family(t) for t in pool.instance_types} - GPU_FAMILIES) if pool.is_gpu else []
            if bad:
                raise ValueError(f"node pool {pool.name}: {', '.join(bad)} are not approved GPU families")
        child = pulumi.ResourceOptions(parent=self)

        self.role = aws.iam.Role(
            f"{name}-node",
            description=f"EKS worker nodes of {args.cluster_name}",
            assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=self.role.name,
                policy_arn=managed_policy_arn(policy),
                opts=child,
            )
            for policy in NODE_POLICIES
        ]

        self.node_groups = {}
        self.launch_templates: dict[str, aws.ec2.LaunchTemplate] = {}
        for pool in args.pools:
            slug = pool.name.lower()
            template = aws.ec2.LaunchTemplate(
                f"{name}-{slug}",
                description=f"{args.cluster_name} {pool.name} nodes: IMDSv2 only, encrypted root volume",
                update_default_version=True,
                metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                    http_endpoint="enabled",
                    http_tokens="required",
                    http_put_response_hop_limit=1,
                    instance_metadata_tags="disabled",
                ),
                block_device_mappings=[
                    aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                        device_name=ROOT_DEVICE,
                        ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                            volume_type="gp3",
                            volume_size=ROOT_VOLUME_GIB.get(pool.name, 100),
                            encrypted="true",
                            kms_key_id=args.volume_key_arn,
                            delete_on_termination="true",
                        ),
                    )
                ],
                tag_specifications=[
                    aws.ec2.LaunchTemplateTagSpecificationArgs(
                        resource_type=kind,
                        tags={
                            **args.instance_tags,
                            "Name": f"{args.cluster_name}-{pool.name}",
                            "platform.uae/pool": pool.name,
                        },
                    )
                    for kind in ("instance", "volume", "network-interface")
                ],
                opts=child,
            )
            node_group = aws.eks.NodeGroup(
                f"{name}-{slug}",
                cluster_name=args.cluster,
                node_role_arn=self.role.arn,
                subnet_ids=args.private_subnet_ids,
                ami_type=ami_type(pool),
                capacity_type="SPOT" if pool.spot else "ON_DEMAND",
                instance_types=list(pool.instance_types),
                launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                    id=template.id,
                    version=template.latest_version.apply(_version_string),
                ),
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    min_size=pool.min_size,
                    desired_size=pool.desired_size,
                    max_size=pool.max_size,
                ),
                update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
                labels=pool_labels(pool),
                taints=[aws.eks.NodeGroupTaintArgs(key=k, value=v, effect=e) for k, v, e in pool_taints(pool)],
                tags={"Name": f"{args.cluster_name}-{pool.name}", **autoscaler_tags(args.cluster_name, pool)},
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[*attachments, *args.after],
                    # The cluster autoscaler owns the desired size once the group exists.
                    ignore_changes=["scalingConfig.desiredSize"],
                ),
            )
            if pool.min_size == 0:
                self._tag_auto_scaling_group(f"{name}-{slug}", node_group, args.cluster_name, pool)
            self.launch_templates[pool.name] = template
            self.node_groups[pool.name] = node_group

        self.node_role_arn = self.role.arn
        self.node_group_names = {pool: group.node_group_name for pool, group in self.node_groups.items()}
        self.register_outputs({"node_group_names": self.node_group_names, "node_role_arn": self.node_role_arn})

    def _tag_auto_scaling_group(
        self,
        name: str,
        node_group: aws.eks.NodeGroup,
        cluster_name: str,
        pool: NodePoolConfig,
    ) -> None:
        # Node group tags are not copied to its Auto Scaling group, where the autoscaler reads the
        # node-template hints when no node exists to copy labels and taints from.
        asg_name = node_group.resources.apply(_first_asg_name)
        templates = {k: v for k, v in autoscaler_tags(cluster_name, pool).items() if "/node-template/" in k}
        for index, (key, value) in enumerate(sorted(templates.items())):
            aws.autoscaling.Tag(
                f"{name}-asg-tag-{index}",
                autoscaling_group_name=asg_name,
                tag=aws.autoscaling.TagTagArgs(key=key, value=value, propagate_at_launch=False),
                opts=pulumi.ResourceOptions(parent=self),
            )
