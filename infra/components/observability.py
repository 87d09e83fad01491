"""Observability: kube-prometheus-stack with Grafana in the cluster (Amazon Managed Grafana is not
offered in me-central-1), remote write to an Amazon Managed Prometheus workspace in-region (SigV4,
an IRSA role that may only aps:RemoteWrite to that workspace), the DCGM exporter for GPU metrics,
and the platform's dashboards and alerting rules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.components._iam import document, irsa_role
from infra.components._k8s import IRSA_ANNOTATION
from infra.components.k8s_baseline import PRIVILEGED_NAMESPACE
from infra.components.serving import HELM_TIMEOUT_S
from infra.components.supply_chain import Mirror
from infra.config import HOME_REGION

NAMESPACE = "observability"
PROMETHEUS_SERVICE_ACCOUNT = "prometheus"
# Metric names the alerts and dashboards read. KServe's model server exports the latency histogram;
# the platform's own services export the rest (workloads/*: predictor, stream consumer, drift monitor).
METRICS = {
    "predict_latency": "request_predict_seconds_bucket",
    "inference_requests": "platform_inference_requests_total",
    "gpu_utilisation": "DCGM_FI_DEV_GPU_UTIL",
    "consumer_lag": "platform_kafka_consumer_lag",
    "feature_drift": "platform_feature_drift_psi",
}


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    duration: str
    severity: str
    summary: str


ALERTS: dict[str, tuple[Alert, ...]] = {
    "serving": (
        Alert(
            "InferenceLatencyP99High",
            f"histogram_quantile(0.99, sum by (le, model_name) (rate({METRICS['predict_latency']}[5m]))) > 0.3",
            "10m",
            "page",
            "p99 predict latency of {{ $labels.model_name }} is above 300 ms",
        ),
        Alert(
            "InferenceErrorRateHigh",
            f'sum by (model_name) (rate({METRICS["inference_requests"]}{{code=~"5.."}}[5m])) / '
            f"sum by (model_name) (rate({METRICS['inference_requests']}[5m])) > 0.01",
            "5m",
            "page",
            "more than 1% of requests to {{ $labels.model_name }} fail with 5xx",
        ),
    ),
    "gpu": (
        Alert(
            "GpuIdle",
            f"avg by (Hostname) ({METRICS['gpu_utilisation']}) < 10",
            "30m",
            "ticket",
            "GPUs on {{ $labels.Hostname }} are under 10% busy: a stuck job or a node to release",
        ),
        Alert(
            "GpuXidErrors",
            "max by (Hostname, gpu) (DCGM_FI_DEV_XID_ERRORS) > 0",
            "1m",
            "page",
            "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reports XID error {{ $value }}",
        ),
    ),
    "streaming": (
        Alert(
            "KafkaConsumerLagHigh",
            f"sum by (group, topic) ({METRICS['consumer_lag']}) > 10000",
            "10m",
            "page",
            "consumer group {{ $labels.group }} is {{ $value }} messages behind on {{ $labels.topic }}",
        ),
    ),
    "features": (
        Alert(
            "FeatureDrift",
            f"max by (feature) ({METRICS['feature_drift']}) > 0.2",
            "30m",
            "ticket",
            "feature {{ $labels.feature }} drifted (PSI {{ $value }} > 0.2): check the data and retrain",
        ),
    ),
}


def prometheus_rule_groups() -> list[dict]:
    return [
        {
            "name": f"platform-{group}",
            "rules": [
                {
                    "alert": a.name,
                    "expr": a.expr,
                    "for": a.duration,
                    "labels": {"severity": a.severity, "team": "ml-platform"},
                    "annotations": {"summary": a.summary},
                }
                for a in alerts
            ],
        }
        for group, alerts in ALERTS.items()
    ]


def _panel(panel_id: int, title: str, expr: str, unit: str, y: int) -> dict:
    return {
        "id": panel_id,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "prometheus"},
        "gridPos": {"h": 8, "w": 24, "x": 0, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [{"refId": "A", "expr": expr}],
    }


DASHBOARDS: dict[str, list[tuple[str, str, str]]] = {
    "serving": [
        (
            "p99 predict latency",
            f"histogram_quantile(0.99, sum by (le, model_name) (rate({METRICS['predict_latency']}[5m])))",
            "s",
        ),
        ("Requests per second", f"sum by (model_name, code) (rate({METRICS['inference_requests']}[5m]))", "reqps"),
    ],
    "gpu": [
        ("GPU utilisation", f"avg by (Hostname, gpu) ({METRICS['gpu_utilisation']})", "percent"),
        ("GPU memory used", "sum by (Hostname) (DCGM_FI_DEV_FB_USED)", "decmbytes"),
    ],
    "streaming": [("Consumer lag", f"sum by (group, topic) ({METRICS['consumer_lag']})", "short")],
    "features": [("Feature drift (PSI)", f"max by (feature) ({METRICS['feature_drift']})", "short")],
}


def dashboard_json(title: str, panels: list[tuple[str, str, str]]) -> str:
    return json.dumps(
        {
            "title": f"ML platform / {title}",
            "uid": f"uae-ml-{title}",
            "schemaVersion": 39,
            "time": {"from": "now-6h", "to": "now"},
            "panels": [_panel(i + 1, t, e, u, 8 * i) for i, (t, e, u) in enumerate(panels)],
        },
        sort_keys=True,
    )


@dataclass(frozen=True)
class ObservabilityArgs:
    environment: str
    mirror: Mirror
    cluster_name: str
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    after: tuple[pulumi.Resource, ...] = ()


class Observability(pulumi.ComponentResource):
    """AMP workspace and writer role, kube-prometheus-stack, DCGM exporter, dashboards and rules."""

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:observability:Observability", name, None, opts)
        mirror = args.mirror
        child = pulumi.ResourceOptions(parent=self)
        ha = args.environment != "dev"
        after = list(args.after)

        self.workspace = aws.amp.Workspace(
            f"{name}-amp",
            alias=f"{args.cluster_name}-metrics",
            kms_key_arn=args.kms_key_arn,
            opts=child,
        )
        self.writer_role, writer_policy = irsa_role(
            f"{name}-prometheus",
            namespace=NAMESPACE,
            service_account=PROMETHEUS_SERVICE_ACCOUNT,
            oidc_provider_arn=args.oidc_provider_arn,
            oidc_issuer=args.oidc_issuer,
            description=f"IRSA role of Prometheus ({NAMESPACE}:{PROMETHEUS_SERVICE_ACCOUNT}): remote write only",
            policy=document(
                [
                    {
                        "Sid": "RemoteWriteOnly",
                        "Effect": "Allow",
                        "Action": "aps:RemoteWrite",
                        "Resource": self.workspace.arn,
                    }
                ]
            ),
            opts=child,
        )
        remote_write_url = pulumi.Output.concat(self.workspace.prometheus_endpoint, "api/v1/remote_write")

        prometheus = mirror.image("prometheus")
        storage = (
            {
                "volumeClaimTemplate": {
                    "spec": {
                        "storageClassName": "encrypted-gp3",
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "100Gi" if args.environment == "prod" else "20Gi"}},
                    }
                }
            }
            if ha
            else {}
        )
        self.storage_class = k8s.storage.v1.StorageClass(
            f"{name}-encrypted-gp3",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="encrypted-gp3"),
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true"},
            reclaim_policy="Retain" if args.environment == "prod" else "Delete",
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            opts=child,
        )
        chart, version = mirror.chart("kube-prometheus-stack")
        self.stack = k8s.helm.v3.Release(
            f"{name}-kube-prometheus-stack",
            name="kube-prometheus-stack",
            chart=chart,
            version=version,
            namespace=NAMESPACE,
            create_namespace=False,
            atomic=True,
            cleanup_on_fail=True,
            timeout=HELM_TIMEOUT_S,
            values={
                # EKS runs these control-plane components itself; there is nothing to scrape.
                "kubeEtcd": {"enabled": False},
                "kubeControllerManager": {"enabled": False},
                "kubeScheduler": {"enabled": False},
                "kubeProxy": {"enabled": False},
                "prometheusOperator": {
                    "image": mirror.image("prometheus-operator").helm("sha"),
                    "prometheusConfigReloader": {"image": mirror.image("prometheus-config-reloader").helm("sha")},
                    "admissionWebhooks": {"patch": {"image": mirror.image("kube-webhook-certgen").helm("sha")}},
                },
                "prometheus": {
                    "serviceAccount": {
                        "create": True,
                        "name": PROMETHEUS_SERVICE_ACCOUNT,
                        "annotations": {IRSA_ANNOTATION: self.writer_role.arn},
                    },
                    "prometheusSpec": {
                        "image": prometheus.helm("sha"),
                        "replicas": 2 if ha else 1,
                        "retention": "15d" if ha else "2d",
                        "storageSpec": storage,
                        # Select every rule and monitor in the cluster, not only this release's.
                        "ruleSelectorNilUsesHelmValues": False,
                        "serviceMonitorSelectorNilUsesHelmValues": False,
                        "podMonitorSelectorNilUsesHelmValues": False,
                        "remoteWrite": [
                            {
                                "url": remote_write_url,
                                "sigv4": {"region": HOME_REGION},
                                "queueConfig": {"maxSamplesPerSend": 1000, "maxShards": 50, "capacity": 2500},
                            }
                        ],
                        "nodeSelector": {"platform.uae/pool": "system"},
                    },
                },
                "alertmanager": {
                    "alertmanagerSpec": {
                        "image": mirror.image("alertmanager").helm("sha"),
                        "replicas": 2 if ha else 1,
                        "nodeSelector": {"platform.uae/pool": "system"},
                    }
                },
                "grafana": {
                    "image": mirror.image("grafana").helm("sha"),
                    "sidecar": {
                        "image": mirror.image("grafana-sidecar").helm("sha"),
                        "dashboards": {"enabled": True, "label": "grafana_dashboard", "searchNamespace": NAMESPACE},
                    },
                    # The chart generates the admin password into a Secret; none is written here.
                    "persistence": {"enabled": False},
                    "testFramework": {"enabled": False},
                    "initChownData": {"enabled": False},
                    "grafana.ini": {
                        # No calls home from inside the UAE platform.
                        "analytics": {
                            "reporting_enabled": False,
                            "check_for_updates": False,
                            "check_for_plugin_updates": False,
                        },
                        "auth.anonymous": {"enabled": False},
                        "users": {"allow_sign_up": False},
                    },
                    "service": {"type": "ClusterIP"},
                },
                "kube-state-metrics": {"image": mirror.image("kube-state-metrics").helm("sha")},
                # node-exporter reads the host's /proc and /sys through hostPID/hostNetwork: it runs in
                # the privileged node-agents namespace, never in `observability` (PSA restricted).
                "prometheus-node-exporter": {
                    "namespaceOverride": PRIVILEGED_NAMESPACE,
                    "image": mirror.image("node-exporter").helm(),
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[writer_policy, self.storage_class, *after]),
        )

        chart, version = mirror.chart("dcgm-exporter")
        dcgm = mirror.image("dcgm-exporter")
        self.dcgm_exporter = k8s.helm.v3.Release(
            f"{name}-dcgm-exporter",
            name="dcgm-exporter",
            chart=chart,
            version=version,
            namespace=PRIVILEGED_NAMESPACE,
            create_namespace=False,
            atomic=True,
            timeout=HELM_TIMEOUT_S,
            values={
                "image": {"repository": dcgm.repository_url, "tag": pulumi.Output.concat(dcgm.tag, "@", dcgm.digest)},
                "serviceMonitor": {"enabled": True, "interval": "15s"},
                "nodeSelector": {"nvidia.com/gpu.present": "true"},
                "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.stack, *after]),
        )

        self.dashboards = [
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{title}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"dashboard-{title}", namespace=NAMESPACE, labels={"grafana_dashboard": "1"}
                ),
                data={f"{title}.json": dashboard_json(title, panels)},
                opts=pulumi.ResourceOptions(parent=self, depends_on=after),
            )
            for title, panels in DASHBOARDS.items()
        ]
        self.rules = k8s.apiextensions.CustomResource(
            f"{name}-rules",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata={"name": "platform-alerts", "namespace": NAMESPACE, "labels": {"role": "alert-rules"}},
            spec={"groups": prometheus_rule_groups()},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.stack]),
        )
        self.register_outputs(
            {
                "amp_workspace_arn": self.workspace.arn,
                "remote_write_url": remote_write_url,
                "prometheus_role_arn": self.writer_role.arn,
            }
        )
