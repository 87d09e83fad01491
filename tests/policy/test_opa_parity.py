"""The real OPA Go library (opa_bindings) passes every Rego test, and agrees with regorus on the gate.

Each Rego test runs once per engine: under regorus in test_rego_rules.py, under OPA here. If
opa_bindings cannot load, these tests FAIL: parity is the evidence that the embedded engine means
what OPA means, so it must not silently disappear.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from platformctl.gate.engines.rego import (
    OpaLibEngine,
    PolicyEngineError,
    RegorusEngine,
    TestCase,
    discover_tests,
)
from tests.builders import CONTAINER, UNKNOWN, NormalizedStack, compliant_prod, normalized_provider

CASES = discover_tests()


def _opa(include_tests: bool) -> OpaLibEngine:
    try:
        return OpaLibEngine(include_tests=include_tests)
    except PolicyEngineError as exc:
        pytest.fail(f"real OPA (opa_bindings) is required for the parity check and did not load: {exc}")


@pytest.fixture(scope="module")
def opa_test_values() -> dict[str, Any]:
    """Every Rego test rule's value under OPA, from one query per top-level package (a query costs ~1 s
    of fixed overhead in the OPA library; a package document evaluates every rule in it)."""
    opa = _opa(include_tests=True)
    values: dict[str, Any] = {}
    for root in sorted({case.package.split(".")[0] for case in CASES}):
        document = opa.eval_rule(f"data.{root}")
        assert isinstance(document, dict), f"data.{root} evaluated to {document!r} under OPA"
        values[root] = document
    return values


def _value(values: dict[str, Any], case: TestCase) -> Any:
    document: Any = values
    for part in case.package.split("."):
        document = document.get(part, {}) if isinstance(document, dict) else {}
    return document.get(case.rule) if isinstance(document, dict) else None


@pytest.fixture(scope="module")
def gate_engines() -> tuple[RegorusEngine, OpaLibEngine]:
    return RegorusEngine(), _opa(include_tests=False)


@pytest.mark.parametrize("case", CASES, ids=[c.name.removeprefix("data.") for c in CASES])
def test_rego_rule_under_opa(opa_test_values: dict[str, Any], case: TestCase) -> None:
    value = _value(opa_test_values, case)
    assert value is True, f"{case.path}: {case.rule} evaluated to {value!r} under OPA (expected true)"


# --- realistic normalized inputs (the compliant set is tests/builders.py's) ----------------------


def noncompliant_prod() -> dict[str, Any]:
    document = compliant_prod()
    s = NormalizedStack("prod")
    s.providers.append(normalized_provider("prod", "bahrain", "me-south-1"))
    s.add("aws:s3/bucket:Bucket", "exports", {"acl": "public-read"}, region="eu-west-1", region_source="resource")
    s.add("aws:kms/key:Key", "global", {"multiRegion": True})
    s.add(
        "aws:dynamodb/table:Table",
        "online",
        {"hashKey": "id", "replicas": [{"regionName": "me-south-1"}]},
        op="replace",
        replace_reasons=["hashKey"],
    )
    s.add("aws:cloudfront/distribution:Distribution", "cdn", {"enabled": True})
    s.add(
        "aws:eks/nodeGroup:NodeGroup", "a100", {"clusterName": UNKNOWN, "instanceTypes": ["p4d.24xlarge"], "taints": []}
    )
    s.add(
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        "ssh",
        {
            "type": "ingress",
            "protocol": "tcp",
            "fromPort": 22,
            "toPort": 22,
            "cidrBlocks": ["0.0.0.0/0"],
            "securityGroupId": UNKNOWN,
        },
    )
    s.add(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "ci-admin",
        {"role": "ci", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
    )
    s.add("aws:iam/accessKey:AccessKey", "ci", {"user": "ci"})
    s.add(
        "aws:rds/instance:Instance", "mlflow", {"engine": "postgres", "publiclyAccessible": True, "tags": {"owner": ""}}
    )
    bad = copy.deepcopy(CONTAINER) | {
        "image": "docker.io/library/redis:latest",
        "securityContext": {"privileged": True},
    }
    s.add(
        "kubernetes:apps/v1:DaemonSet",
        "agent",
        {
            "metadata": {"name": "agent", "namespace": "kube-system"},
            "spec": {
                "template": {
                    "spec": {
                        "hostNetwork": True,
                        "containers": [bad],
                        "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
                    }
                }
            },
        },
    )
    s.add(
        "kubernetes:helm.sh/v3:Release",
        "exporter",
        {
            "chart": "node-exporter",
            "values": {
                "hostNetwork": True,
                "daemonset": {"securityContext": {"privileged": True}},
                "image": "quay.io/prometheus/node-exporter:v1.8.2",
            },
        },
    )
    document["providers"] += s.providers[1:]
    document["resources"] += s.resources[1:]
    return document


def dev_on_default_provider() -> dict[str, Any]:
    s = NormalizedStack("dev")
    s.providers = [normalized_provider("dev", "default_7_51_1", None, default=True)]
    s.add("aws:sqs/queue:Queue", "events", {}, provider=s.providers[0]["urn"], region=None, region_source="unknown")
    s.add(
        "aws:eks/cluster:Cluster",
        "ml",
        {"version": "1.33", "vpcConfig": {"subnetIds": [UNKNOWN], "endpointPublicAccess": True}},
        provider=s.providers[0]["urn"],
        region=None,
        region_source="unknown",
    )
    return s.document()


def prod_teardown() -> dict[str, Any]:
    s = NormalizedStack("prod")
    s.add("aws:s3/bucket:Bucket", "lake", {"bucket": "uae-ml-lake"}, op="delete")
    s.add(
        "aws:rds/cluster:Cluster", "registry", {"engine": "aurora-postgresql", "storageEncrypted": True}, op="replace"
    )
    s.add("aws:ebs/volume:Volume", "scratch", {"size": 10}, op="delete-replaced")
    return s.document()


INPUTS = {
    "compliant_prod": compliant_prod,
    "noncompliant_prod": noncompliant_prod,
    "dev_on_default_provider": dev_on_default_provider,
    "prod_teardown": prod_teardown,
}


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_gate_findings_parity(gate_engines: tuple[RegorusEngine, OpaLibEngine], name: str) -> None:
    regorus, opa = gate_engines
    document = INPUTS[name]()
    assert regorus.evaluate(document) == opa.evaluate(document)


def test_compliant_prod_has_no_findings(gate_engines: tuple[RegorusEngine, OpaLibEngine]) -> None:
    assert gate_engines[0].evaluate(compliant_prod()) == []


def test_noncompliant_prod_trips_every_domain(gate_engines: tuple[RegorusEngine, OpaLibEngine]) -> None:
    findings = gate_engines[1].evaluate(noncompliant_prod())
    domains = {f["rule_id"].split("-")[1] for f in findings}
    assert domains == {"RES", "ENC", "NET", "IAM", "K8S", "OPS"}
    urns = {r["urn"] for r in noncompliant_prod()["resources"]} | {p["urn"] for p in noncompliant_prod()["providers"]}
    assert {f["urn"] for f in findings} <= urns


def test_dev_default_provider_findings(gate_engines: tuple[RegorusEngine, OpaLibEngine]) -> None:
    rule_ids = {f["rule_id"] for f in gate_engines[0].evaluate(dev_on_default_provider())}
    assert {"UAE-RES-001", "UAE-RES-003", "UAE-NET-004"} <= rule_ids


def test_prod_teardown_flags_stateful_changes(gate_engines: tuple[RegorusEngine, OpaLibEngine]) -> None:
    findings = [f for f in gate_engines[1].evaluate(prod_teardown()) if f["rule_id"] == "UAE-OPS-002"]
    assert {f["urn"].rsplit("::", 1)[1] for f in findings} == {"lake", "registry", "scratch"}
