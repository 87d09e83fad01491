"""Model serving: cert-manager and KServe (RawDeployment) from pinned in-region charts, and one
InferenceService per model on the CPU inference pool.

RawDeployment runs each predictor as a plain Deployment + HPA (no Knative, no Istio), which is
what a private EKS cluster without a service mesh supports; see ADR 0011 for the canary caveat.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra.components._k8s import (
    INFERENCE_POOL,
    container_security_context,
    http_probe,
    labels,
    pod_security_context,
    resources,
)
from infra.components.k8s_baseline import PREDICTOR_PORT, SERVING_PRIORITY
from infra.components.supply_chain import ImageRef, Mirror
from infra.config import HOME_REGION

DEPLOYMENT_MODE = "RawDeployment"
HELM_TIMEOUT_S = 900


@dataclass(frozen=True)
class ModelSpec:
    """One served model: the version rolled out and the canary version receiving a share of traffic."""

    name: str
    stable_version: str
    canary_version: str
    canary_traffic_percent: int


@dataclass(frozen=True)
class ServingSize:
    min_replicas: int
    max_replicas: int
    cpu: str
    memory: str
    cpu_limit: str


SERVING_SIZES = {
    "dev": ServingSize(min_replicas=1, max_replicas=2, cpu="250m", memory="512Mi", cpu_limit="1"),
    "staging": ServingSize(min_replicas=2, max_replicas=4, cpu="500m", memory="1Gi", cpu_limit="2"),
    "prod": ServingSize(min_replicas=3, max_replicas=12, cpu="1", memory="2Gi", cpu_limit="2"),
}
MODELS = (ModelSpec("credit-risk", stable_version="1", canary_version="2", canary_traffic_percent=10),)


@dataclass(frozen=True)
class ServingArgs:
    environment: str
    mirror: Mirror
    model_bucket: pulumi.Input[str]  # in-region S3 bucket holding s3://<bucket>/models/<name>/<version>/
    namespace: str = "serving"
    service_account: str = "predictor"
    models: tuple[ModelSpec, ...] = MODELS
    after: tuple[pulumi.Resource, ...] = ()  # namespaces, service accounts, priority classes


def release_opts(parent: pulumi.Resource, after: list[pulumi.Resource]) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, depends_on=after)


def _split_image(image: ImageRef) -> dict[str, pulumi.Input[str]]:
    """For charts that template `{{ image }}:{{ tag }}`: the tag carries the digest too (tag@sha256:...)."""
    return {"image": image.repository_url, "tag": pulumi.Output.concat(image.tag, "@", image.digest)}


class Serving(pulumi.ComponentResource):
    """cert-manager, KServe CRDs and controller, and the platform's InferenceServices."""

    inference_services: dict[str, k8s.apiextensions.CustomResource]

    def __init__(self, name: str, args: ServingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:serving:Serving", name, None, opts)
        mirror = args.mirror
        size = SERVING_SIZES.get(args.environment, SERVING_SIZES["prod"])
        ha = args.environment != "dev"

        chart, version = mirror.chart("cert-manager")
        cert_manager_images = {
            "image": mirror.image("cert-manager-controller").helm(),
            "webhook": {"image": mirror.image("cert-manager-webhook").helm()},
            "cainjector": {"image": mirror.image("cert-manager-cainjector").helm()},
            "startupapicheck": {"image": mirror.image("cert-manager-startupapicheck").helm()},
        }
        self.cert_manager = k8s.helm.v3.Release(
            f"{name}-cert-manager",
            name="cert-manager",
            chart=chart,
            version=version,
            namespace="cert-manager",
            create_namespace=False,
            atomic=True,
            cleanup_on_fail=True,
            timeout=HELM_TIMEOUT_S,
            values={
                **cert_manager_images,
                "crds": {"enabled": True, "keep": True},
                "replicaCount": 2 if ha else 1,
                "webhook": {**cert_manager_images["webhook"], "replicaCount": 2 if ha else 1},
                "podDisruptionBudget": {"enabled": ha},
                "prometheus": {"enabled": True, "servicemonitor": {"enabled": True}},
            },
            opts=release_opts(self, list(args.after)),
        )

        chart, version = mirror.chart("kserve-crd")
        crds = k8s.helm.v3.Release(
            f"{name}-kserve-crd",
            name="kserve-crd",
            chart=chart,
            version=version,
            namespace="kserve",
            create_namespace=False,
            atomic=True,
            timeout=HELM_TIMEOUT_S,
            opts=release_opts(self, list(args.after)),
        )
        chart, version = mirror.chart("kserve")
        self.kserve = k8s.helm.v3.Release(
            f"{name}-kserve",
            name="kserve",
            chart=chart,
            version=version,
            namespace="kserve",
            create_namespace=False,
            atomic=True,
            cleanup_on_fail=True,
            timeout=HELM_TIMEOUT_S,
            values={
                "kserve": {
                    "controller": {
                        "deploymentMode": DEPLOYMENT_MODE,
                        **_split_image(mirror.image("kserve-controller")),
                        # No Istio/Knative ingress: predictors are reached through in-cluster Services.
                        "gateway": {"disableIngressCreation": True, "disableIstioVirtualHost": True},
                    },
                    "storage": _split_image(mirror.image("kserve-storage-initializer")),
                    "agent": _split_image(mirror.image("kserve-agent")),
                    "router": _split_image(mirror.image("kserve-router")),
                    "metricsaggregator": {"enableMetricAggregation": "true", "enablePrometheusScraping": "true"},
                },
            },
            opts=release_opts(self, [crds, self.cert_manager, *args.after]),
        )

        predictor_image = mirror.workload("serving")
        self.inference_services = {}
        for model in args.models:
            self.inference_services[model.name] = self._inference_service(
                name, model, args, size, ha, predictor_image.ref
            )
        self.register_outputs(
            {
                "inference_services": {
                    m: isvc.metadata.apply(lambda md: md["name"]) for m, isvc in self.inference_services.items()
                },
                "kserve_version": version,
            }
        )

    def _inference_service(
        self,
        name: str,
        model: ModelSpec,
        args: ServingArgs,
        size: ServingSize,
        ha: bool,
        image: pulumi.Input[str],
    ) -> k8s.apiextensions.CustomResource:
        storage_uri = pulumi.Output.concat("s3://", args.model_bucket, f"/models/{model.name}/{model.canary_version}")
        spread = (
            [
                {
                    "maxSkew": 1,
                    "topologyKey": "topology.kubernetes.io/zone",
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": {"serving.kserve.io/inferenceservice": model.name}},
                }
            ]
            if ha
            else []
        )
        predictor = {
            "minReplicas": size.min_replicas,
            "maxReplicas": size.max_replicas,
            "scaleMetric": "cpu",
            "scaleTarget": 70,
            # The version in `storage_uri` is the canary: KServe keeps the last rolled-out revision
            # (the stable version) serving the rest of the traffic until it is promoted.
            "canaryTrafficPercent": model.canary_traffic_percent,
            "serviceAccountName": args.service_account,
            "automountServiceAccountToken": False,
            "priorityClassName": SERVING_PRIORITY,
            "nodeSelector": dict(INFERENCE_POOL),
            "securityContext": pod_security_context(),
            "topologySpreadConstraints": spread,
            "containers": [
                {
                    "name": "kserve-container",
                    "image": image,
                    "args": [f"--model_name={model.name}", "--model_dir=/mnt/models", f"--http_port={PREDICTOR_PORT}"],
                    "env": [
                        {"name": "STORAGE_URI", "value": storage_uri},
                        {"name": "MODEL_VERSION", "value": model.canary_version},
                        {"name": "AWS_REGION", "value": HOME_REGION},
                        {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
                    ],
                    "ports": [{"name": "http1", "containerPort": PREDICTOR_PORT, "protocol": "TCP"}],
                    "resources": resources(size.cpu, size.memory, size.cpu_limit),
                    "securityContext": container_security_context(),
                    "readinessProbe": http_probe(f"/v1/models/{model.name}", PREDICTOR_PORT),
                    "livenessProbe": http_probe("/", PREDICTOR_PORT, period=20, initial_delay=15),
                    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                }
            ],
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
        }
        return k8s.apiextensions.CustomResource(
            f"{name}-{model.name}",
            api_version="serving.kserve.io/v1beta1",
            kind="InferenceService",
            metadata={
                "name": model.name,
                "namespace": args.namespace,
                "labels": labels(model.name, "predictor"),
                "annotations": {
                    "serving.kserve.io/deploymentMode": DEPLOYMENT_MODE,
                    "serving.kserve.io/autoscalerClass": "hpa",
                    "platform.uae/stable-model-version": model.stable_version,
                    "platform.uae/canary-model-version": model.canary_version,
                },
            },
            spec={"predictor": predictor},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.kserve, *args.after]),
        )
