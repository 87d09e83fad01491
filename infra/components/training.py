"""Distributed training: Kubeflow Trainer (v2, TrainJob) from a pinned in-region chart, a namespaced
TrainingRuntime that holds the GPU pod template, and the credit-risk TrainJob that runs the
training image with torchrun across GPU nodes.

The runtime owns what every GPU job must have (GPU taint toleration, GPU pool node selector,
restricted security context, the `trainer` IRSA service account, the training PriorityClass that
never preempts, NCCL settings and shared memory); a TrainJob only says which image, command, how
many nodes and where checkpoints go.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra.components._k8s import (
    GPU_POOL,
    GPU_TOLERATION,
    container_security_context,
    labels,
    pod_security_context,
    resources,
)
from infra.components.k8s_baseline import TRAINING_PRIORITY
from infra.components.serving import HELM_TIMEOUT_S
from infra.components.supply_chain import Mirror
from infra.config import HOME_REGION

TRAINER_API = "trainer.kubeflow.org/v1alpha1"
RUNTIME_NAME = "torch-distributed-gpu"
NCCL_ENV = {
    # Fail a hung collective instead of blocking the job forever, and say why.
    "TORCH_NCCL_ASYNC_ERROR_HANDLING": "1",
    "NCCL_DEBUG": "WARN",
    # Pod network interface of the VPC CNI; g5/g6/g6e have no EFA, so no InfiniBand transport.
    "NCCL_SOCKET_IFNAME": "eth0",
    "NCCL_IB_DISABLE": "1",
    "OMP_NUM_THREADS": "4",
}


@dataclass(frozen=True)
class TrainingSize:
    nodes: int
    gpus_per_node: int
    cpu: str
    memory: str


TRAINING_SIZES = {
    "dev": TrainingSize(nodes=1, gpus_per_node=1, cpu="3", memory="12Gi"),
    "staging": TrainingSize(nodes=2, gpus_per_node=1, cpu="3", memory="12Gi"),
    "prod": TrainingSize(nodes=2, gpus_per_node=1, cpu="3", memory="24Gi"),
}


@dataclass(frozen=True)
class TrainingArgs:
    environment: str
    mirror: Mirror
    checkpoint_bucket: pulumi.Input[str]
    mlflow_tracking_uri: str
    namespace: str = "training"
    service_account: str = "trainer"
    model: str = "credit-risk"
    after: tuple[pulumi.Resource, ...] = ()


def gpu_pod_spec(image: pulumi.Input[str], service_account: str, size: TrainingSize) -> dict:
    """The pod template of every node of a distributed training job."""
    return {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": False,
        "priorityClassName": TRAINING_PRIORITY,
        "nodeSelector": dict(GPU_POOL),
        "tolerations": [dict(GPU_TOLERATION)],
        "securityContext": pod_security_context(),
        "containers": [
            {
                "name": "node",
                "image": image,
                "env": [{"name": k, "value": v} for k, v in NCCL_ENV.items()],
                "resources": resources(size.cpu, size.memory, extra={"nvidia.com/gpu": str(size.gpus_per_node)}),
                "securityContext": container_security_context(),
                "volumeMounts": [
                    {"name": "dshm", "mountPath": "/dev/shm"},
                    {"name": "tmp", "mountPath": "/tmp"},
                ],
            }
        ],
        # NCCL and DataLoader workers exchange tensors through shared memory; the default 64Mi is too small.
        "volumes": [
            {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "20Gi"}},
        ],
    }


class Training(pulumi.ComponentResource):
    """The Kubeflow Trainer release, the GPU TrainingRuntime and the model's TrainJob."""

    def __init__(self, name: str, args: TrainingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:training:Training", name, None, opts)
        mirror = args.mirror
        size = TRAINING_SIZES.get(args.environment, TRAINING_SIZES["prod"])
        chart, version = mirror.chart("kubeflow-trainer")
        manager = mirror.image("trainer-controller-manager")
        jobset = mirror.image("jobset")
        self.operator = k8s.helm.v3.Release(
            f"{name}-trainer",
            name="kubeflow-trainer",
            chart=chart,
            version=version,
            namespace="kubeflow-system",
            create_namespace=False,
            atomic=True,
            cleanup_on_fail=True,
            timeout=HELM_TIMEOUT_S,
            values={
                "manager": {"image": manager.helm(), "nodeSelector": {"platform.uae/pool": "system"}},
                "jobset": {"install": True, "image": jobset.helm()},
                # The upstream default runtimes pull public images; ours is defined below.
                "runtimes": {"defaultEnabled": False},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.after)),
        )
        image = mirror.workload("training").ref
        self.runtime = k8s.apiextensions.CustomResource(
            f"{name}-runtime",
            api_version=TRAINER_API,
            kind="TrainingRuntime",
            metadata={
                "name": RUNTIME_NAME,
                "namespace": args.namespace,
                "labels": {**labels(RUNTIME_NAME, "training-runtime"), "trainer.kubeflow.org/framework": "torch"},
            },
            spec={
                "mlPolicy": {"numNodes": size.nodes, "torch": {"numProcPerNode": "auto"}},
                "template": {
                    "spec": {
                        "replicatedJobs": [
                            {
                                "name": "node",
                                "template": {
                                    "metadata": {"labels": {"trainer.kubeflow.org/trainjob-ancestor-step": "trainer"}},
                                    "spec": {
                                        "template": {"spec": gpu_pod_spec(image, args.service_account, size)},
                                    },
                                },
                            }
                        ]
                    }
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.operator, *args.after]),
        )
        checkpoints = pulumi.Output.concat("s3://", args.checkpoint_bucket, f"/checkpoints/{args.model}")
        self.job = k8s.apiextensions.CustomResource(
            f"{name}-{args.model}",
            api_version=TRAINER_API,
            kind="TrainJob",
            metadata={
                "name": f"{args.model}-train",
                "namespace": args.namespace,
                "labels": labels(args.model, "training"),
            },
            spec={
                "runtimeRef": {"apiGroup": "trainer.kubeflow.org", "kind": "TrainingRuntime", "name": RUNTIME_NAME},
                # Declared, not started by `pulumi up`: the retraining pipeline un-suspends it.
                "suspend": True,
                "trainer": {
                    "image": image,
                    "command": ["torchrun", "-m", "training.train"],
                    "args": ["--checkpoint-uri", checkpoints],
                    "numNodes": size.nodes,
                    "resourcesPerNode": resources(
                        size.cpu, size.memory, extra={"nvidia.com/gpu": str(size.gpus_per_node)}
                    ),
                    "env": [
                        *({"name": k, "value": v} for k, v in NCCL_ENV.items()),
                        {"name": "CHECKPOINT_URI", "value": checkpoints},
                        {"name": "MLFLOW_TRACKING_URI", "value": args.mlflow_tracking_uri},
                        {"name": "AWS_REGION", "value": HOME_REGION},
                        {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
                    ],
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.runtime]),
        )
        self.runtime_name = RUNTIME_NAME
        self.register_outputs({"runtime": RUNTIME_NAME, "trainer_version": version})
