"""Single mutations of the AWS data services in the synthesized prod stack: each is denied on the
resource that was changed, by a rule of its own concern (the companion of test_mutations.py)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from platformctl.gate.input.preview import UNKNOWN
from platformctl.gate.runner import GateOptions, run_gate
from tests.policy.test_mutations import Doc, _gate, add, edit, find, prod

BUCKET = "aws:s3/bucket:Bucket"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
MSK = "aws:msk/cluster:Cluster"
RDS = "aws:rds/instance:Instance"


def _replicate_offline_store_abroad(doc: Doc) -> str:
    offline = find(doc, BUCKET, "features-offline")["urn"]
    return add(
        doc,
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "offline-store-dr",
        {
            "bucket": UNKNOWN,
            "role": UNKNOWN,
            "rules": [
                {"id": "dr", "status": "Enabled", "destination": {"bucket": "arn:aws:s3:::offline-store-eu-west-1"}}
            ],
        },
        deps={"bucket": [offline]},
    )


def _copy_backups_abroad(doc: Doc) -> str:
    plan = find(doc, "aws:backup/plan:Plan", "backup-plan")
    plan["newState"]["inputs"]["rules"][0]["copyActions"] = [
        {"destinationVaultArn": "arn:aws:backup:me-south-1:111122223333:backup-vault:dr"}
    ]
    return plan["urn"]


def _open_redis_to_the_internet(doc: Doc) -> str:
    group = find(doc, "aws:ec2/securityGroup:SecurityGroup", "features-redis")
    group["newState"]["inputs"]["ingress"].append(
        {"protocol": "tcp", "fromPort": 6379, "toPort": 6379, "cidrBlocks": ["0.0.0.0/0"]}
    )
    return group["urn"]


def _plain_text_token(inputs: dict[str, Any]) -> None:
    inputs["authToken"] = "hunter2hunter2hunter2"


MUTATIONS: dict[str, tuple[Callable[[Doc], str], tuple[str, ...], set[str] | None]] = {
    "msk-client-plaintext": (
        edit(MSK, "streaming-msk", lambda i: i["encryptionInfo"]["encryptionInTransit"].update(clientBroker="TLS_PLAINTEXT")),
        ("UAE-ENC-", "CKV_UAE_002", "CKV_AWS_81"),
        None,
    ),
    "msk-unauthenticated-clients": (
        edit(MSK, "streaming-msk", lambda i: i["clientAuthentication"].update(unauthenticated=True)),
        ("UAE-IAM-004",),
        None,
    ),
    "msk-no-cmk-at-rest": (
        edit(MSK, "streaming-msk", lambda i: i["encryptionInfo"].pop("encryptionAtRestKmsKeyArn")),
        ("UAE-ENC-007", "CKV_AWS_81"),
        None,
    ),
    "redis-without-tls": (
        edit(REDIS, "features-redis", lambda i: i.update(transitEncryptionEnabled=False)),
        ("UAE-ENC-008", "CKV_AWS_30", "CKV_AWS_31"),
        None,
    ),
    "redis-token-in-plain-text": (edit(REDIS, "features-redis", _plain_text_token), ("CKV_UAE_003",), None),
    "redis-open-to-the-internet": (_open_redis_to_the_internet, ("UAE-NET-001",), None),
    "rds-public": (edit(RDS, "model-registry-db", lambda i: i.update(publiclyAccessible=True)), ("UAE-NET-005", "CKV_AWS_17"), None),
    "rds-unencrypted": (edit(RDS, "model-registry-db", lambda i: i.update(storageEncrypted=False)), ("UAE-ENC-010", "CKV_AWS_16"), None),
    "offline-store-sse-s3": (
        edit(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "features-offline",
            lambda i: i["rules"][0]["applyServerSideEncryptionByDefault"].update(sseAlgorithm="AES256", kmsMasterKeyId=None),
        ),
        ("UAE-ENC-001",),
        {"aws:s3/bucket:Bucket::features-offline"},
    ),
    "checkpoints-public-access-allowed": (
        edit(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "checkpoints",
            lambda i: i.update(blockPublicPolicy=False, restrictPublicBuckets=False),
        ),
        ("UAE-ENC-", "CKV_AWS_54", "CKV_AWS_56"),
        {"aws:s3/bucket:Bucket::checkpoints"},
    ),
    "offline-store-replicated-abroad": (_replicate_offline_store_abroad, ("UAE-RES-",), None),
    "backup-copied-abroad": (_copy_backups_abroad, ("UAE-RES-009",), None),
    "prod-delete-mlflow-database": (
        lambda d: _delete(d, RDS, "model-registry-db"),
        ("UAE-OPS-002",),
        None,
    ),
}  # fmt: skip


def _delete(doc: Doc, type_: str, name: str) -> str:
    step = find(doc, type_, name)
    step["op"] = "delete"
    step["oldState"] = copy.deepcopy(step.pop("newState"))
    return step["urn"]


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_data_service_mutation_is_denied_on_the_mutated_resource(name: str, tmp_path: Path) -> None:
    mutate, rules, also = MUTATIONS[name]
    doc = prod()
    target = mutate(doc)
    # A Rego rule must catch it on its own where one exists (Checkov, ~3 s a run, only where none does).
    rego_rules = tuple(r for r in rules if r.startswith("UAE-"))
    if rego_rules:
        rules = rego_rules
        path = tmp_path / "preview.json"
        path.write_text(json.dumps(doc))
        result = run_gate([str(path)], GateOptions(checkov=False))
    else:
        result = _gate(doc, tmp_path)
    assert result.verdict == "deny", name
    accepted = {target} | {s["urn"] for s in doc["steps"] if also and any(s["urn"].endswith("$" + x) for x in also)}
    blocking = [f for f in result.findings if f.blocking]
    on_target = [f for f in blocking if f.urn in accepted and f.rule_id.startswith(rules)]
    assert on_target, f"{name}: no blocking {rules} finding on {target}; got {[(f.rule_id, f.urn) for f in blocking]}"


def test_the_unmutated_data_services_raise_no_blocking_finding(tmp_path: Path) -> None:
    result = _gate(prod(), tmp_path)
    data_types = ("uae:streaming:", "uae:features:", "uae:registry:ModelRegistry", "uae:pipelines:", "uae:backup:",
                  "uae:identity:", "uae:data:SecureBucket")  # fmt: skip
    assert not [f for f in result.findings if f.blocking and any(t in f.urn for t in data_types)]
    assert result.verdict == "allow"
