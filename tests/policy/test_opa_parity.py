"""regorus agrees with the real OPA Go library (opa_bindings) on every test rule and on the gate.

If opa_bindings cannot load, these tests FAIL: parity is the evidence that the embedded engine
means what OPA means, so it must not silently disappear.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from platformctl.gate.engines.rego import (
    OpaLibEngine,
    PolicyEngineError,
    RegorusEngine,
    TestCase,
    discover_tests,
)

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
PROJECT = "uae-ml-platform"
CASES = discover_tests()


def _opa(include_tests: bool) -> OpaLibEngine:
    try:
        return OpaLibEngine(include_tests=include_tests)
    except PolicyEngineError as exc:
        pytest.fail(f"real OPA (opa_bindings) is required for the parity check and did not load: {exc}")


@pytest.fixture(scope="module")
def engines_with_tests() -> tuple[RegorusEngine, OpaLibEngine]:
    return RegorusEngine(include_tests=True), _opa(include_tests=True)


@pytest.fixture(scope="module")
def gate_engines() -> tuple[RegorusEngine, OpaLibEngine]:
    return RegorusEngine(), _opa(include_tests=False)


@pytest.mark.parametrize("case", CASES, ids=[c.name.removeprefix("data.") for c in CASES])
def test_test_rule_parity(engines_with_tests: tuple[RegorusEngine, OpaLibEngine], case: TestCase) -> None:
    regorus, opa = engines_with_tests
    assert opa.eval_rule(case.name) == regorus.eval_rule(case.name) is True


# --- realistic normalized inputs -------------------------------------------------------------


def _provider(
    env: str, name: str = "uae", region: str | None = "me-central-1", default: bool = False
) -> dict[str, Any]:
    return {
        "urn": f"urn:pulumi:{env}::{PROJECT}::pulumi:providers:aws::{name}",
        "name": name,
        "package": "aws",
        "default": default,
        "op": None if default else "create",
        "region": region,
        "inputs": {} if region is None else {"region": region},
        "default_tags": {"environment": env, "owner": "ml-platform-team", "data-classification": "confidential"},
    }


class Stack:
    """Builds a normalized gate document the way platformctl/gate/input/preview.py does."""

    def __init__(self, env: str) -> None:
        self.env = env
        self.providers = [_provider(env)]
        self.resources: list[dict[str, Any]] = []
        self.add("pulumi:pulumi:Stack", f"{PROJECT}-{env}", {}, package="pulumi", op="same")

    def urn(self, type_: str, name: str) -> str:
        return f"urn:pulumi:{self.env}::{PROJECT}::{type_}::{name}"

    def add(
        self,
        type_: str,
        name: str,
        inputs: dict[str, Any],
        *,
        package: str | None = None,
        op: str = "create",
        deps: dict[str, list[str]] | None = None,
        **overrides: Any,
    ) -> str:
        package = package or type_.split(":", 1)[0]
        aws = package == "aws"
        tags = {**self.providers[0]["default_tags"], **inputs.get("tags", {})} if aws else None
        resource = {
            "urn": self.urn(type_, name),
            "name": name,
            "type": type_,
            "package": package,
            "op": op,
            "custom": package != "pulumi",
            "inputs": inputs,
            "old_inputs": None,
            "parent": None,
            "protect": False,
            "provider": self.providers[0]["urn"] if aws else None,
            "region": "me-central-1" if aws else None,
            "region_source": "provider" if aws else "n/a",
            "tags": tags,
            "dependencies": sorted({u for urns in (deps or {}).values() for u in urns}),
            "property_dependencies": deps or {},
            "replace_reasons": [],
            "diff_reasons": [],
            **overrides,
        }
        self.resources.append(resource)
        return resource["urn"]

    def document(self) -> dict[str, Any]:
        return {
            "schema": "uae-ml-platform/gate-input/v1",
            "stack": self.env,
            "project": PROJECT,
            "environment": self.env,
            "home_region": "me-central-1",
            "config": {"aws:region": "me-central-1", f"{PROJECT}:environment": self.env},
            "providers": self.providers,
            "resources": self.resources,
        }


_IMAGE = "123456789012.dkr.ecr.me-central-1.amazonaws.com/ranker:1.4.2@sha256:" + "ab" * 32

_CONTAINER = {
    "name": "server",
    "image": _IMAGE,
    "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
    "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "runAsUser": 10001},
}


def compliant_prod() -> dict[str, Any]:
    s = Stack("prod")
    key = s.add("aws:kms/key:Key", "data", {"enableKeyRotation": True, "deletionWindowInDays": 30})
    vpc = s.add("aws:ec2/vpc:Vpc", "ml", {"cidrBlock": "10.42.0.0/16", "enableDnsSupport": True})
    s.add("aws:ec2/flowLog:FlowLog", "ml", {"vpcId": UNKNOWN, "trafficType": "ALL"}, deps={"vpcId": [vpc]})
    for zone in "abc":
        s.add(
            "aws:ec2/subnet:Subnet",
            f"private-{zone}",
            {"vpcId": UNKNOWN, "availabilityZone": f"me-central-1{zone}"},
            deps={"vpcId": [vpc]},
        )
    s.add(
        "aws:ec2/securityGroup:SecurityGroup",
        "alb",
        {
            "vpcId": UNKNOWN,
            "ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}],
        },
    )
    bucket = s.add("aws:s3/bucket:Bucket", "offline-store", {"bucketPrefix": "offline-store-"})
    s.add(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "offline-store",
        {
            "bucket": UNKNOWN,
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": UNKNOWN}}],
        },
        deps={"bucket": [bucket], "rules": [key]},
    )
    s.add(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "offline-store",
        {
            "bucket": UNKNOWN,
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
        deps={"bucket": [bucket]},
    )
    s.add(
        "aws:s3/bucketVersioning:BucketVersioning",
        "offline-store",
        {"bucket": UNKNOWN, "versioningConfiguration": {"status": "Enabled"}},
        deps={"bucket": [bucket]},
    )
    s.add(
        "aws:eks/cluster:Cluster",
        "ml",
        {
            "version": "1.33",
            "roleArn": UNKNOWN,
            "vpcConfig": {"subnetIds": [UNKNOWN], "endpointPrivateAccess": True, "endpointPublicAccess": False},
            "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": UNKNOWN}},
            "enabledClusterLogTypes": ["api", "audit", "authenticator"],
        },
    )
    s.add(
        "aws:eks/nodeGroup:NodeGroup",
        "gpu-training",
        {
            "clusterName": UNKNOWN,
            "instanceTypes": ["g6e.xlarge", "g6.12xlarge"],
            "scalingConfig": {"minSize": 0, "desiredSize": 0, "maxSize": 8},
            "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}],
        },
    )
    s.add(
        "aws:msk/cluster:Cluster",
        "features",
        {
            "kafkaVersion": "3.7.x",
            "numberOfBrokerNodes": 3,
            "encryptionInfo": {
                "encryptionInTransit": {"clientBroker": "TLS", "inCluster": True},
                "encryptionAtRestKmsKeyArn": UNKNOWN,
            },
            "clientAuthentication": {"sasl": {"iam": True}},
        },
    )
    s.add(
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "online-store",
        {
            "description": "feast",
            "transitEncryptionEnabled": True,
            "atRestEncryptionEnabled": True,
            "authToken": "[secret]",
        },
    )
    s.add(
        "aws:iam/rolePolicy:RolePolicy",
        "feature-reader",
        {
            "role": UNKNOWN,
            "policy": json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "dynamodb:GetItem",
                            "Resource": "arn:aws:dynamodb:me-central-1:123456789012:table/online",
                        }
                    ]
                }
            ),
        },
    )
    s.add(
        "aws:cloudtrail/trail:Trail",
        "org",
        {"s3BucketName": UNKNOWN, "enableLogFileValidation": True, "kmsKeyId": UNKNOWN},
        deps={"s3BucketName": [bucket]},
    )
    s.add("aws:guardduty/detector:Detector", "main", {"enable": True})
    pod = {"securityContext": {"runAsNonRoot": True, "runAsUser": 10001}, "containers": [_CONTAINER]}
    s.add(
        "kubernetes:apps/v1:Deployment",
        "feature-server",
        {
            "metadata": {"name": "feature-server", "namespace": "serving"},
            "spec": {"replicas": 2, "template": {"spec": pod}},
        },
    )
    s.add(
        "kubernetes:serving.kserve.io/v1beta1:InferenceService",
        "ranker",
        {
            "metadata": {"name": "ranker", "namespace": "serving"},
            "spec": {
                "predictor": {
                    "minReplicas": 2,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 1000},
                    "containers": [_CONTAINER],
                }
            },
        },
    )
    s.add(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "serving-default-deny",
        {
            "metadata": {"name": "default-deny", "namespace": "serving"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        },
    )
    s.add(
        "kubernetes:helm.sh/v3:Release",
        "dcgm-exporter",
        {
            "chart": "dcgm-exporter",
            "values": {
                "image": {
                    "repository": "123456789012.dkr.ecr.me-central-1.amazonaws.com/dcgm-exporter",
                    "tag": "4.1.1",
                    "digest": "sha256:" + "cd" * 32,
                }
            },
        },
    )
    return s.document()


def noncompliant_prod() -> dict[str, Any]:
    document = compliant_prod()
    s = Stack("prod")
    s.providers.append(_provider("prod", "bahrain", "me-south-1"))
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
    bad = copy.deepcopy(_CONTAINER) | {
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
    s = Stack("dev")
    s.providers = [_provider("dev", "default_7_51_1", None, default=True)]
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
    s = Stack("prod")
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
