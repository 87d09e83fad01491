"""GPU scheduling: the NVIDIA device plugin and Karpenter (with its AWS side) from pinned in-region charts.

Karpenter scales the GPU pool from zero: a pending pod that requests `nvidia.com/gpu` and tolerates
the GPU taint makes it launch a node of one of the GPU families offered in me-central-1 (the list
in infra/config.py), spot first where the environment allows it. Karpenter runs with
`isolatedVPC`, so it never calls the AWS Pricing API (served outside the UAE) and uses its built-in
price list instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.components._iam import PARTITION, document, irsa_role
from infra.components._k8s import GPU_POOL, INFERENCE_POOL, IRSA_ANNOTATION
from infra.components.k8s_baseline import PRIVILEGED_NAMESPACE
from infra.components.nodepools import ROOT_DEVICE
from infra.components.serving import HELM_TIMEOUT_S
from infra.components.supply_chain import Mirror
from infra.config import GPU_FAMILIES, HOME_REGION, PlatformConfig, instance_family

KARPENTER_NAMESPACE = "karpenter"
KARPENTER_SERVICE_ACCOUNT = "karpenter"
# Pinned EKS-optimised AL2023 release; Karpenter picks the NVIDIA variant for GPU instance types.
AMI_ALIAS = "al2023@v20251120"
INTERRUPTION_EVENTS = {
    "scheduled-change": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    "spot-interruption": {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
    "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    "instance-state-change": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
}
GPU_LIMITS = {"dev": 2, "staging": 4, "prod": 16}
CPU_LIMITS = {"dev": 16, "staging": 64, "prod": 256}


def capacity_types(environment: str) -> list[str]:
    """Spot first where interruptions are acceptable; prod runs on-demand only."""
    return ["spot", "on-demand"] if environment in ("dev", "staging") else ["on-demand"]


@dataclass(frozen=True)
class GpuSchedulingArgs:
    cfg: PlatformConfig
    mirror: Mirror
    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    node_role_arn: pulumi.Input[str]
    node_role_name: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[Sequence[str]]
    node_security_group_id: pulumi.Input[str]
    volume_key_arn: pulumi.Input[str]
    node_tags: Mapping[str, str] = field(default_factory=dict)
    after: tuple[pulumi.Resource, ...] = ()


def karpenter_policy_statements(
    cluster_name: str, account: str, cluster_arn: str, queue_arn: str, node_role_arn: str, volume_key_arn: str
) -> list[dict]:
    """The controller's permissions, each scoped to this cluster's tags, region, queue or role."""
    region_only = {"StringEquals": {"aws:RequestedRegion": HOME_REGION}}
    owned_request = {
        "StringEquals": {
            "aws:RequestTag/kubernetes.io/cluster/" + cluster_name: "owned",
            "aws:RequestTag/eks:eks-cluster-name": cluster_name,
        },
        "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
    }
    owned_resource = {
        "StringEquals": {"aws:ResourceTag/kubernetes.io/cluster/" + cluster_name: "owned"},
        "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
    }
    ec2 = f"arn:{PARTITION}:ec2:{HOME_REGION}"
    return [
        {
            "Sid": "LaunchFromApprovedImagesAndNetwork",
            "Effect": "Allow",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
            "Resource": [
                f"{ec2}::image/*",
                f"{ec2}::snapshot/*",
                f"{ec2}:{account}:security-group/*",
                f"{ec2}:{account}:subnet/*",
                f"{ec2}:{account}:capacity-reservation/*",
            ],
        },
        {
            "Sid": "UseOwnLaunchTemplates",
            "Effect": "Allow",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
            "Resource": f"{ec2}:{account}:launch-template/*",
            "Condition": owned_resource,
        },
        {
            "Sid": "CreateTaggedInstances",
            "Effect": "Allow",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            "Resource": [
                f"{ec2}:{account}:fleet/*",
                f"{ec2}:{account}:instance/*",
                f"{ec2}:{account}:volume/*",
                f"{ec2}:{account}:network-interface/*",
                f"{ec2}:{account}:launch-template/*",
                f"{ec2}:{account}:spot-instances-request/*",
            ],
            "Condition": owned_request,
        },
        {
            "Sid": "TagOnCreate",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": [
                f"{ec2}:{account}:fleet/*",
                f"{ec2}:{account}:instance/*",
                f"{ec2}:{account}:volume/*",
                f"{ec2}:{account}:network-interface/*",
                f"{ec2}:{account}:launch-template/*",
                f"{ec2}:{account}:spot-instances-request/*",
            ],
            "Condition": {
                **owned_request,
                "StringEquals": {
                    **owned_request["StringEquals"],
                    "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                },
            },
        },
        {
            "Sid": "TerminateOwnNodes",
            "Effect": "Allow",
            "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate", "ec2:CreateTags"],
            "Resource": [f"{ec2}:{account}:instance/*", f"{ec2}:{account}:launch-template/*"],
            "Condition": owned_resource,
        },
        {
            "Sid": "DescribeInRegion",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeImages",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
                "ec2:DescribeCapacityReservations",
            ],
            # EC2 Describe* actions do not support resource-level permissions; the region condition scopes them.
            "Resource": "*",
            "Condition": region_only,
        },
        {
            "Sid": "ReadAmiParameters",
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": f"arn:{PARTITION}:ssm:{HOME_REGION}::parameter/aws/service/*",
        },
        {
            "Sid": "ConsumeInterruptionQueue",
            "Effect": "Allow",
            "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            "Resource": queue_arn,
        },
        {
            "Sid": "PassNodeRoleToEc2Only",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": node_role_arn,
            "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
        },
        {
            "Sid": "CreateTaggedInstanceProfiles",
            "Effect": "Allow",
            "Action": ["iam:CreateInstanceProfile", "iam:TagInstanceProfile"],
            "Resource": f"arn:{PARTITION}:iam::{account}:instance-profile/*",
            "Condition": {
                "StringEquals": {
                    f"aws:RequestTag/kubernetes.io/cluster/{cluster_name}": "owned",
                    "aws:RequestTag/topology.kubernetes.io/region": HOME_REGION,
                },
                "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        },
        {
            "Sid": "ManageOwnInstanceProfiles",
            "Effect": "Allow",
            "Action": [
                "iam:AddRoleToInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:DeleteInstanceProfile",
                "iam:GetInstanceProfile",
                "iam:TagInstanceProfile",
            ],
            "Resource": f"arn:{PARTITION}:iam::{account}:instance-profile/*",
            "Condition": {
                "StringEquals": {
                    f"aws:ResourceTag/kubernetes.io/cluster/{cluster_name}": "owned",
                    "aws:ResourceTag/topology.kubernetes.io/region": HOME_REGION,
                },
                "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        },
        {
            "Sid": "EncryptNodeVolumesThroughEc2",
            "Effect": "Allow",
            "Action": ["kms:CreateGrant", "kms:GenerateDataKeyWithoutPlaintext", "kms:Decrypt", "kms:DescribeKey"],
            "Resource": volume_key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"ec2.{HOME_REGION}.amazonaws.com"}},
        },
        {
            "Sid": "DiscoverApiEndpoint",
            "Effect": "Allow",
            "Action": "eks:DescribeCluster",
            "Resource": cluster_arn,
        },
    ]


class GpuScheduling(pulumi.ComponentResource):
    """Interruption queue and rules, Karpenter's IRSA role, the Karpenter and device-plugin releases,
    and the EC2NodeClasses/NodePools of the GPU training pool and the CPU inference pool."""

    def __init__(self, name: str, args: GpuSchedulingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:compute:GpuScheduling", name, None, opts)
        cfg = args.cfg
        env = cfg.environment
        child = pulumi.ResourceOptions(parent=self)
        cluster_name = f"uae-ml-{env}"

        self.queue = aws.sqs.Queue(
            f"{name}-interruptions",
            name=f"{cluster_name}-karpenter",
            message_retention_seconds=300,
            # SQS-managed SSE: EventBridge can deliver without a grant on a customer key.
            sqs_managed_sse_enabled=True,
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-interruptions",
            queue_url=self.queue.url,
            policy=document(
                [
                    {
                        "Sid": "EventBridgeDelivers",
                        "Effect": "Allow",
                        "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
                        "Action": "sqs:SendMessage",
                        "Resource": self.queue.arn,
                    },
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "sqs:*",
                        "Resource": self.queue.arn,
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                ]
            ),
            opts=child,
        )
        for event, pattern in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{event}",
                description=f"Karpenter interruption handling: {event}",
                event_pattern=json.dumps(pattern),
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{event}",
                rule=rule.name,
                arn=self.queue.arn,
                opts=child,
            )

        self.controller_role, controller_policy = irsa_role(
            f"{name}-karpenter",
            namespace=KARPENTER_NAMESPACE,
            service_account=KARPENTER_SERVICE_ACCOUNT,
            oidc_provider_arn=args.oidc_provider_arn,
            oidc_issuer=args.oidc_issuer,
            description=f"IRSA role of Karpenter ({KARPENTER_NAMESPACE}:{KARPENTER_SERVICE_ACCOUNT}) in {cluster_name}",
            policy=pulumi.Output.all(
                args.account_id, args.cluster_arn, self.queue.arn, args.node_role_arn, args.volume_key_arn
            ).apply(
                lambda v: json.dumps(
                    {"Version": "2012-10-17", "Statement": karpenter_policy_statements(cluster_name, *v)}
                )
            ),
            opts=child,
        )

        chart, version = args.mirror.chart("karpenter")
        controller = args.mirror.image("karpenter-controller")
        self.karpenter = k8s.helm.v3.Release(
            f"{name}-karpenter",
            name="karpenter",
            chart=chart,
            version=version,
            namespace=KARPENTER_NAMESPACE,
            create_namespace=False,
            atomic=True,
            cleanup_on_fail=True,
            timeout=HELM_TIMEOUT_S,
            values={
                "settings": {
                    "clusterName": args.cluster_name,
                    "interruptionQueue": self.queue.name,
                    "isolatedVPC": True,
                },
                "serviceAccount": {
                    "name": KARPENTER_SERVICE_ACCOUNT,
                    "annotations": {IRSA_ANNOTATION: self.controller_role.arn},
                },
                "controller": {
                    "image": {
                        "repository": controller.repository_url,
                        "tag": controller.tag,
                        "digest": controller.digest,
                    }
                },
                "replicas": 1 if env == "dev" else 2,
                # Never on capacity Karpenter itself manages: the managed system node group.
                "nodeSelector": {"platform.uae/pool": "system"},
                "logLevel": "info",
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[controller_policy, *args.after]),
        )

        subnet_terms = pulumi.Output.from_input(args.private_subnet_ids).apply(lambda ids: [{"id": i} for i in ids])
        self.node_classes = {
            pool: self._node_class(name, pool, volume_gib, args, subnet_terms)
            for pool, volume_gib in (("gpu", 200), ("inference", 100))
        }
        zones = list(cfg.network.availability_zones)
        gpu_spec = {
            "template": {
                "metadata": {
                    "labels": {**GPU_POOL, "nvidia.com/gpu.present": "true", "platform.uae/accelerator": "nvidia"}
                },
                "spec": {
                    "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "gpu"},
                    "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
                    "requirements": [
                        {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": sorted(GPU_FAMILIES)},
                        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": capacity_types(env)},
                        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
                        {"key": "topology.kubernetes.io/zone", "operator": "In", "values": zones},
                    ],
                    "expireAfter": "720h",
                },
            },
            # No minimum: the pool is empty until a GPU pod is pending.
            "limits": {"nvidia.com/gpu": str(GPU_LIMITS.get(env, GPU_LIMITS["prod"]))},
            "disruption": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m"},
            "weight": 10,
        }
        inference_families = sorted({instance_family(t) for t in cfg.node_pool("cpuInference").instance_types})
        inference_spec = {
            "template": {
                "metadata": {"labels": dict(INFERENCE_POOL)},
                "spec": {
                    "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "inference"},
                    "requirements": [
                        {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": inference_families},
                        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": capacity_types(env)},
                        {"key": "topology.kubernetes.io/zone", "operator": "In", "values": zones},
                    ],
                    "expireAfter": "720h",
                },
            },
            "limits": {"cpu": str(CPU_LIMITS.get(env, CPU_LIMITS["prod"]))},
            "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "5m"},
        }
        self.node_pools = {
            pool: k8s.apiextensions.CustomResource(
                f"{name}-nodepool-{pool}",
                api_version="karpenter.sh/v1",
                kind="NodePool",
                metadata={"name": pool},
                spec=spec,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.karpenter, self.node_classes[node_class]]),
            )
            for pool, node_class, spec in (
                ("gpu-training", "gpu", gpu_spec),
                ("cpu-inference", "inference", inference_spec),
            )
        }

        chart, version = args.mirror.chart("nvidia-device-plugin")
        plugin = args.mirror.image("nvidia-device-plugin")
        self.device_plugin = k8s.helm.v3.Release(
            f"{name}-nvidia-device-plugin",
            name="nvidia-device-plugin",
            chart=chart,
            version=version,
            namespace=PRIVILEGED_NAMESPACE,
            create_namespace=False,
            atomic=True,
            timeout=HELM_TIMEOUT_S,
            values={
                "image": {
                    "repository": plugin.repository_url,
                    "tag": pulumi.Output.concat(plugin.tag, "@", plugin.digest),
                },
                "nodeSelector": {"nvidia.com/gpu.present": "true"},
                "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                "priorityClassName": "system-node-critical",
                "gfd": {"enabled": False},
                "nfd": {"enabled": False},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.after)),
        )
        self.register_outputs(
            {
                "interruption_queue": self.queue.name,
                "karpenter_role_arn": self.controller_role.arn,
                "node_pools": list(self.node_pools),
            }
        )

    def _node_class(
        self,
        name: str,
        pool: str,
        volume_gib: int,
        args: GpuSchedulingArgs,
        subnet_terms: pulumi.Output,
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            f"{name}-nodeclass-{pool}",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata={"name": pool},
            spec={
                "role": args.node_role_name,
                "amiSelectorTerms": [{"alias": AMI_ALIAS}],
                "subnetSelectorTerms": subnet_terms,
                "securityGroupSelectorTerms": [{"id": args.node_security_group_id}],
                # IMDSv2 only, one hop: pods cannot reach the node role's credentials (as nodepools.py).
                "metadataOptions": {
                    "httpEndpoint": "enabled",
                    "httpProtocolIPv6": "disabled",
                    "httpPutResponseHopLimit": 1,
                    "httpTokens": "required",
                },
                "blockDeviceMappings": [
                    {
                        "deviceName": ROOT_DEVICE,
                        "ebs": {
                            "volumeSize": f"{volume_gib}Gi",
                            "volumeType": "gp3",
                            "encrypted": True,
                            "kmsKeyID": args.volume_key_arn,
                            "deleteOnTermination": True,
                        },
                    }
                ],
                "tags": {**args.node_tags, "platform.uae/pool": pool, "Name": f"uae-ml-{args.cfg.environment}-{pool}"},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.karpenter]),
        )
