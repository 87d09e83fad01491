"""run_checkov end to end: real worker in .venv-checkov, real Checkov CLI for the cross-check."""

from __future__ import annotations

import copy
import stat
from pathlib import Path
from typing import Any

import pytest

from platformctl.gate.engines.checkov import (
    CheckovError,
    WorkerProcess,
    build_request,
    call_worker,
    checkov_python,
    run_checkov,
    run_checkov_batch,
)
from platformctl.gate.input.tfplan import UNKNOWN
from platformctl.gate.policy.curated import load_curated
from tests.builders import STACK, aws_resource


def _aws(type_: str, name: str, inputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return aws_resource(type_, name, inputs, parent_type="uae:platform:Stack", **extra)


def platform_stack() -> dict[str, Any]:
    """A small prod-like stack with known misconfigurations (and fixed twins)."""
    key = _aws("aws:kms/key:Key", "data", {"enableKeyRotation": False, "description": "data at rest"})
    bucket = _aws(
        "aws:s3/bucket:Bucket",
        "offline-store",
        {"bucketPrefix": "offline-store-", "tags": {"data-classification": "confidential"}},
    )
    sse = _aws(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "offline-store",
        {
            "bucket": UNKNOWN,
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": UNKNOWN}}],
        },
        property_dependencies={"bucket": [bucket["urn"]], "rules": [key["urn"]]},
    )
    cluster = _aws(
        "aws:eks/cluster:Cluster",
        "ml",
        {
            "roleArn": UNKNOWN,
            "vpcConfig": {"subnetIds": [UNKNOWN], "endpointPublicAccess": True},
            "enabledClusterLogTypes": ["api"],
        },
    )
    gpu = _aws(
        "aws:eks/nodeGroup:NodeGroup",
        "gpu",
        {
            "clusterName": UNKNOWN,
            "nodeRoleArn": UNKNOWN,
            "subnetIds": [UNKNOWN],
            "instanceTypes": ["p4d.24xlarge"],
            "scalingConfig": {"desiredSize": 1, "maxSize": 2, "minSize": 0},
        },
        property_dependencies={"clusterName": [cluster["urn"]]},
    )
    kafka = _aws(
        "aws:msk/cluster:Cluster",
        "events",
        {
            "kafkaVersion": "3.6.0",
            "numberOfBrokerNodes": 3,
            "brokerNodeGroupInfo": {"instanceType": "kafka.m7g.large", "clientSubnets": [UNKNOWN]},
            "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS_PLAINTEXT"}},
        },
    )
    sg = _aws(
        "aws:ec2/securityGroup:SecurityGroup",
        "bastion",
        {
            "description": "bastion",
            "vpcId": UNKNOWN,
            "ingress": [
                {"description": "ssh", "fromPort": 22, "toPort": 22, "protocol": "tcp", "cidrBlocks": ["0.0.0.0/0"]}
            ],
        },
    )
    bahrain = _aws("aws:s3/bucket:Bucket", "dr-copy", {"region": "me-south-1"})
    deployment = {
        "urn": f"{STACK}kubernetes:apps/v1:Deployment::predictor",
        "name": "predictor",
        "type": "kubernetes:apps/v1:Deployment",
        "package": "kubernetes",
        "op": "create",
        "custom": True,
        "inputs": {
            "metadata": {"namespace": "serving"},
            "spec": {
                "selector": {"matchLabels": {"app": "predictor"}},
                "template": {
                    "metadata": {"labels": {"app": "predictor"}},
                    "spec": {
                        "containers": [
                            {"name": "p", "image": "predictor:latest", "securityContext": {"privileged": True}}
                        ]
                    },
                },
            },
        },
        "provider": None,
        "tags": None,
        "property_dependencies": {},
    }
    component = {
        "urn": f"{STACK}uae:platform:Stack::platform",
        "name": "platform",
        "type": "uae:platform:Stack",
        "package": "uae",
        "custom": False,
        "op": "create",
        "inputs": {},
    }
    chart = {
        "urn": f"{STACK}kubernetes:helm.sh/v3:Release::grafana",
        "name": "grafana",
        "type": "kubernetes:helm.sh/v3:Release",
        "package": "kubernetes",
        "custom": True,
        "op": "create",
        "inputs": {},
    }
    resources = [component, key, bucket, sse, cluster, gpu, kafka, sg, bahrain, deployment, chart]
    return {
        "schema": "uae-ml-platform/gate-input/v1",
        "stack": "prod",
        "environment": "prod",
        "home_region": "me-central-1",
        "resources": resources,
    }


