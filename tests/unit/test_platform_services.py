"""Security-relevant inputs of the cluster-side platform services, on the real program under mocks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.components.k8s_baseline import CONTROLLER_NAMESPACES, IRSA_SERVICE_ACCOUNTS, PLATFORM_NAMESPACES
from infra.components.supply_chain import CHARTS, IMAGES
from infra.config import GPU_FAMILIES

from .conftest import ACCOUNT_ID, image_digest

STACKS = ("dev", "staging", "prod")
ECR = f"{ACCOUNT_ID}.dkr.ecr.me-central-1.amazonaws.com"
WORKLOAD_NAMESPACES = {ns.name for ns in PLATFORM_NAMESPACES}
RELEASE = "kubernetes:helm.sh/v3:Release"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


@pytest.fixture(params=STACKS)
def synth(request, infra_mocks):
    return infra_mocks(request.param)


def k8s_objects(synth, typ: str) -> list[Any]:
    return synth.of_type(typ)


def by_namespace(synth, typ: str) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for r in synth.of_type(typ):
        found.setdefault(r.inputs["metadata"]["namespace"], []).append(r.inputs)
    return found


def release(synth, name: str) -> dict:
    return synth.one(RELEASE, name).inputs


def custom(synth, kind: str, name: str) -> dict:
    [found] = [r.inputs for r in synth.resources if r.typ.endswith(f":{kind}") and r.inputs["metadata"]["name"] == name]
    return found


def pinned(image: str) -> bool:
    host, _, rest = image.partition("/")
    return host == ECR and "@sha256:" in rest and len(rest.rsplit("@sha256:", 1)[1]) == 64


# --- provider -----------------------------------------------------------------------------------


def test_every_kubernetes_object_uses_the_clusters_own_provider(synth):
    objects = [r for r in synth.resources if r.typ.startswith("kubernetes:")]
    assert len(objects) >= 100
    assert {r.provider.rsplit("::", 1)[0].rsplit("::", 1)[-1] for r in objects} == {"cluster-k8s"}
    assert all("pulumi:providers:kubernetes::cluster-k8s::" in r.provider for r in objects)


# --- baseline -----------------------------------------------------------------------------------


def test_namespaces_enforce_restricted_pod_security_except_the_node_agents(synth):
    namespaces = {
        r.inputs["metadata"]["name"]: r.inputs["metadata"]["labels"]
        for r in synth.of_type("kubernetes:core/v1:Namespace")
    }
    assert set(namespaces) == WORKLOAD_NAMESPACES | {ns.name for ns in CONTROLLER_NAMESPACES}
    for name, labels in namespaces.items():
        level = "privileged" if name == "node-agents" else "restricted"
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == level, (name, mode)


def test_every_namespace_denies_all_traffic_by_default_and_resolves_dns(synth):
    policies = by_namespace(synth, NETPOL)
    for namespace in WORKLOAD_NAMESPACES | {ns.name for ns in CONTROLLER_NAMESPACES}:
        names = {p["metadata"]["name"]: p["spec"] for p in policies[namespace]}
        deny = names["default-deny-all"]
        assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        [dns] = names["allow-dns"]["egress"]
        assert dns["to"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "kube-system"}
        assert {p["port"] for p in dns["ports"]} == {53}
        # Nothing opens ingress from everywhere: every ingress peer names a namespace or an IP block.
        for spec in names.values():
            for rule in spec.get("ingress", []):
                assert rule.get("from"), (namespace, spec)


def _ingress_sources(synth, namespace: str) -> dict[str, list[int]]:
    sources: dict[str, list[int]] = {}
    for policy in by_namespace(synth, NETPOL)[namespace]:
        for rule in policy["spec"].get("ingress", []):
            for peer in rule["from"]:
                source = peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
                if source and policy["metadata"]["name"] != "allow-prometheus-scrape":
                    sources[source] = [p["port"] for p in rule.get("ports", [])]
    return sources


def test_feature_server_and_mlflow_are_reachable_only_from_platform_namespaces(synth):
    assert _ingress_sources(synth, "features") == {"serving": [6566], "streaming": [6566]}
    assert _ingress_sources(synth, "registry") == {"training": [5000], "serving": [5000], "pipelines": [5000]}


def test_data_service_egress_is_limited_to_their_ports_in_the_vpc(synth):
    policies = {p["metadata"]["name"]: p["spec"] for p in by_namespace(synth, NETPOL)["features"]}
    [rule] = policies["allow-data-services"]["egress"]
    assert rule["to"] == [{"ipBlock": {"cidr": synth.cfg.network.cidr}}]
    assert rule["ports"] == [{"protocol": "TCP", "port": 6379}]
    streaming = {p["metadata"]["name"]: p["spec"] for p in by_namespace(synth, NETPOL)["streaming"]}
    assert streaming["allow-data-services"]["egress"][0]["ports"] == [{"protocol": "TCP", "port": 9098}]


def test_quotas_and_limit_ranges_in_every_workload_namespace(synth):
    quotas = by_namespace(synth, "kubernetes:core/v1:ResourceQuota")
    limits = by_namespace(synth, "kubernetes:core/v1:LimitRange")
    for namespace in WORKLOAD_NAMESPACES:
        hard = quotas[namespace][0]["spec"]["hard"]
        assert {"requests.cpu", "limits.memory", "pods", "requests.nvidia.com/gpu"} <= set(hard)
        assert (hard["requests.nvidia.com/gpu"] != "0") is (namespace == "training")
        assert limits[namespace][0]["spec"]["limits"][0]["type"] == "Container"


def test_irsa_service_accounts_carry_their_role_and_no_api_token(synth):
    accounts = {
        (r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r.inputs
        for r in synth.of_type("kubernetes:core/v1:ServiceAccount")
    }
    assert set(accounts) == {(sa.namespace, sa.name) for sa in IRSA_SERVICE_ACCOUNTS}
    for (namespace, name), account in accounts.items():
        # The role the data services built for exactly this service account.
        role = synth.one("aws:iam/role:Role", f"workload-roles-{name}")
        trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
        assert f"system:serviceaccount:{namespace}:{name}" in trust.values()
        arn = account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
        assert arn == f"arn:aws:mock:me-central-1:{ACCOUNT_ID}:workload-roles-{name}", (namespace, name)
        assert account["automountServiceAccountToken"] is False


def test_training_never_preempts_and_ranks_below_serving(synth):
    classes = {
        r.inputs["metadata"]["name"]: r.inputs for r in synth.of_type("kubernetes:scheduling.k8s.io/v1:PriorityClass")
    }
    assert classes["platform-training"]["preemptionPolicy"] == "Never"
    assert classes["platform-training"]["value"] < classes["platform-serving"]["value"]
    assert not any(c.get("globalDefault") for c in classes.values())


# --- supply chain -------------------------------------------------------------------------------


def test_every_chart_is_a_pinned_oci_artifact_in_the_in_region_ecr(synth):
    releases = synth.of_type(RELEASE)
    assert len(releases) == 8
    for r in releases:
        chart = r.inputs["chart"]
        assert chart.startswith(f"oci://{ECR}/uae-ml-{synth.cfg.environment}/charts/"), chart
        assert r.inputs["version"] == CHARTS[chart.rsplit("/", 1)[1]].version
        assert "repositoryOpts" not in r.inputs


def test_mirror_repositories_are_immutable_scanned_and_kms_encrypted(synth):
    repos = [r for r in synth.of_type("aws:ecr/repository:Repository") if r.name.startswith("mirror-")]
    assert len(repos) == len(CHARTS) + len(IMAGES)
    for repo in repos:
        assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo.inputs["encryptionConfigurations"][0]["encryptionType"] == "KMS"
    assert synth.of_type("aws:ecr/replicationConfiguration:ReplicationConfiguration") == []


def test_helm_images_point_at_the_mirror_by_digest(infra_mocks):
    prod = infra_mocks("prod")
    kserve = release(prod, "serving-kserve")["values"]["kserve"]["controller"]
    assert kserve["image"] == f"{ECR}/uae-ml-prod/mirror/kserve-controller"
    assert kserve["tag"] == f"v0.21.0@{image_digest('uae-ml-prod/mirror/kserve-controller', 'v0.21.0')}"
    prometheus = release(prod, "observability-kube-prometheus-stack")["values"]["prometheus"]["prometheusSpec"]["image"]
    assert prometheus["registry"] == ECR
    assert "sha256:" + prometheus["sha"] == image_digest("uae-ml-prod/mirror/prometheus", IMAGES["prometheus"].tag)


# --- serving ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "min_replicas"), [("dev", 1), ("staging", 2), ("prod", 3)])
def test_inference_service_runs_restricted_on_the_inference_pool(infra_mocks, stack, min_replicas):
    synth = infra_mocks(stack)
    isvc = custom(synth, "InferenceService", "credit-risk")
    assert isvc["metadata"]["namespace"] == "serving"
    assert isvc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "RawDeployment"
    predictor = isvc["spec"]["predictor"]
    assert predictor["minReplicas"] == min_replicas < predictor["maxReplicas"]
    assert 0 < predictor["canaryTrafficPercent"] < 100
    assert predictor["nodeSelector"] == {"platform.uae/pool": "cpuInference"}
    assert predictor["serviceAccountName"] == "predictor" and predictor["priorityClassName"] == "platform-serving"
    assert predictor["securityContext"]["runAsNonRoot"] is True
    [container] = predictor["containers"]
    assert pinned(container["image"]), container["image"]
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False and context["capabilities"] == {"drop": ["ALL"]}
    assert context["readOnlyRootFilesystem"] is True and context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert set(container["resources"]["limits"]) == {"cpu", "memory"} == set(container["resources"]["requests"])
    storage = next(e["value"] for e in container["env"] if e["name"] == "STORAGE_URI")
    assert storage.startswith("s3://uae-ml-") and "/models/credit-risk/" in storage
    assert release(synth, "serving-kserve")["values"]["kserve"]["controller"]["deploymentMode"] == "RawDeployment"


# --- feature server and MLflow ------------------------------------------------------------------


def _init_env(pod: dict) -> dict[str, str]:
    [init] = pod["initContainers"]
    assert init["command"][:2] == ["python", "-c"] and "get_secret_value" in init["command"][2]
    assert init["securityContext"]["runAsNonRoot"] is True
    assert init["volumeMounts"] == [{"name": "platform-secret", "mountPath": "/run/secrets/platform"}]
    return {e["name"]: e["value"] for e in init["env"]}


def test_feature_server_reads_its_config_map_and_its_token_through_irsa(synth):
    assert "feature_store.yaml" in custom(synth, "ConfigMap", "feature-store")["data"]
    deployment = custom(synth, "Deployment", "feast-feature-server")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "feast-server" and pod["automountServiceAccountToken"] is False
    env = _init_env(pod)
    assert env["FETCH_FROM"].endswith("/feature-store/redis-auth-token")
    assert {"name": "platform-secret", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}} in pod["volumes"]
    [container] = pod["containers"]
    assert pinned(container["image"])
    assert "REDIS_AUTH_TOKEN" not in {e["name"] for e in container["env"]}  # only from the tmpfs file
    assert "cat /run/secrets/platform/value" in container["command"][2] and "exec feast" in container["command"][2]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health" and container["livenessProbe"]
    assert container["securityContext"]["runAsNonRoot"] is True


def test_mlflow_builds_its_database_uri_from_the_rds_secret_and_stores_artifacts_in_region(synth):
    pod = custom(synth, "Deployment", "mlflow")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "mlflow" and pod["automountServiceAccountToken"] is False
    env = _init_env(pod)
    assert env["FETCH_AS"] == "postgres-uri" and env["DB_NAME"] == "mlflow"
    assert env["FETCH_FROM"].startswith(f"arn:aws:secretsmanager:me-central-1:{ACCOUNT_ID}:secret:rds!db-")
    assert env["DB_ENDPOINT"].endswith(".rds.amazonaws.com:5432")
    [container] = pod["containers"]
    values = {e["name"]: e.get("value") for e in container["env"]}
    assert "MLFLOW_BACKEND_STORE_URI" not in values
    assert values["MLFLOW_ARTIFACTS_DESTINATION"].startswith("s3://")
    script = container["command"][2]
    assert "export MLFLOW_BACKEND_STORE_URI" in script and "--backend-store-uri" not in script
    assert pinned(container["image"])


# --- GPU scheduling -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "capacity"), [("dev", ["spot", "on-demand"]), ("staging", ["spot", "on-demand"]), ("prod", ["on-demand"])]
)
def test_gpu_pool_scales_from_zero_on_region_families_with_the_gpu_taint(infra_mocks, stack, capacity):
    synth = infra_mocks(stack)
    pool = custom(synth, "NodePool", "gpu-training")["spec"]
    requirements = {r["key"]: r["values"] for r in pool["template"]["spec"]["requirements"]}
    assert set(requirements["karpenter.k8s.aws/instance-family"]) == set(GPU_FAMILIES)
    assert requirements["karpenter.sh/capacity-type"] == capacity
    assert set(requirements["topology.kubernetes.io/zone"]) <= {"me-central-1a", "me-central-1b", "me-central-1c"}
    assert pool["template"]["spec"]["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]
    assert "nvidia.com/gpu" in pool["limits"]
    inference = custom(synth, "NodePool", "cpu-inference")["spec"]["template"]
    assert inference["metadata"]["labels"] == {"platform.uae/pool": "cpuInference"}
    families = {r["key"]: r["values"] for r in inference["spec"]["requirements"]}["karpenter.k8s.aws/instance-family"]
    assert not set(families) & set(GPU_FAMILIES)


def test_karpenter_nodes_are_imdsv2_only_on_encrypted_volumes(synth):
    for node_class in ("gpu", "inference"):
        spec = custom(synth, "EC2NodeClass", node_class)["spec"]
        assert spec["metadataOptions"]["httpTokens"] == "required"
        assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
        ebs = spec["blockDeviceMappings"][0]["ebs"]
        assert ebs["encrypted"] is True and ebs["kmsKeyID"].endswith(":keys-node-volumes")
        assert spec["amiSelectorTerms"][0]["alias"].startswith("al2023@v")


def test_karpenter_role_is_narrow_and_its_queue_encrypted(synth):
    values = release(synth, "gpu-karpenter")["values"]
    assert values["settings"]["isolatedVPC"] is True  # no Pricing API calls out of the region
    statements = json.loads(synth.one("aws:iam/rolePolicy:RolePolicy", "gpu-karpenter").inputs["policy"])["Statement"]
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all(not a.endswith(":*") and a != "*" for a in actions), statement["Sid"]
        if statement["Resource"] == "*":
            assert all(a.startswith("ec2:Describe") for a in actions)
            assert statement["Condition"] == {"StringEquals": {"aws:RequestedRegion": "me-central-1"}}
    by_sid = {s["Sid"]: s for s in statements}
    create = by_sid["CreateTaggedInstanceProfiles"]["Condition"]["StringEquals"]
    assert create["aws:RequestTag/kubernetes.io/cluster/uae-ml-" + synth.cfg.environment] == "owned"
    manage = by_sid["ManageOwnInstanceProfiles"]["Condition"]["StringEquals"]
    assert manage["aws:ResourceTag/kubernetes.io/cluster/uae-ml-" + synth.cfg.environment] == "owned"
    [pass_role] = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert pass_role["Resource"].endswith("nodepools-node") and pass_role["Condition"]
    assert not any(
        a.startswith("pricing:")
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    )
    trust = json.loads(synth.one("aws:iam/role:Role", "gpu-karpenter").inputs["assumeRolePolicy"])["Statement"][0]
    assert list(trust["Condition"]["StringEquals"].values())[0] == "system:serviceaccount:karpenter:karpenter"
    queue = synth.one("aws:sqs/queue:Queue", "gpu-interruptions").inputs
    assert queue["sqsManagedSseEnabled"] is True
    assert len(synth.of_type("aws:cloudwatch/eventTarget:EventTarget")) == 4


def test_device_plugin_and_dcgm_exporter_run_only_on_gpu_nodes_in_the_node_agents_namespace(synth):
    for name in ("gpu-nvidia-device-plugin", "observability-dcgm-exporter"):
        r = release(synth, name)
        assert r["namespace"] == "node-agents"
        assert r["values"]["nodeSelector"] == {"nvidia.com/gpu.present": "true"}


# --- training -----------------------------------------------------------------------------------


def test_training_runtime_keeps_jobs_on_tainted_gpu_nodes_without_preempting(synth):
    runtime = custom(synth, "TrainingRuntime", "torch-distributed-gpu")
    assert runtime["metadata"]["namespace"] == "training"
    [job] = runtime["spec"]["template"]["spec"]["replicatedJobs"]
    pod = job["template"]["spec"]["template"]["spec"]
    assert pod["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]
    assert pod["nodeSelector"] == {"platform.uae/pool": "gpuTraining"}
    assert pod["priorityClassName"] == "platform-training" and pod["serviceAccountName"] == "trainer"
    [container] = pod["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert {e["name"] for e in container["env"]} >= {"NCCL_SOCKET_IFNAME", "TORCH_NCCL_ASYNC_ERROR_HANDLING"}
    train = custom(synth, "TrainJob", "credit-risk-train")["spec"]
    assert train["runtimeRef"]["name"] == "torch-distributed-gpu"
    assert train["trainer"]["command"][0] == "torchrun" and pinned(train["trainer"]["image"])
    env = {e["name"]: e["value"] for e in train["trainer"]["env"]}
    assert env["CHECKPOINT_URI"].startswith("s3://uae-ml-") and env["AWS_REGION"] == "me-central-1"
    assert train["trainer"]["numNodes"] == (1 if synth.cfg.environment == "dev" else 2)


# --- observability ------------------------------------------------------------------------------


def test_prometheus_writes_only_to_the_in_region_workspace(synth):
    workspace = synth.one("aws:amp/workspace:Workspace").inputs
    assert workspace["kmsKeyArn"].endswith(":keys-logs")
    [statement] = json.loads(synth.one("aws:iam/rolePolicy:RolePolicy", "observability-prometheus").inputs["policy"])[
        "Statement"
    ]
    assert statement["Action"] == "aps:RemoteWrite"
    assert statement["Resource"] == f"arn:aws:mock:me-central-1:{ACCOUNT_ID}:observability-amp"
    values = release(synth, "observability-kube-prometheus-stack")["values"]
    [remote] = values["prometheus"]["prometheusSpec"]["remoteWrite"]
    assert remote["sigv4"] == {"region": "me-central-1"}
    assert values["prometheus"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].endswith(
        "observability-prometheus"
    )
    assert values["grafana"]["grafana.ini"]["analytics"]["reporting_enabled"] is False
    assert values["prometheus-node-exporter"]["namespaceOverride"] == "node-agents"


def test_dashboards_and_alerts_cover_serving_gpu_lag_and_drift(synth):
    dashboards = [
        r.inputs
        for r in synth.of_type("kubernetes:core/v1:ConfigMap")
        if r.inputs["metadata"].get("labels", {}).get("grafana_dashboard") == "1"
    ]
    assert {d["metadata"]["name"] for d in dashboards} == {
        "dashboard-serving",
        "dashboard-gpu",
        "dashboard-streaming",
        "dashboard-features",
    }
    for d in dashboards:
        [body] = d["data"].values()
        assert json.loads(body)["panels"]
    rules = custom(synth, "PrometheusRule", "platform-alerts")["spec"]["groups"]
    alerts = {rule["alert"] for group in rules for rule in group["rules"]}
    assert {
        "InferenceLatencyP99High",
        "InferenceErrorRateHigh",
        "GpuIdle",
        "KafkaConsumerLagHigh",
        "FeatureDrift",
    } <= alerts


def test_mirror_script_copies_every_pinned_artifact_into_the_in_region_registry() -> None:
    import subprocess
    import sys

    from .conftest import REPO

    env = {"PATH": "/usr/bin:/bin", "PYTHON": sys.executable}
    proc = subprocess.run(
        [str(REPO / "scripts" / "mirror-artifacts.sh"), "--dry-run", ACCOUNT_ID, "prod"],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    pushes = [line.split() for line in proc.stdout.splitlines() if line.startswith(("helm push", "crane copy"))]
    assert len(pushes) == len(CHARTS) + len(IMAGES)
    for command in pushes:
        assert command[-1].removeprefix("oci://").startswith(f"{ECR}/uae-ml-prod/"), command
    copies = {line.split()[2] for line in proc.stdout.splitlines() if line.startswith("crane copy")}
    assert copies == {f"{image.upstream}:{image.tag}" for image in IMAGES.values()}
    bad = subprocess.run(
        [str(REPO / "scripts" / "mirror-artifacts.sh"), "--dry-run", "12", "prod"],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and "usage:" in bad.stderr


def test_data_service_inputs_refuse_a_service_account_without_its_role() -> None:
    from infra.platform_services import DataServiceInputs

    roles = {f"{sa.namespace}/{sa.name}": f"arn:aws:iam::{ACCOUNT_ID}:role/{sa.name}" for sa in IRSA_SERVICE_ACCOUNTS}
    fields = {
        "model_bucket": "models",
        "checkpoint_bucket": "checkpoints",
        "feature_store_yaml": "project: x\n",
        "redis_auth_secret_id": "redis",
        "mlflow_database_endpoint": "db:5432",
        "mlflow_database_name": "mlflow",
        "mlflow_database_secret_id": "db-secret",
    }
    assert DataServiceInputs(irsa_role_arns=roles, **fields).irsa_role_arns == roles
    del roles["training/trainer"]
    with pytest.raises(ValueError, match="training/trainer"):
        DataServiceInputs(irsa_role_arns=roles, **fields)
