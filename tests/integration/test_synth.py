"""Offline synthesis of the real infra/ program: the preview document's shape and residency."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from platformctl.cli import main
from platformctl.errors import StackError
from platformctl.gate.input.preview import UNKNOWN, normalize, parse_urn
from platformctl.synth import synthesize

REPO = Path(__file__).resolve().parents[2]
STACKS = ("dev", "staging", "prod")
STATEFUL = {"aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:eks/cluster:Cluster"}


@cache
def preview(stack: str) -> dict[str, Any]:
    return synthesize(stack)


def _states(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [step["newState"] for step in doc["steps"]]


@pytest.mark.parametrize("stack", STACKS)
def test_document_has_the_preview_shape(stack: str) -> None:
    doc = preview(stack)
    assert set(doc) == {"config", "steps", "diagnostics", "changeSummary"}
    assert doc["config"]["aws:region"] == "me-central-1"
    assert doc["changeSummary"] == {"create": len(doc["steps"])}
    urns = [step["urn"] for step in doc["steps"]]
    assert len(urns) == len(set(urns)), "URNs must be unique"
    by_urn = {s["urn"]: s for s in _states(doc)}
    for step in doc["steps"]:
        state = step["newState"]
        assert step["op"] == "create"
        assert state["urn"] == step["urn"]
        parsed = parse_urn(step["urn"], "test")
        assert (parsed.stack, parsed.project) == (stack, "uae-ml-platform")
        assert parsed.type == state["type"]
        if state["type"] == "pulumi:pulumi:Stack":
            continue
        parent = by_urn[state["parent"]]
        # The engine's URN carries the parent's whole type chain, but not the root stack's.
        parent_chain = parse_urn(parent["urn"], "test").qualified_type
        expected = state["type"] if parent["type"] == "pulumi:pulumi:Stack" else f"{parent_chain}${state['type']}"
        assert parsed.qualified_type == expected
        for dep in state["dependencies"]:
            assert dep in by_urn, f"dependency {dep} of {step['urn']} is not a step"
        for deps in state["propertyDependencies"].values():
            assert set(deps) <= set(state["dependencies"]) | set(by_urn)
        if state["custom"] and not state["type"].startswith("pulumi:providers:"):
            assert step["provider"] == state["provider"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_aws_resource_goes_through_the_me_central_1_provider(stack: str) -> None:
    doc = preview(stack)
    providers = {s["urn"]: s for s in _states(doc) if s["type"].startswith("pulumi:providers:")}
    aws_providers = {u: s for u, s in providers.items() if s["type"] == "pulumi:providers:aws"}
    assert aws_providers, "an explicit aws provider step"
    for state in aws_providers.values():
        assert state["inputs"]["region"] == "me-central-1"
        tags = json.loads(state["inputs"]["defaultTags"])["tags"]
        assert {"environment", "owner", "data-classification", "cost-center"} <= set(tags)
        assert tags["environment"] == stack
    for state in _states(doc):
        if state["type"].startswith("aws:"):
            provider_urn, _, provider_id = state["provider"].rpartition("::")
            assert provider_urn in aws_providers, state["urn"]
            assert provider_id == UNKNOWN  # a new provider's id is unknown during a preview
            assert state["inputs"].get("region") in (None, "me-central-1")
    normalized = normalize(doc)
    aws = [r for r in normalized["resources"] if r["package"] == "aws"]
    assert aws and all(r["region"] == "me-central-1" for r in aws)
    assert all(r["region_source"] == "provider" for r in aws)


def test_prod_has_the_core_platform() -> None:
    doc = preview("prod")
    types = Counter(s["type"] for s in _states(doc))
    resources = sum(n for t, n in types.items() if not t.startswith("pulumi:"))
    assert resources >= 40
    for required, count in {
        "aws:eks/cluster:Cluster": 1,
        "aws:eks/nodeGroup:NodeGroup": 3,
        "aws:kms/key:Key": 4,
        "aws:ec2/vpc:Vpc": 1,
        "aws:ec2/flowLog:FlowLog": 1,
        "aws:cloudtrail/trail:Trail": 1,
        "aws:guardduty/detector:Detector": 1,
        "aws:ecr/repository:Repository": 5,
    }.items():
        assert types[required] >= count, required
    assert types["pulumi:providers:kubernetes"] == 1


def test_prod_protects_stateful_resources_and_dev_does_not() -> None:
    for stack, expected in (("prod", True), ("dev", False)):
        stateful = [s for s in _states(preview(stack)) if s["type"] in STATEFUL]
        assert stateful
        assert all(s["protect"] is expected for s in stateful), stack


def test_nat_gateways_follow_the_stack() -> None:
    counts = {
        stack: sum(s["type"] == "aws:ec2/natGateway:NatGateway" for s in _states(preview(stack))) for stack in STACKS
    }
    assert counts == {"dev": 1, "staging": 1, "prod": 3}


def test_computed_values_are_unknown_and_dependencies_recorded() -> None:
    doc = preview("prod")
    cluster = next(s for s in _states(doc) if s["type"] == "aws:eks/cluster:Cluster")
    assert cluster["inputs"]["encryptionConfig"]["provider"]["keyArn"] == UNKNOWN
    key_deps = cluster["propertyDependencies"]["encryptionConfig"]
    assert any("aws:kms/key:Key" in urn for urn in key_deps)


def test_synthesis_is_deterministic() -> None:
    assert synthesize("dev") == synthesize("dev")


def test_unknown_stack_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(StackError, match="unknown stack 'qa'"):
        synthesize("qa")
    assert main(["synth", "--stack", "qa"]) == 2
    err = capsys.readouterr().err
    assert "unknown stack 'qa'" in err and "Traceback" not in err


def test_broken_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    text = (
        (REPO / "stacks" / "Pulumi.dev.yaml").read_text().replace("aws:region: me-central-1", "aws:region: me-south-1")
    )
    (stacks / "Pulumi.dev.yaml").write_text(text)
    code = f"import sys; from platformctl.cli import main; sys.exit(main(['synth', '--stack', 'dev', '--stacks-dir', {str(stacks)!r}]))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2
    assert "aws:region" in proc.stderr and "outside the UAE" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_writes_the_document(tmp_path: Path) -> None:
    out = tmp_path / "prod.json"
    assert main(["synth", "--stack", "prod", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == preview("prod")


def test_log_delivery_policies_are_known_at_preview_time() -> None:
    """Built from the account id and names, not outputs, so the gate can read every statement."""
    states = {(s["type"], s["urn"].rsplit("::", 1)[-1]): s for s in _states(preview("prod"))}
    for key in (("aws:iam/rolePolicy:RolePolicy", "network-flow-logs"), ("aws:iam/rolePolicy:RolePolicy", "audit-trail-logs"),
                ("aws:s3/bucketPolicy:BucketPolicy", "audit-trail")):  # fmt: skip
        document = json.loads(states[key]["inputs"]["policy"])
        assert document["Statement"], key
        assert UNKNOWN not in states[key]["inputs"]["policy"]


def _run_entry_point(raw: dict[str, Any], stack: str) -> list[dict[str, Any]]:
    """Run infra/__main__.py the way the Pulumi CLI does (main: infra/), under the offline mocks."""
    import runpy

    from pulumi.runtime import config as pulumi_config
    from pulumi.runtime import mocks as pulumi_mocks
    from pulumi.runtime import settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from platformctl.synth.engine import CapturingMonitor, OfflineMocks, _to_pulumi_config

    mocks = OfflineMocks()
    monitor = CapturingMonitor(mocks)
    pulumi_config.set_all_config(_to_pulumi_config(raw), [])
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi_mocks.set_mocks(mocks, project="uae-ml-platform", stack=stack, preview=True, monitor=monitor)
    _sync_await(run_pulumi_func(lambda: runpy.run_path(str(REPO / "infra" / "__main__.py"), run_name="__main__")))
    return monitor.requests


def test_the_pulumi_entry_point_declares_what_synth_shows() -> None:
    from platformctl.synth.stackfile import read_stack_config

    requests = _run_entry_point(read_stack_config("dev"), "dev")
    assert sorted(r["urn"] for r in requests) == sorted(step["urn"] for step in preview("dev")["steps"])


def test_the_pulumi_entry_point_fails_with_the_config_message() -> None:
    import pulumi

    from platformctl.synth.stackfile import read_stack_config

    raw = {**read_stack_config("dev"), "aws:region": "me-south-1"}
    with pytest.raises(pulumi.RunError, match="aws:region: 'me-south-1' is outside the UAE"):
        _run_entry_point(raw, "dev")


def test_prod_has_the_platform_services_on_the_cluster() -> None:
    states = _states(preview("prod"))
    releases = {s["inputs"]["name"] for s in states if s["type"] == "kubernetes:helm.sh/v3:Release"}
    assert {"kserve", "kube-prometheus-stack", "cert-manager", "karpenter", "kubeflow-trainer"} <= releases
    assert [s for s in states if s["type"] == "kubernetes:serving.kserve.io/v1beta1:InferenceService"]
    deny_all = {
        s["inputs"]["metadata"]["namespace"]
        for s in states
        if s["type"] == "kubernetes:networking.k8s.io/v1:NetworkPolicy"
        and s["inputs"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    }
    workload_namespaces = {"serving", "features", "training", "streaming", "observability", "pipelines", "registry"}
    assert workload_namespaces <= deny_all
    k8s_states = [s for s in states if s["type"].startswith("kubernetes:")]
    assert all("pulumi:providers:kubernetes::cluster-k8s::" in s["provider"] for s in k8s_states)
