"""The Kubernetes baseline: namespaces per concern, Pod Security Admission, default-deny networking,
quotas, IRSA service accounts and the priority classes that keep training from evicting inference.

Every namespace denies all ingress and egress by default; each flow a service needs is one named
NetworkPolicy below (DNS, the feature server from serving/streaming, MLflow from training, serving
and pipelines, Prometheus scraping, the VPC ports of MSK/Redis/RDS). NetworkPolicies are enforced
by the VPC CNI's network-policy agent (enabled on the vpc-cni add-on in cluster.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.components._k8s import IRSA_ANNOTATION

PSA_LABELS = ("enforce", "audit", "warn")
PRIVILEGED_NAMESPACE = "node-agents"
# The ports the platform's data services listen on inside the VPC (reached from pods by IP range).
VPC_PORTS = {"msk-iam-tls": 9098, "redis-tls": 6379, "postgres": 5432, "https": 443}
FEATURE_SERVER_PORT = 6566
MLFLOW_PORT = 5000
PREDICTOR_PORT = 8080
SERVING_PRIORITY = "platform-serving"
TRAINING_PRIORITY = "platform-training"
# Private ranges excluded from the "AWS public endpoints" egress (S3 through the gateway endpoint,
# AMP, EC2/SQS for Karpenter): that rule is for AWS APIs on 443, never for other hosts in the VPC.
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")


@dataclass(frozen=True)
class Flow:
    """Ingress into a namespace's pods from another namespace's pods (None port = any)."""

    from_namespace: str
    port: int | None = None


@dataclass(frozen=True)
class NamespaceSpec:
    name: str
    purpose: str
    ingress: tuple[Flow, ...] = ()
    vpc_egress: tuple[str, ...] = ()  # keys of VPC_PORTS
    aws_apis: bool = False  # 443 to AWS public endpoints (S3, AMP, EC2, SQS)
    intra_namespace: bool = False  # pods talk to each other on any port (NCCL, controllers)
    scrape_everything: bool = False  # Prometheus: egress to every namespace
    privileged: bool = False
    gpu_quota: bool = False


PLATFORM_NAMESPACES: tuple[NamespaceSpec, ...] = (
    NamespaceSpec(
        "serving",
        "KServe InferenceServices",
        ingress=(Flow("streaming", PREDICTOR_PORT), Flow("pipelines", PREDICTOR_PORT)),
        aws_apis=True,
    ),
    NamespaceSpec(
        "features",
        "Feast feature server",
        ingress=(Flow("serving", FEATURE_SERVER_PORT), Flow("streaming", FEATURE_SERVER_PORT)),
        vpc_egress=("redis-tls",),
        aws_apis=True,
    ),
    NamespaceSpec(
        "training",
        "distributed training jobs",
        vpc_egress=(),
        aws_apis=True,
        intra_namespace=True,
        gpu_quota=True,
    ),
    NamespaceSpec("streaming", "Kafka consumers and producers", vpc_egress=("msk-iam-tls",), aws_apis=True),
    NamespaceSpec(
        "observability",
        "Prometheus, Alertmanager, Grafana",
        aws_apis=True,
        intra_namespace=True,
        scrape_everything=True,
    ),
    NamespaceSpec("pipelines", "retraining tasks started by Airflow", aws_apis=True),
    NamespaceSpec(
        "registry",
        "MLflow tracking and model registry",
        ingress=(Flow("training", MLFLOW_PORT), Flow("serving", MLFLOW_PORT), Flow("pipelines", MLFLOW_PORT)),
        vpc_egress=("postgres",),
        aws_apis=True,
    ),
)
# Controllers installed from Helm: they reach the API server and their webhooks are called by it.
CONTROLLER_NAMESPACES: tuple[NamespaceSpec, ...] = (
    NamespaceSpec("cert-manager", "certificate controller", intra_namespace=True),
    NamespaceSpec("kserve", "KServe controller", intra_namespace=True),
    NamespaceSpec("karpenter", "node autoscaler", aws_apis=True, intra_namespace=True),
    NamespaceSpec("kubeflow-system", "Kubeflow Trainer and JobSet controllers", intra_namespace=True),
    # Node agents need host access: the DCGM exporter reads GPU counters through the host's NVIDIA
    # driver, the device plugin registers with the kubelet socket, node-exporter reads host /proc.
    # They live alone in this namespace so `privileged` never applies to a workload namespace.
    NamespaceSpec(PRIVILEGED_NAMESPACE, "GPU device plugin, DCGM exporter, node exporter", privileged=True),
)
# Which calls each platform namespace makes to another (the mirror of the ingress flows above).
EGRESS_TO: dict[str, tuple[tuple[str, int], ...]] = {
    "serving": (("features", FEATURE_SERVER_PORT), ("registry", MLFLOW_PORT)),
    "streaming": (("features", FEATURE_SERVER_PORT), ("serving", PREDICTOR_PORT)),
    "training": (("registry", MLFLOW_PORT),),
    "pipelines": (("registry", MLFLOW_PORT), ("serving", PREDICTOR_PORT)),
}


@dataclass(frozen=True)
class Quota:
    cpu: str
    memory: str
    pods: int
    gpus: int


QUOTAS: dict[str, Quota] = {
    "dev": Quota(cpu="16", memory="64Gi", pods=100, gpus=2),
    "staging": Quota(cpu="48", memory="192Gi", pods=200, gpus=4),
    "prod": Quota(cpu="192", memory="768Gi", pods=500, gpus=8),
}


@dataclass(frozen=True)
class ServiceAccountSpec:
    namespace: str
    name: str


# The IRSA service accounts (the AWS side builds one role per entry, trusted for exactly this SA).
IRSA_SERVICE_ACCOUNTS = (
    ServiceAccountSpec("features", "feast-server"),
    ServiceAccountSpec("streaming", "stream-consumer"),
    ServiceAccountSpec("registry", "mlflow"),
    ServiceAccountSpec("training", "trainer"),
    ServiceAccountSpec("serving", "predictor"),
)


@dataclass(frozen=True)
class BaselineArgs:
    environment: str
    vpc_cidr: str
    # "namespace/name" -> IAM role ARN for each IRSA service account.
    irsa_role_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    namespaces: tuple[NamespaceSpec, ...] = PLATFORM_NAMESPACES + CONTROLLER_NAMESPACES


def _policy(name: str, namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace}, "spec": spec}


def _namespace_selector(namespace: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}


def network_policies(ns: NamespaceSpec, vpc_cidr: str) -> list[dict[str, Any]]:
    """The NetworkPolicies of one namespace: default deny, then one policy per allowed flow."""
    everything: dict[str, Any] = {"podSelector": {}}
    policies = [
        _policy("default-deny-all", ns.name, {**everything, "policyTypes": ["Ingress", "Egress"]}),
        _policy(
            "allow-dns",
            ns.name,
            {
                **everything,
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                **_namespace_selector("kube-system"),
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        ),
        # The EKS API server and the interface endpoints (STS, ECR, KMS, logs) have ENIs in the VPC.
        _policy(
            "allow-vpc-https",
            ns.name,
            {
                **everything,
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"ipBlock": {"cidr": vpc_cidr}}], "ports": [{"protocol": "TCP", "port": 443}]}],
            },
        ),
    ]
    if ns.name != "observability":
        policies.append(
            _policy(
                "allow-prometheus-scrape",
                ns.name,
                {
                    **everything,
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [
                                {
                                    **_namespace_selector("observability"),
                                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
                                }
                            ]
                        }
                    ],
                },
            )
        )
    for flow in ns.ingress:
        rule: dict[str, Any] = {"from": [{**_namespace_selector(flow.from_namespace), "podSelector": {}}]}
        if flow.port is not None:
            rule["ports"] = [{"protocol": "TCP", "port": flow.port}]
        policies.append(
            _policy(
                f"allow-from-{flow.from_namespace}",
                ns.name,
                {**everything, "policyTypes": ["Ingress"], "ingress": [rule]},
            )
        )
    for target, port in EGRESS_TO.get(ns.name, ()):
        policies.append(
            _policy(
                f"allow-to-{target}",
                ns.name,
                {
                    **everything,
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [{**_namespace_selector(target), "podSelector": {}}],
                            "ports": [{"protocol": "TCP", "port": port}],
                        }
                    ],
                },
            )
        )
    if ns.vpc_egress:
        ports = [{"protocol": "TCP", "port": VPC_PORTS[key]} for key in ns.vpc_egress]
        policies.append(
            _policy(
                "allow-data-services",
                ns.name,
                {
                    **everything,
                    "policyTypes": ["Egress"],
                    "egress": [{"to": [{"ipBlock": {"cidr": vpc_cidr}}], "ports": ports}],
                },
            )
        )
    if ns.aws_apis:
        policies.append(
            _policy(
                "allow-aws-apis",
                ns.name,
                {
                    **everything,
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(PRIVATE_RANGES)}}],
                            "ports": [{"protocol": "TCP", "port": 443}],
                        }
                    ],
                },
            )
        )
    if ns.intra_namespace:
        peers = [{"podSelector": {}}]
        policies.append(
            _policy(
                "allow-same-namespace",
                ns.name,
                {
                    **everything,
                    "policyTypes": ["Ingress", "Egress"],
                    "ingress": [{"from": peers}],
                    "egress": [{"to": peers}],
                },
            )
        )
    if ns.scrape_everything:
        policies.append(
            _policy(
                "allow-scrape-all-namespaces",
                ns.name,
                {
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
                    "policyTypes": ["Egress"],
                    "egress": [{"to": [{"namespaceSelector": {}}]}, {"to": [{"ipBlock": {"cidr": vpc_cidr}}]}],
                },
            )
        )
    if ns.name in {"cert-manager", "kserve", "kubeflow-system", "karpenter"}:
        # Admission and conversion webhooks are called by the control plane from its ENIs in the VPC.
        policies.append(
            _policy(
                "allow-webhooks-from-control-plane",
                ns.name,
                {**everything, "policyTypes": ["Ingress"], "ingress": [{"from": [{"ipBlock": {"cidr": vpc_cidr}}]}]},
            )
        )
    return policies


class KubernetesBaseline(pulumi.ComponentResource):
    """Namespaces, PSA labels, NetworkPolicies, quotas, limit ranges, IRSA service accounts, priorities."""

    namespaces: dict[str, k8s.core.v1.Namespace]
    service_accounts: dict[str, k8s.core.v1.ServiceAccount]

    def __init__(self, name: str, args: BaselineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:k8s:Baseline", name, None, opts)
        quota = QUOTAS.get(args.environment, QUOTAS["prod"])
        self.namespaces = {}
        self.service_accounts = {}
        for ns in args.namespaces:
            level = "privileged" if ns.privileged else "restricted"
            namespace = k8s.core.v1.Namespace(
                f"{name}-{ns.name}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=ns.name,
                    labels={
                        **{f"pod-security.kubernetes.io/{mode}": level for mode in PSA_LABELS},
                        **{f"pod-security.kubernetes.io/{mode}-version": "latest" for mode in PSA_LABELS},
                        "platform.uae/environment": args.environment,
                    },
                    annotations={"platform.uae/purpose": ns.purpose},
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.namespaces[ns.name] = namespace
            in_ns = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
            for policy in network_policies(ns, args.vpc_cidr):
                k8s.networking.v1.NetworkPolicy(
                    f"{name}-{ns.name}-{policy['metadata']['name']}",
                    metadata=policy["metadata"],
                    spec=policy["spec"],
                    opts=in_ns,
                )
            if ns.privileged:
                continue  # node agents run as DaemonSets sized per node; a namespace quota adds nothing
            hard: dict[str, str] = {
                "requests.cpu": quota.cpu,
                "requests.memory": quota.memory,
                "limits.cpu": quota.cpu,
                "limits.memory": quota.memory,
                "pods": str(quota.pods),
            }
            hard["requests.nvidia.com/gpu"] = str(quota.gpus if ns.gpu_quota else 0)
            k8s.core.v1.ResourceQuota(
                f"{name}-{ns.name}-quota",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="platform-quota", namespace=ns.name),
                spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=hard),
                opts=in_ns,
            )
            k8s.core.v1.LimitRange(
                f"{name}-{ns.name}-limits",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="container-defaults", namespace=ns.name),
                spec=k8s.core.v1.LimitRangeSpecArgs(
                    limits=[
                        k8s.core.v1.LimitRangeItemArgs(
                            type="Container",
                            default={"cpu": "500m", "memory": "512Mi"},
                            default_request={"cpu": "100m", "memory": "128Mi"},
                            max={"memory": "64Gi"},
                        )
                    ]
                ),
                opts=in_ns,
            )
        for sa in IRSA_SERVICE_ACCOUNTS:
            key = f"{sa.namespace}/{sa.name}"
            if sa.namespace not in self.namespaces:
                continue
            if key not in args.irsa_role_arns:
                raise ValueError(f"service account {key} has no IRSA role ARN (BaselineArgs.irsa_role_arns)")
            self.service_accounts[key] = k8s.core.v1.ServiceAccount(
                f"{name}-{sa.namespace}-{sa.name}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=sa.name,
                    namespace=sa.namespace,
                    annotations={IRSA_ANNOTATION: args.irsa_role_arns[key]},
                ),
                # IRSA injects its own projected web-identity token; the Kubernetes API token is not needed.
                automount_service_account_token=False,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespaces[sa.namespace]]),
            )
        self.serving_priority = k8s.scheduling.v1.PriorityClass(
            f"{name}-serving-priority",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=SERVING_PRIORITY),
            value=100000,
            preemption_policy="PreemptLowerPriority",
            global_default=False,
            description="Online inference: may preempt batch and training pods, never preempted by them.",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.training_priority = k8s.scheduling.v1.PriorityClass(
            f"{name}-training-priority",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=TRAINING_PRIORITY),
            value=1000,
            preemption_policy="Never",
            global_default=False,
            description="Training jobs: wait for capacity, never evict anything (inference above all).",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {
                "namespaces": {n: ns.metadata.name for n, ns in self.namespaces.items()},
                "service_accounts": {k: sa.metadata.name for k, sa in self.service_accounts.items()},
            }
        )