def _urn(stack: dict[str, Any], name: str) -> str:
    return next(r["urn"] for r in stack["resources"] if r["name"] == name)  # first match wins


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    return platform_stack()


@pytest.fixture(scope="module")
def prod_result(stack: dict[str, Any]):  # type: ignore[no-untyped-def]
    return run_checkov(stack, "prod")


def test_findings_point_at_the_offending_urn(stack: dict[str, Any], prod_result) -> None:  # type: ignore[no-untyped-def]
    failed = {(f.rule_id, f.urn) for f in prod_result.findings}
    assert ("CKV_AWS_7", _urn(stack, "data")) in failed
    assert ("CKV_AWS_58", _urn(stack, "ml")) in failed
    assert ("CKV_AWS_24", _urn(stack, "bastion")) in failed
    assert ("CKV_UAE_001", _urn(stack, "gpu")) in failed
    assert ("CKV_UAE_002", _urn(stack, "events")) in failed
    assert ("CKV_UAE_004", _urn(stack, "dr-copy")) in failed
    assert ("CKV_K8S_16", _urn(stack, "predictor")) in failed
    assert ("CKV_UAE_004", _urn(stack, "offline-store")) not in failed


def test_curated_policy_is_applied(stack: dict[str, Any], prod_result) -> None:  # type: ignore[no-untyped-def]
    by_rule = {(f.rule_id, f.urn): f for f in prod_result.findings}
    residency = by_rule[("CKV_UAE_004", _urn(stack, "dr-copy"))]
    assert residency.enforced and residency.severity == "critical" and "UAE-PDPL-Art.22-23" in residency.controls
    assert residency.remediation and residency.message.startswith("Ensure")
    uncurated = [f for f in prod_result.findings if f.rule_id not in load_curated()]
    assert uncurated and not any(f.enforced for f in uncurated)


def test_enforcement_depends_on_environment(stack: dict[str, Any]) -> None:
    dev = {(f.rule_id, f.urn): f.enforced for f in run_checkov(stack, "dev").findings}
    assert dev[("CKV_AWS_7", _urn(stack, "data"))] is False  # encryption: advise in dev
    assert dev[("CKV_UAE_004", _urn(stack, "dr-copy"))] is True  # residency: deny everywhere
    unknown_env = {(f.rule_id, f.urn): f.enforced for f in run_checkov(stack, "perf-test").findings}
    assert unknown_env[("CKV_AWS_7", _urn(stack, "data"))] is True  # unknown environment -> prod


def test_counts_and_unmapped(stack: dict[str, Any], prod_result) -> None:  # type: ignore[no-untyped-def]
    assert prod_result.expected_count == 9  # 8 aws resources + 1 manifest
    assert prod_result.scanned_count == prod_result.expected_count
    assert {u.urn for u in prod_result.unmapped} == {_urn(stack, "platform"), _urn(stack, "grafana")}


def test_fast_path_agrees_with_checkov_cli_on_curated_checks(stack: dict[str, Any]) -> None:
    request, _, _ = build_request(stack)
    fast = call_worker(request, mode="fast")
    cli = call_worker(request, mode="cli", timeout_s=600)
    curated = set(load_curated())

    def verdicts(answer: dict[str, Any]) -> set[tuple[str, str, str]]:
        return {
            (entity["id"], check_id, state)
            for entity in answer["entities"]
            for state in ("PASSED", "FAILED")
            for check_id in entity[state]
            if check_id in curated
        }

    fast_verdicts = verdicts(fast)
    assert any(state == "FAILED" for _, _, state in fast_verdicts)
    assert fast_verdicts == verdicts(cli)
    assert {e["id"] for e in fast["entities"]} == {e["id"] for e in cli["entities"]}


