"""Checkov checks, ours (CKV_UAE_*) and Checkov's, on hand-built normalized-input fixtures.

Each case is a pulumi-aws (camelCase) resource that must make one check PASS or FAIL. All cases go
through the real translation and one real worker run in the checkov venv, so a case also proves
that the translated shape is the one the check reads (a wrong shape flips PASSED/FAILED).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from platformctl.gate.engines.checkov import build_request, call_worker
from platformctl.gate.input.tfplan import UNKNOWN

STACK = "urn:pulumi:prod::uae-ml-platform::"
PROVIDER = STACK + "pulumi:providers:aws::uae"


@dataclass(frozen=True)
class Case:
    check_id: str
    expected: str
    type: str
    inputs: dict[str, Any]


ADMIN_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
READ_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::features/*"}],
    }
)
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
MSK = "aws:msk/cluster:Cluster"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
SCALING = {"desiredSize": 1, "maxSize": 2, "minSize": 0}


def _msk(client_broker: str | None) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "kafkaVersion": "3.6.0",
        "numberOfBrokerNodes": 3,
        "brokerNodeGroupInfo": {"instanceType": "kafka.m7g.large", "clientSubnets": [UNKNOWN]},
    }
    if client_broker:
        inputs["encryptionInfo"] = {"encryptionInTransit": {"clientBroker": client_broker, "inCluster": True}}
    return inputs


def _pod(container: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"namespace": "serving"},
        "spec": {
            "selector": {"matchLabels": {"app": "x"}},
            "template": {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [container]}},
        },
    }


CASES = [
    # CKV_UAE_001: instance types offered in me-central-1
    Case(
        "CKV_UAE_001",
        "FAILED",
        NODE_GROUP,
        {"clusterName": UNKNOWN, "instanceTypes": ["p4d.24xlarge"], "scalingConfig": SCALING},
    ),
    Case(
        "CKV_UAE_001",
        "FAILED",
        NODE_GROUP,
        {"clusterName": UNKNOWN, "instanceTypes": ["g6e.xlarge", "g4dn.xlarge"], "scalingConfig": SCALING},
    ),
    Case(
        "CKV_UAE_001",
        "PASSED",
        NODE_GROUP,
        {"clusterName": UNKNOWN, "instanceTypes": ["g6e.12xlarge", "p5en.48xlarge"], "scalingConfig": SCALING},
    ),
    Case(
        "CKV_UAE_001",
        "PASSED",
        NODE_GROUP,
        {"clusterName": UNKNOWN, "instanceTypes": ["m7i.2xlarge", "c8g.4xlarge"], "scalingConfig": SCALING},
    ),
    Case("CKV_UAE_001", "FAILED", "aws:ec2/launchTemplate:LaunchTemplate", {"instanceType": "inf2.xlarge"}),
    Case("CKV_UAE_001", "PASSED", "aws:ec2/instance:Instance", {"instanceType": "g5.2xlarge", "ami": "ami-1"}),
    # CKV_UAE_002: MSK client-broker TLS only
    Case("CKV_UAE_002", "FAILED", MSK, _msk("TLS_PLAINTEXT")),
    Case("CKV_UAE_002", "FAILED", MSK, _msk("PLAINTEXT")),
    Case("CKV_UAE_002", "PASSED", MSK, _msk("TLS")),
    Case("CKV_UAE_002", "PASSED", MSK, _msk(None)),
    # CKV_UAE_003: ElastiCache auth token is a secret, or RBAC
    Case(
        "CKV_UAE_003",
        "FAILED",
        REDIS,
        {"description": "r", "transitEncryptionEnabled": True, "authToken": "plaintext-token-0123456789"},
    ),
    Case("CKV_UAE_003", "FAILED", REDIS, {"description": "r", "transitEncryptionEnabled": True}),
    Case(
        "CKV_UAE_003", "PASSED", REDIS, {"description": "r", "transitEncryptionEnabled": True, "authToken": "[secret]"}
    ),
    Case(
        "CKV_UAE_003",
        "PASSED",
        REDIS,
        {"description": "r", "transitEncryptionEnabled": True, "userGroupIds": ["platform-users"]},
    ),
    # CKV_UAE_004: per-resource region override
    Case("CKV_UAE_004", "FAILED", "aws:s3/bucket:Bucket", {"region": "eu-west-1"}),
    Case("CKV_UAE_004", "FAILED", "aws:kms/key:Key", {"region": "me-south-1", "enableKeyRotation": True}),
    Case("CKV_UAE_004", "PASSED", "aws:s3/bucket:Bucket", {"region": "me-central-1"}),
    Case("CKV_UAE_004", "PASSED", "aws:s3/bucket:Bucket", {"bucketPrefix": "features-"}),
    # Checkov's own checks read the translated shape
    Case("CKV_AWS_7", "FAILED", "aws:kms/key:Key", {"enableKeyRotation": False}),
    Case("CKV_AWS_7", "PASSED", "aws:kms/key:Key", {"enableKeyRotation": True}),
    Case(
        "CKV_AWS_58", "FAILED", "aws:eks/cluster:Cluster", {"roleArn": UNKNOWN, "vpcConfig": {"subnetIds": [UNKNOWN]}}
    ),
    Case(
        "CKV_AWS_58",
        "PASSED",
        "aws:eks/cluster:Cluster",
        {
            "roleArn": UNKNOWN,
            "vpcConfig": {"subnetIds": [UNKNOWN]},
            "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": UNKNOWN}},
        },
    ),
    Case(
        "CKV_AWS_39",
        "FAILED",
        "aws:eks/cluster:Cluster",
        {"roleArn": UNKNOWN, "vpcConfig": {"endpointPublicAccess": True}},
    ),
    Case(
        "CKV_AWS_39",
        "PASSED",
        "aws:eks/cluster:Cluster",
        {"roleArn": UNKNOWN, "vpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": True}},
    ),
    Case(
        "CKV_AWS_37",
        "PASSED",
        "aws:eks/cluster:Cluster",
        {
            "roleArn": UNKNOWN,
            "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
        },
    ),
    Case(
        "CKV_AWS_79", "FAILED", "aws:ec2/launchTemplate:LaunchTemplate", {"metadataOptions": {"httpTokens": "optional"}}
    ),
    Case(
        "CKV_AWS_79",
        "PASSED",
        "aws:ec2/launchTemplate:LaunchTemplate",
        {"metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled"}},
    ),
    Case("CKV_AWS_81", "FAILED", MSK, _msk("TLS_PLAINTEXT")),
    Case("CKV_AWS_81", "PASSED", MSK, _msk("TLS")),
    Case("CKV_AWS_31", "FAILED", REDIS, {"description": "r", "transitEncryptionEnabled": False}),
    Case(
        "CKV_AWS_31", "PASSED", REDIS, {"description": "r", "transitEncryptionEnabled": True, "authToken": "[secret]"}
    ),
    Case(
        "CKV_AWS_24",
        "FAILED",
        "aws:ec2/securityGroup:SecurityGroup",
        {"vpcId": UNKNOWN, "ingress": [{"fromPort": 22, "toPort": 22, "protocol": "tcp", "cidrBlocks": ["0.0.0.0/0"]}]},
    ),
    Case(
        "CKV_AWS_24",
        "PASSED",
        "aws:ec2/securityGroup:SecurityGroup",
        {
            "vpcId": UNKNOWN,
            "ingress": [{"fromPort": 22, "toPort": 22, "protocol": "tcp", "cidrBlocks": ["10.0.0.0/8"]}],
        },
    ),
    Case("CKV_AWS_62", "FAILED", "aws:iam/policy:Policy", {"policy": ADMIN_POLICY}),
    Case("CKV_AWS_62", "PASSED", "aws:iam/policy:Policy", {"policy": READ_POLICY}),
    Case(
        "CKV_AWS_53",
        "FAILED",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        {"bucket": UNKNOWN, "blockPublicAcls": False},
    ),
    Case(
        "CKV_AWS_56",
        "PASSED",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        {
            "bucket": UNKNOWN,
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
    ),
    Case("CKV_AWS_158", "FAILED", "aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 365}),
    Case("CKV_AWS_158", "PASSED", "aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 365, "kmsKeyId": UNKNOWN}),
    Case(
        "CKV_K8S_16",
        "FAILED",
        "kubernetes:apps/v1:Deployment",
        _pod({"name": "c", "image": "i@sha256:1", "securityContext": {"privileged": True}}),
    ),
    Case(
        "CKV_K8S_16",
        "PASSED",
        "kubernetes:apps/v1:Deployment",
        _pod({"name": "c", "image": "i@sha256:1", "securityContext": {"privileged": False}}),
    ),
    Case("CKV_K8S_20", "FAILED", "kubernetes:apps/v1:Deployment", _pod({"name": "c", "image": "i@sha256:1"})),
    Case(
        "CKV_K8S_20",
        "PASSED",
        "kubernetes:apps/v1:Deployment",
        _pod({"name": "c", "image": "i@sha256:1", "securityContext": {"allowPrivilegeEscalation": False}}),
    ),
]


def _resource(index: int, case: Case) -> dict[str, Any]:
    package = case.type.split(":", 1)[0]
    return {
        "urn": f"{STACK}{case.type}::case-{index}",
        "name": f"case-{index}",
        "type": case.type,
        "package": package,
        "op": "create",
        "custom": True,
        "inputs": case.inputs,
        "old_inputs": None,
        "provider": PROVIDER if package == "aws" else None,
        "tags": {"owner": "platform"} if package == "aws" else None,
        "property_dependencies": {},
    }


@pytest.fixture(scope="module")
def results_by_urn() -> dict[str, dict[str, list[str]]]:
    normalized = {"environment": "prod", "resources": [_resource(i, case) for i, case in enumerate(CASES)]}
    request, plan, _ = build_request(normalized)
    answer = call_worker(request)
    by_urn: dict[str, dict[str, list[str]]] = {}
    for entity in answer["entities"]:
        urn = plan.address_to_urn.get(entity["id"], entity["id"])
        by_urn[urn] = entity
    return by_urn


@pytest.mark.parametrize(
    ("index", "case"), list(enumerate(CASES)), ids=[f"{c.check_id}-{c.expected}-{i}" for i, c in enumerate(CASES)]
)
def test_check_result(results_by_urn: dict[str, dict[str, list[str]]], index: int, case: Case) -> None:
    urn = f"{STACK}{case.type}::case-{index}"
    assert urn in results_by_urn, "resource was not scanned"
    other = "FAILED" if case.expected == "PASSED" else "PASSED"
    assert case.check_id in results_by_urn[urn][case.expected]
    assert case.check_id not in results_by_urn[urn][other]


def test_every_custom_check_has_passed_and_failed_fixtures() -> None:
    from pathlib import Path

    checks_dir = Path(__file__).resolve().parents[2] / "policies" / "checkov" / "checks"
    ids = {
        line.split('"')[1]
        for p in checks_dir.glob("*.py")
        for line in p.read_text().splitlines()
        if 'id="CKV_UAE_' in line
    }
    assert ids == {"CKV_UAE_001", "CKV_UAE_002", "CKV_UAE_003", "CKV_UAE_004"}
    for check_id in ids:
        assert {c.expected for c in CASES if c.check_id == check_id} == {"PASSED", "FAILED"}
