"""`python -m bench.gate_k8s`: the gate on a ~10,000-resource preview of which ~35% are Kubernetes objects.

The platform's own prod stack (synthesized) plus, per copy, the Kubernetes objects that the services
put on its EKS cluster: per namespace a Namespace, default-deny NetworkPolicy, ConfigMap,
ServiceAccount, Deployment, Service, a GPU training Job, a KServe InferenceService and a Helm release
(hardened, as the services ship them). The kubernetes provider's kubeconfig depends on the cluster,
so every object is placed in me-central-1 (docs/gate-input.md).

Records for the default gate (regorus + Checkov, one command) and for the OPA library as the Rego
engine: total seconds, Rego seconds, Checkov seconds, peak memory; then the Checkov CLI alone on the
equivalent input (the Terraform plan JSON and the Kubernetes manifests the gate gives Checkov), run
once (~60 s or more), and the ratio gate total / Checkov CLI (aim <= 0.05). Wall seconds on a busy
shared machine are noisy, so CPU seconds are recorded beside them.
Writes bench/results/gate_k8s.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import yaml

from policies.facts import UNKNOWN

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
NAMESPACES = ("features", "serving", "training", "streaming", "monitoring", "registry")
IMAGE = "123456789012.dkr.ecr.me-central-1.amazonaws.com/platform/{name}@sha256:" + "3f5ad4d7c0e1b2a3" * 4


def _container(name: str, gpu: bool = False) -> dict[str, Any]:
    limits = {"cpu": "2", "memory": "4Gi", **({"nvidia.com/gpu": 1} if gpu else {})}
    return {
        "name": name,
        "image": IMAGE.format(name=name),
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": limits},
        "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "runAsUser": 10001,
                            "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}},
    }  # fmt: skip


def _pod(name: str, gpu: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "serviceAccountName": "workload",
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [_container(name, gpu)],
    }
    if gpu:
        spec["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
        spec["nodeSelector"] = {"platform.uae/pool": "gpu"}
    return spec


def kubernetes_objects(namespace: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(type token, name, inputs) of the objects one namespace holds."""
    meta = {"namespace": namespace, "labels": {"app.kubernetes.io/part-of": "uae-ml-platform"}}
    labels = {"app": namespace}
    return [
        ("kubernetes:core/v1:Namespace", namespace, {"apiVersion": "v1", "kind": "Namespace",
         "metadata": {"name": namespace, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}),
        ("kubernetes:networking.k8s.io/v1:NetworkPolicy", f"{namespace}-default-deny", {
         "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny", **meta},
         "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}),
        ("kubernetes:core/v1:ConfigMap", f"{namespace}-settings", {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "settings", **meta}, "data": {"LOG_LEVEL": "info"}}),
        ("kubernetes:core/v1:ServiceAccount", f"{namespace}-workload", {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": "workload", **meta}, "automountServiceAccountToken": False}),
        ("kubernetes:apps/v1:Deployment", f"{namespace}-server", {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "server", **meta}, "spec": {"replicas": 2, "selector": {"matchLabels": labels},
         "template": {"metadata": {"labels": labels}, "spec": _pod("server")}}}),
        ("kubernetes:core/v1:Service", f"{namespace}-server", {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "server", **meta}, "spec": {"type": "ClusterIP", "selector": labels,
         "ports": [{"port": 8080, "targetPort": 8080}]}}),
        ("kubernetes:batch/v1:Job", f"{namespace}-train", {"apiVersion": "batch/v1", "kind": "Job",
         "metadata": {"name": "train", **meta}, "spec": {"backoffLimit": 2,
         "template": {"spec": {**_pod("trainer", gpu=True), "restartPolicy": "Never"}}}}),
        ("kubernetes:serving.kserve.io/v1beta1:InferenceService", f"{namespace}-ranker", {
         "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "metadata": {"name": "ranker", **meta},
         "spec": {"predictor": {"minReplicas": 2, "serviceAccountName": "workload",
                                "securityContext": _pod("ranker")["securityContext"],
                                "containers": [_container("ranker")]}}}),
        ("kubernetes:helm.sh/v3:Release", f"{namespace}-exporter", {"chart": "prometheus-node-exporter",
         "version": "4.39.0", "namespace": namespace, "repositoryOpts": {"repo": "oci://123456789012.dkr.ecr.me-central-1.amazonaws.com/mirror/charts"},
         "values": {"image": {"registry": "123456789012.dkr.ecr.me-central-1.amazonaws.com",
                              "repository": "mirror/node-exporter", "tag": "v1.8.2", "digest": IMAGE.split("@")[1]},
                    "containerSecurityContext": {"privileged": False, "allowPrivilegeEscalation": False,
                                                 "readOnlyRootFilesystem": True},
                    "hostNetwork": False, "hostPID": False}}),
    ]  # fmt: skip


def platform_preview(resources: int) -> dict[str, Any]:
    """The synthesized prod stack plus its Kubernetes objects, replicated to about `resources` steps."""
    from bench.scale import replicate
    from platformctl.synth import synthesize

    base = synthesize("prod")
    provider = next(s["urn"] for s in base["steps"] if s["urn"].endswith("pulumi:providers:kubernetes::cluster-k8s"))
    stack = next(s["urn"] for s in base["steps"] if "::pulumi:pulumi:Stack::" in s["urn"])
    prefix = stack.split("pulumi:pulumi:Stack::")[0]
    for namespace in NAMESPACES:
        for type_, name, inputs in kubernetes_objects(namespace):
            urn = f"{prefix}{type_}::{name}"
            ref = f"{provider}::{UNKNOWN}"
            state = {"urn": urn, "type": type_, "custom": True, "inputs": inputs, "parent": stack, "provider": ref}
            base["steps"].append({"op": "create", "urn": urn, "provider": ref, "newState": state})
    return replicate(base, resources)


def _rss_mb(who: int) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def bench(resources: int, with_cli: bool, save: Any = None) -> dict[str, Any]:
    from platformctl.gate.engines.checkov import build_request
    from platformctl.gate.engines.rego import make_engine
    from platformctl.gate.input.preview import load_preview_file, normalize
    from platformctl.gate.runner import GateOptions, run_gate

    work = Path(tempfile.mkdtemp(prefix="bench-gate-k8s-"))
    preview = work / "preview.json"
    preview.write_text(json.dumps(platform_preview(resources)))

    cpu0, children0 = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = run_gate([str(preview)], GateOptions())
    total = time.perf_counter() - started
    total_cpu = _cpu(resource.RUSAGE_SELF) - cpu0 + _cpu(resource.RUSAGE_CHILDREN) - children0

    doc = normalize(load_preview_file(preview))
    kubernetes = sum(1 for r in doc["resources"] if r["package"] == "kubernetes")
    figures: dict[str, Any] = {
        "resources": len(doc["resources"]),
        "kubernetes_resources": kubernetes,
        "kubernetes_share": round(kubernetes / len(doc["resources"]), 3),
        "verdict": result.verdict,
        "findings": len(result.findings),
        "unchecked": sum(len(getattr(s, "unchecked", []) or []) for s in result.stacks),
        "gate_total_seconds": round(total, 3),
        "gate_total_cpu_seconds": round(total_cpu, 3),
    }
    for kind in ("regorus", "opa"):
        engine = make_engine(kind)  # type: ignore[arg-type]
        cpu0, started = time.process_time(), time.perf_counter()
        findings = engine.evaluate(doc)
        figures[f"rego_{kind}_seconds"] = round(time.perf_counter() - started, 3)
        figures[f"rego_{kind}_cpu_seconds"] = round(time.process_time() - cpu0, 3)
        figures[f"rego_{kind}_findings"] = len(findings)
    figures["rego_engines_agree"] = figures["rego_regorus_findings"] == figures["rego_opa_findings"]
    figures["peak_rss_mb_gate_process"] = _rss_mb(resource.RUSAGE_SELF)
    figures["peak_rss_mb_checkov_worker"] = _rss_mb(resource.RUSAGE_CHILDREN)
    if save is not None:
        save(figures)  # the gate's figures stand even if the slow CLI run below is cut short

    if with_cli:
        request, _, manifests = build_request(doc)
        plan = work / "plan.json"
        plan.write_text(json.dumps(request["plan"]))
        k8s = work / "manifests.yaml"
        k8s.write_text(yaml.safe_dump_all([m.manifest for m in manifests], sort_keys=False))
        env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
        checkov_bin = REPO / ".venv-checkov" / "bin" / "checkov"
        cmd = ["/usr/bin/time", "-f", "%M %U %S", str(checkov_bin), "-f", str(plan), "-f", str(k8s),
               "--framework", "terraform_plan", "kubernetes", "--skip-download", "--quiet", "--compact", "-o", "json"]  # fmt: skip
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
        cli_seconds = time.perf_counter() - started
        last = proc.stderr.strip().splitlines()[-1].split() if proc.stderr.strip() else []
        try:
            reports = json.loads(proc.stdout)
            reports = reports if isinstance(reports, list) else [reports]
            scanned = sum(r.get("summary", {}).get("resource_count", 0) for r in reports)
        except json.JSONDecodeError:
            scanned = None
        figures["checkov_cli_seconds"] = round(cli_seconds, 2)
        figures["checkov_cli_cpu_seconds"] = round(float(last[1]) + float(last[2]), 2) if len(last) == 3 else None
        figures["checkov_cli_peak_rss_mb"] = round(int(last[0]) / 1024, 1) if last and last[0].isdigit() else None
        figures["checkov_cli_resources_scanned"] = scanned
        figures["ratio_gate_to_checkov_cli"] = round(total / cli_seconds, 3)
        if figures["checkov_cli_cpu_seconds"]:
            figures["ratio_gate_to_checkov_cli_cpu"] = round(total_cpu / figures["checkov_cli_cpu_seconds"], 3)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--no-checkov-cli", action="store_true", help="skip the slow Checkov CLI comparison")
    parser.add_argument("--output", default=str(RESULTS / "gate_k8s.json"))
    args = parser.parse_args()
    warnings.simplefilter("ignore", DeprecationWarning)
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_start": os.getloadavg()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }  # fmt: skip
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)

    def save(figures: dict[str, Any]) -> None:
        report["gate_k8s_10k"] = figures
        Path(args.output).write_text(json.dumps(report, indent=2) + "\n")

    save(bench(args.resources, with_cli=not args.no_checkov_cli, save=save))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