def test_curated_checks_all_run_in_the_fast_path(stack: dict[str, Any]) -> None:
    request, _, _ = build_request(stack)
    registered = call_worker(request)["registered"]
    available = set(registered["terraform_plan"]["check_ids"]) | set(registered["kubernetes"]["check_ids"])
    assert set(load_curated()) <= available


def test_connection_references_reach_checkovs_graph_checks(stack: dict[str, Any]) -> None:
    """CKV_AWS_145 (bucket KMS-encrypted by default) only passes through the bucket->SSE-config link."""
    request, plan, _ = build_request(stack)
    cli = call_worker(request, mode="cli", timeout_s=600)
    bucket = next(a for a, u in plan.address_to_urn.items() if u == _urn(stack, "offline-store"))
    entity = next(e for e in cli["entities"] if e["id"] == bucket)
    assert "CKV_AWS_145" in entity["PASSED"]
    unlinked = copy.deepcopy(stack)
    unlinked["resources"] = [r for r in unlinked["resources"] if "ServerSideEncryption" not in r["type"]]
    request, _, _ = build_request(unlinked)
    entity = next(e for e in call_worker(request, mode="cli", timeout_s=600)["entities"] if e["id"] == bucket)
    assert "CKV_AWS_145" in entity["FAILED"]


def _fake_python(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "python"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("exit 3", "exited 3"),
        ("echo 'not json at all'", "not JSON"),
        ('echo \'{"worker": "something-else"}\'', "not a uae-ml-platform/checkov-worker/v1"),
        ("sleep 5", "timed out"),
        (
            'cat >/dev/null; echo \'{"worker": "uae-ml-platform/checkov-worker/v1", "checks": {},'
            ' "results": [{"id": "0", "entities": []}],'
            ' "registered": {"terraform_plan": {"types": [], "patterns": []}}}\'',
            "no AWS checks",
        ),
        (
            'cat >/dev/null; echo \'{"worker": "uae-ml-platform/checkov-worker/v1", "checks": {}, "entities": []}\'',
            "one result per preview",
        ),
    ],
)
def test_worker_failures_raise(tmp_path: Path, stack: dict[str, Any], body: str, message: str) -> None:
    with pytest.raises(CheckovError, match=message):
        run_checkov(stack, "prod", python=_fake_python(tmp_path, body), timeout_s=2)


def test_fewer_scanned_than_expected_raises(tmp_path: Path, stack: dict[str, Any]) -> None:
    types = " ".join(f'"t{i}",' for i in range(120))
    answer = (
        '{"worker": "uae-ml-platform/checkov-worker/v1", "checks": {}, "results": [{"id": "0", "entities": []}],'
        f' "registered": {{"terraform_plan": {{"types": [{types} "aws_kms_key"], "patterns": ["aws_*"]}}}}}}'
    )
    with pytest.raises(CheckovError, match="scanned 0 of 9"):
        run_checkov(stack, "prod", python=_fake_python(tmp_path, f"cat >/dev/null; echo '{answer}'"))


def test_missing_interpreter_raises(stack: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(CheckovError, match="not found"):
        run_checkov(stack, "prod", python=tmp_path / "no-such-python")


def test_env_var_selects_interpreter(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack: dict[str, Any]) -> None:
    monkeypatch.setenv("PLATFORM_CHECKOV_PYTHON", str(tmp_path / "elsewhere" / "python"))
    with pytest.raises(CheckovError, match="elsewhere"):
        run_checkov(stack, "prod")


def test_malformed_request_is_rejected_by_the_worker() -> None:
    with pytest.raises(CheckovError, match="exited 2: .*bad request"):
        call_worker({"plan": "not a plan"})


def _k8s(kind_token: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "urn": f"{STACK}{kind_token}::{name}",
        "name": name,
        "type": kind_token,
        "package": "kubernetes",
        "op": "create",
        "custom": True,
        "inputs": inputs,
        "provider": None,
        "tags": None,
        "property_dependencies": {},
    }


def _doc(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"schema": "uae-ml-platform/gate-input/v1", "stack": "prod", "environment": "prod", "resources": resources}


def _deployment(name: str, container_security: Any, pod_security: Any = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "app:1", "securityContext": container_security}]}
    if pod_security is not None:
        spec["securityContext"] = pod_security
    return _k8s(
        "kubernetes:apps/v1:Deployment",
        name,
        {"metadata": {"namespace": "ml"}, "spec": {"selector": {}, "template": {"metadata": {}, "spec": spec}}},
    )


