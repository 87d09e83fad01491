"""The AWS data services in the offline preview documents: what `platformctl synth` shows the gate."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from typing import Any

import pytest

from platformctl.gate.input.preview import UNKNOWN
from platformctl.synth import synthesize

STACKS = ("dev", "staging", "prod")
SECRET = "[secret]"
DATA_BUCKETS = ("features-offline", "features-registry", "model-registry-artifacts", "checkpoints", "pipelines-dags")
BUCKET_GUARDS = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketPolicy:BucketPolicy",
)


@cache
def preview(stack: str) -> dict[str, Any]:
    return synthesize(stack)


def states(stack: str) -> list[dict[str, Any]]:
    return [step["newState"] for step in preview(stack)["steps"]]


def named(stack: str, type_: str, name: str) -> dict[str, Any]:
    [state] = [s for s in states(stack) if s["type"] == type_ and s["urn"].endswith(f"::{name}")]
    return state


def test_prod_holds_the_data_services() -> None:
    types = Counter(s["type"] for s in states("prod"))
    buckets = 1 + len(DATA_BUCKETS)  # the audit trail's bucket and the data buckets
    expected = {
        "aws:msk/cluster:Cluster": 1,
        "aws:msk/configuration:Configuration": 1,
        "aws:elasticache/replicationGroup:ReplicationGroup": 1,
        "aws:rds/instance:Instance": 1,
        "aws:mwaa/environment:Environment": 1,
        "aws:backup/vault:Vault": 1,
        "aws:backup/plan:Plan": 1,
        "aws:backup/selection:Selection": 2,
        "aws:s3/bucket:Bucket": buckets,
        **dict.fromkeys(BUCKET_GUARDS, buckets),
        # The audit bucket keeps every log version (integrity); only data buckets expire old versions.
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": len(DATA_BUCKETS),
        "random:index/randomPassword:RandomPassword": 1,
        "pulumi:providers:random": 1,
    }
    assert {t: types[t] for t in expected} == expected


@pytest.mark.parametrize("stack", STACKS)
def test_every_data_bucket_has_each_guard_pointing_at_it(stack: str) -> None:
    for bucket in DATA_BUCKETS:
        bucket_urn = named(stack, "aws:s3/bucket:Bucket", bucket)["urn"]
        for guard in BUCKET_GUARDS:
            state = named(stack, guard, bucket)
            assert state["propertyDependencies"]["bucket"] == [bucket_urn], (bucket, guard)


@pytest.mark.parametrize("stack", STACKS)
def test_the_online_store_token_is_a_secret_in_the_preview(stack: str) -> None:
    redis = named(stack, "aws:elasticache/replicationGroup:ReplicationGroup", "features-redis")
    assert redis["inputs"]["authToken"] == SECRET
    token = named(stack, "random:index/randomPassword:RandomPassword", "features-redis-auth")
    assert any(token["urn"] in deps for deps in redis["propertyDependencies"].values())
    version = named(stack, "aws:secretsmanager/secretVersion:SecretVersion", "features-redis-auth")
    assert version["inputs"]["secretString"] == SECRET
    assert token["provider"].startswith(f"urn:pulumi:{stack}::uae-ml-platform::pulumi:providers:random::random::")


@pytest.mark.parametrize("stack", STACKS)
def test_workload_and_service_policies_are_readable_at_preview_time(stack: str) -> None:
    """Built from the account id and names, so the gate reads every statement of a new stack."""
    policies = [
        s
        for s in states(stack)
        if s["type"] in ("aws:iam/rolePolicy:RolePolicy", "aws:s3/bucketPolicy:BucketPolicy")
        and any(part in s["urn"] for part in ("WorkloadRoles", "SecureBucket", "Pipelines", "Backup"))
    ]
    assert len(policies) >= 5 + len(DATA_BUCKETS) + 2
    for state in policies:
        assert UNKNOWN not in state["inputs"]["policy"], state["urn"]
        assert json.loads(state["inputs"]["policy"])["Statement"]


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_in_the_data_services_leaves_the_region(stack: str) -> None:
    text = json.dumps([s for s in states(stack) if not s["type"].startswith("pulumi:")])
    for region in ("me-south-1", "eu-west-1", "us-east-1", "eu-central-1"):
        assert region not in text
    plan = named(stack, "aws:backup/plan:Plan", "backup-plan")
    assert all(not rule.get("copyActions") for rule in plan["inputs"]["rules"])
    assert not [s for s in states(stack) if s["type"] == "aws:s3/bucketReplicationConfig:BucketReplicationConfig"]