def test_kinds_without_checkov_checks_are_unchecked_not_missing() -> None:
    """Regression (issue 7): Namespace/NetworkPolicy/CRDs were counted as expected and the gate exited 2."""
    namespace = _k8s("kubernetes:core/v1:Namespace", "features", {"metadata": {"name": "features"}})
    policy = _k8s(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "features-default-deny",
        {"metadata": {"namespace": "features"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}},
    )
    monitor = _k8s("kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "m", {"spec": {"endpoints": []}})
    config = _k8s("kubernetes:core/v1:ConfigMap", "settings", {"data": {"LOG_LEVEL": "info"}})
    result = run_checkov(_doc([namespace, policy, monitor, config]), "prod")
    assert result.expected_count == result.scanned_count == 1  # the ConfigMap: Checkov has checks for it
    assert set(result.unchecked) == {namespace["urn"], policy["urn"], monitor["urn"]}


def test_secret_wrapped_security_context_does_not_crash_the_worker() -> None:
    """Regression (issue 7): `securityContext: "[secret]"` raised AttributeError inside Checkov's checks."""
    secret = _deployment("hidden", "[secret]", pod_security="[secret]")
    result = run_checkov(_doc([secret]), "prod")
    failed = {f.rule_id for f in result.findings if f.urn == secret["urn"]}
    # Dropped before Checkov sees it: the checks read the settings as absent, which fails closed.
    assert {"CKV_K8S_20", "CKV_K8S_23"} <= failed
    assert result.scanned_count == 1


def test_a_check_that_raises_is_a_finding_on_that_resource_not_a_crash() -> None:
    odd = _deployment("odd", "privileged")  # a string where Kubernetes has an object
    result = run_checkov(_doc([odd]), "prod")
    errors = [f for f in result.findings if f.urn == odd["urn"] and "could not evaluate" in f.message]
    assert errors, [f.message for f in result.findings]
    assert any(f.enforced for f in errors)  # curated deny checks that could not run still deny


def test_batch_runs_every_preview_in_one_worker(tmp_path: Path) -> None:
    log = tmp_path / "starts.log"
    real = checkov_python()
    wrapper = _fake_python(tmp_path, f'echo start >> "{log}"\nexec "{real}" "$@"')
    first = _doc([_deployment("a", {"privileged": True})])
    second = _doc([_deployment("b", {"runAsNonRoot": True, "allowPrivilegeEscalation": False})])
    results = run_checkov_batch([first, second], ["prod", "dev"], python=wrapper)
    assert log.read_text().count("start") == 1
    assert ("CKV_K8S_16", first["resources"][0]["urn"]) in {(f.rule_id, f.urn) for f in results[0].findings}
    assert all(f.urn == second["resources"][0]["urn"] for f in results[1].findings)
    assert not any(f.enforced for f in results[1].findings if f.rule_id == "CKV_K8S_16")


def test_a_worker_started_early_is_stopped_when_the_gate_never_needs_it() -> None:
    """run_gate starts the worker before reading previews; a failure before the scan must not leave it running."""
    worker = WorkerProcess()
    process = worker._process
    assert process is not None and process.poll() is None
    worker.close()
    assert process.returncode is not None
    with pytest.raises(CheckovError, match="already used or closed"):
        worker.exchange({"plan": {}})
