"""Single mutations of the synthesized prod stack: each one is denied, on the mutated resource.

The unmutated stacks are allowed (test_synthesized_stacks_pass); every mutation below changes one
thing a careless change or a hostile pull request could change, and the gate must deny it with a
blocking finding whose URN is the resource that was changed (or added).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from platformctl.gate.findings import GateResult
from platformctl.gate.input.preview import UNKNOWN
from platformctl.gate.runner import GateOptions, run_gate
from platformctl.synth import synthesize

PREFIX = "urn:pulumi:prod::uae-ml-platform::"
PROVIDER = f"{PREFIX}pulumi:providers:aws::uae"
STACK = f"{PREFIX}pulumi:pulumi:Stack::uae-ml-platform-prod"

Doc = dict[str, Any]


@cache
def _prod() -> str:
    return json.dumps(synthesize("prod"))


def prod() -> Doc:
    return json.loads(_prod())


def find(doc: Doc, type_: str, name: str) -> dict[str, Any]:
    for step in doc["steps"]:
        if step["newState"]["type"] == type_ and step["urn"].endswith(f"::{name}"):
            return step
    raise AssertionError(f"no {type_} {name} in the synthesized prod stack")


def inputs(doc: Doc, type_: str, name: str) -> dict[str, Any]:
    return find(doc, type_, name)["newState"]["inputs"]


def add(doc: Doc, type_: str, name: str, props: dict[str, Any], *, provider: str = PROVIDER,
        deps: dict[str, list[str]] | None = None) -> str:  # fmt: skip
    urn = f"{PREFIX}{type_}::{name}"
    ref = f"{provider}::{UNKNOWN}"
    state = {"urn": urn, "custom": True, "type": type_, "inputs": props, "outputs": {}, "parent": STACK,
             "provider": ref, "protect": False, "dependencies": sorted({u for v in (deps or {}).values() for u in v}),
             "propertyDependencies": deps or {}}  # fmt: skip
    doc["steps"].append({"op": "create", "urn": urn, "provider": ref, "newState": state})
    return urn


def set_op(doc: Doc, type_: str, name: str, op: str) -> str:
    step = find(doc, type_, name)
    step["op"] = op
    step["oldState"] = copy.deepcopy(step["newState"])
    if op == "delete":
        del step["newState"]
    return step["urn"]


def edit(type_: str, name: str, change: Callable[[dict[str, Any]], None]) -> Callable[[Doc], str]:
    def mutate(doc: Doc) -> str:
        change(inputs(doc, type_, name))
        return find(doc, type_, name)["urn"]

    return mutate


def _provider_region(doc: Doc) -> str:
    for step in doc["steps"]:
        if step["urn"] == PROVIDER:
            step["newState"]["inputs"]["region"] = "eu-west-1"
    return PROVIDER


def _provider_endpoint(doc: Doc) -> str:
    for step in doc["steps"]:
        if step["urn"] == PROVIDER:
            step["newState"]["inputs"]["endpoints"] = json.dumps([{"sts": "https://sts.amazonaws.com"}])
    return PROVIDER


def _second_provider_bucket(doc: Doc) -> str:
    other = f"{PREFIX}pulumi:providers:aws::ireland"
    doc["steps"].append({"op": "create", "urn": other, "newState": {"urn": other, "custom": True, "type": "pulumi:providers:aws",
                         "inputs": {"region": "eu-west-1"}, "outputs": {}}})  # fmt: skip
    return add(doc, "aws:s3/bucket:Bucket", "shadow-copy", {"bucketPrefix": "shadow-"}, provider=other)


def _default_provider_resource(doc: Doc) -> str:
    default = f"{PREFIX}pulumi:providers:aws::default_7_51_1"
    doc["config"]["aws:region"] = "us-east-1"
    return add(doc, "aws:sqs/queue:Queue", "events", {"name": "events"}, provider=default)


RELEASE = "kubernetes:helm.sh/v3:Release"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
TRAIN_JOB = "kubernetes:trainer.kubeflow.org/v1alpha1:TrainJob"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def _drop(doc: Doc, type_: str, name: str) -> str:
    urn = find(doc, type_, name)["urn"]
    doc["steps"] = [s for s in doc["steps"] if s["urn"] != urn]
    return STACK


def _remove(doc: Doc, type_: str) -> str:
    doc["steps"] = [s for s in doc["steps"] if s["newState"]["type"] != type_]
    return STACK


def _strip_default_tags(doc: Doc) -> str:
    for step in doc["steps"]:
        if step["urn"] == PROVIDER:
            step["newState"]["inputs"]["defaultTags"] = json.dumps({"tags": {"cost-center": "cc"}})
    return find(doc, "aws:ec2/vpc:Vpc", "network-vpc")["urn"]


def _sg_rule(port: int) -> Callable[[Doc], str]:
    def mutate(doc: Doc) -> str:
        return add(doc, "aws:ec2/securityGroupRule:SecurityGroupRule", f"open-{port}",
                   {"type": "ingress", "fromPort": port, "toPort": port, "protocol": "tcp", "cidrBlocks": ["0.0.0.0/0"],
                    "securityGroupId": UNKNOWN})  # fmt: skip

    return mutate


def _pod(container: dict[str, Any]) -> Callable[[Doc], str]:
    def mutate(doc: Doc) -> str:
        k8s = f"{PREFIX}pulumi:providers:kubernetes::cluster-k8s"
        base = {"name": "app", "image": "111122223333.dkr.ecr.me-central-1.amazonaws.com/uae-ml-prod/serving@sha256:" + "a" * 64,
                "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
                "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False}}  # fmt: skip
        base.update(container)
        spec = {"selector": {"matchLabels": {"app": "x"}}, "template": {"metadata": {"labels": {"app": "x"}},
                "spec": {"securityContext": {"runAsNonRoot": True}, "containers": [base]}}}  # fmt: skip
        return add(doc, "kubernetes:apps/v1:Deployment", "serving", {"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "serving", "namespace": "ml"}, "spec": spec}, provider=k8s)  # fmt: skip

    return mutate


def _edit_policy_statement(doc: Doc) -> str:
    return add(doc, "aws:iam/policy:Policy", "break-glass", {"policy": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})})  # fmt: skip


def _trail_to_foreign_bucket(doc: Doc) -> str:
    other = f"{PREFIX}pulumi:providers:aws::virginia"
    doc["steps"].append({"op": "create", "urn": other, "newState": {"urn": other, "custom": True, "type": "pulumi:providers:aws",
                         "inputs": {"region": "us-east-1"}, "outputs": {}}})  # fmt: skip
    bucket = add(doc, "aws:s3/bucket:Bucket", "trail-sink", {"bucketPrefix": "sink-"}, provider=other)
    trail = find(doc, "aws:cloudtrail/trail:Trail", "audit-trail")
    trail["newState"]["propertyDependencies"]["s3BucketName"] = [bucket]
    trail["newState"]["dependencies"].append(bucket)
    return trail["urn"]


MUTATIONS: dict[str, tuple[Callable[[Doc], str], set[str] | None]] = {
    # residency
    "provider-region": (_provider_region, None),
    "provider-global-endpoint": (_provider_endpoint, None),
    "resource-region-override": (
        edit("aws:s3/bucket:Bucket", "audit-trail", lambda i: i.update(region="us-east-1")),
        None,
    ),
    "subnet-outside-uae": (
        edit("aws:ec2/subnet:Subnet", "network-private-a", lambda i: i.update(availabilityZone="me-south-1a")),
        None,
    ),
    "kms-multi-region": (edit("aws:kms/key:Key", "keys-data-lake", lambda i: i.update(multiRegion=True)), None),
    "second-provider-elsewhere": (_second_provider_bucket, None),
    "default-provider-elsewhere": (_default_provider_resource, None),
    "gpu-family-not-in-region": (
        edit(
            "aws:eks/nodeGroup:NodeGroup", "nodepools-gputraining", lambda i: i.update(instanceTypes=["p4d.24xlarge"])
        ),
        None,
    ),
    "s3-replication-abroad": (
        lambda d: add(
            d,
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
            "crr",
            {
                "bucket": UNKNOWN,
                "role": UNKNOWN,
                "rules": [{"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::dr-eu-west-1"}}],
                "region": "me-central-1",
            },
        ),
        None,
    ),  # fmt: skip
    "ecr-replication-abroad": (
        lambda d: add(
            d,
            "aws:ecr/replicationConfiguration:ReplicationConfiguration",
            "ecr-dr",
            {
                "replicationConfiguration": {
                    "rules": [{"destinations": [{"region": "eu-central-1", "registryId": "111122223333"}]}]
                }
            },
        ),
        None,
    ),  # fmt: skip
    "dynamodb-global-table": (
        lambda d: add(
            d,
            "aws:dynamodb/table:Table",
            "features",
            {
                "hashKey": "id",
                "attributes": [{"name": "id", "type": "S"}],
                "billingMode": "PAY_PER_REQUEST",
                "replicas": [{"regionName": "eu-west-1"}],
                "serverSideEncryption": {"enabled": True},
            },
        ),
        None,
    ),  # fmt: skip
    "cloudfront": (lambda d: add(d, "aws:cloudfront/distribution:Distribution", "cdn", {"enabled": True}), None),
    "secret-replica-abroad": (
        lambda d: add(
            d, "aws:secretsmanager/secret:Secret", "db", {"name": "db", "replicas": [{"region": "eu-central-1"}]}
        ),
        None,
    ),  # fmt: skip
    "backup-copy-abroad": (
        lambda d: add(
            d,
            "aws:backup/plan:Plan",
            "dr",
            {
                "rules": [
                    {
                        "ruleName": "daily",
                        "targetVaultName": "vault",
                        "copyActions": [
                            {"destinationVaultArn": "arn:aws:backup:eu-west-1:111122223333:backup-vault:dr"}
                        ],
                    }
                ]
            },
        ),
        None,
    ),  # fmt: skip
    "trail-to-foreign-bucket": (_trail_to_foreign_bucket, None),
    # encryption
    "kms-rotation-off": (edit("aws:kms/key:Key", "keys-logs", lambda i: i.update(enableKeyRotation=False)), None),
    "s3-sse-aes256": (
        edit(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "audit-trail",
            lambda i: i["rules"][0]["applyServerSideEncryptionByDefault"].update(
                sseAlgorithm="AES256", kmsMasterKeyId=None
            ),
        ),
        {"aws:s3/bucket:Bucket::audit-trail"},
    ),  # fmt: skip
    "s3-public-access-block-off": (
        edit(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "audit-trail",
            lambda i: i.update(restrictPublicBuckets=False),
        ),
        {"aws:s3/bucket:Bucket::audit-trail"},
    ),  # fmt: skip
    "s3-versioning-suspended": (
        edit(
            "aws:s3/bucketVersioning:BucketVersioning",
            "audit-trail",
            lambda i: i.update(versioningConfiguration={"status": "Suspended"}),
        ),
        {"aws:s3/bucket:Bucket::audit-trail"},
    ),  # fmt: skip
    "s3-public-acl": (edit("aws:s3/bucket:Bucket", "audit-trail", lambda i: i.update(acl="public-read")), None),
    "eks-public-endpoint": (
        edit(
            "aws:eks/cluster:Cluster",
            "cluster-eks",
            lambda i: i["vpcConfig"].update(endpointPublicAccess=True, publicAccessCidrs=["0.0.0.0/0"]),
        ),
        None,
    ),  # fmt: skip
    "eks-no-secrets-encryption": (
        edit("aws:eks/cluster:Cluster", "cluster-eks", lambda i: i.pop("encryptionConfig")),
        None,
    ),
    "eks-no-audit-logs": (
        edit("aws:eks/cluster:Cluster", "cluster-eks", lambda i: i.update(enabledClusterLogTypes=["api"])),
        None,
    ),
    "launch-template-unencrypted": (
        edit(
            "aws:ec2/launchTemplate:LaunchTemplate",
            "nodepools-system",
            lambda i: i["blockDeviceMappings"][0]["ebs"].update(encrypted="false"),
        ),
        None,
    ),  # fmt: skip
    "msk-plaintext": (
        lambda d: add(
            d,
            "aws:msk/cluster:Cluster",
            "events",
            {
                "clusterName": "events",
                "kafkaVersion": "3.7.x",
                "numberOfBrokerNodes": 3,
                "brokerNodeGroupInfo": {"instanceType": "kafka.m7g.large", "clientSubnets": [UNKNOWN]},
                "encryptionInfo": {"encryptionInTransit": {"clientBroker": "PLAINTEXT", "inCluster": True}},
            },
        ),
        None,
    ),  # fmt: skip
    "elasticache-no-transit-encryption": (
        lambda d: add(
            d,
            "aws:elasticache/replicationGroup:ReplicationGroup",
            "online-store",
            {
                "description": "feast",
                "nodeType": "cache.r7g.large",
                "atRestEncryptionEnabled": "true",
                "transitEncryptionEnabled": False,
            },
        ),
        None,
    ),  # fmt: skip
    "rds-public-unencrypted": (
        lambda d: add(
            d,
            "aws:rds/instance:Instance",
            "registry-db",
            {
                "instanceClass": "db.m7i.large",
                "engine": "postgres",
                "publiclyAccessible": True,
                "storageEncrypted": False,
                "allocatedStorage": 20,
            },
        ),
        None,
    ),  # fmt: skip
    # network
    "sg-ssh-from-internet": (
        edit(
            "aws:ec2/securityGroup:SecurityGroup",
            "network-endpoints",
            lambda i: i["ingress"].append(
                {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}
            ),
        ),
        None,
    ),  # fmt: skip
    "sg-rule-rdp-from-internet": (_sg_rule(3389), None),
    "vpc-without-flow-log": (
        lambda d: _remove(d, "aws:ec2/flowLog:FlowLog") and find(d, "aws:ec2/vpc:Vpc", "network-vpc")["urn"],
        None,
    ),
    # identity
    "iam-star-star": (_edit_policy_statement, None),
    "admin-attachment": (
        edit(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "nodepools-node-AmazonEKSWorkerNodePolicy",
            lambda i: i.update(policyArn="arn:aws:iam::aws:policy/AdministratorAccess"),
        ),
        None,
    ),  # fmt: skip
    "iam-access-key": (lambda d: add(d, "aws:iam/accessKey:AccessKey", "ci-key", {"user": "ci"}), None),
    # kubernetes
    "gpu-node-group-untainted": (
        edit("aws:eks/nodeGroup:NodeGroup", "nodepools-gputraining", lambda i: i.update(taints=[])),
        None,
    ),
    "privileged-pod": (
        _pod({"securityContext": {"privileged": True, "runAsNonRoot": True, "allowPrivilegeEscalation": False}}),
        None,
    ),
    "image-from-docker-hub": (_pod({"image": "docker.io/library/python:3.11"}), None),
    "image-latest-tag": (
        _pod({"image": "111122223333.dkr.ecr.me-central-1.amazonaws.com/uae-ml-prod/serving:latest"}),
        None,
    ),
    "no-resource-limits": (_pod({"resources": {}}), None),
    "secret-in-env": (_pod({"env": [{"name": "DB_PASSWORD", "value": "hunter2"}]}), None),
    # platform services on the cluster
    "helm-chart-from-public-registry": (
        edit(RELEASE, "serving-kserve", lambda i: i.update(chart="oci://ghcr.io/kserve/charts/kserve")),
        None,
    ),
    "helm-chart-repository-elsewhere": (
        edit(
            RELEASE,
            "observability-kube-prometheus-stack",
            lambda i: i.update(
                chart="kube-prometheus-stack",
                repositoryOpts={"repo": "https://prometheus-community.github.io/helm-charts"},
            ),
        ),
        None,
    ),  # fmt: skip
    "training-image-from-docker-hub": (
        edit(
            TRAIN_JOB,
            "training-credit-risk",
            lambda i: i["spec"]["trainer"].update(image="docker.io/pytorch/pytorch:2.7.1"),
        ),
        None,
    ),  # fmt: skip
    "inference-single-replica": (
        edit(ISVC, "serving-credit-risk", lambda i: i["spec"]["predictor"].update(minReplicas=1)),
        None,
    ),
    "predictor-as-root": (
        edit(
            ISVC,
            "serving-credit-risk",
            lambda i: i["spec"]["predictor"]["containers"][0]["securityContext"].update(
                runAsNonRoot=False, runAsUser=0
            ),
        ),
        None,
    ),  # fmt: skip
    "serving-namespace-without-default-deny": (
        lambda d: _drop(d, NETPOL, "baseline-serving-default-deny-all"),
        {f"{ISVC}::serving-credit-risk"},
    ),
    # operations
    "missing-owner-tags": (_strip_default_tags, None),
    "prod-delete-stateful": (lambda d: set_op(d, "aws:kms/key:Key", "keys-data-lake", "delete"), None),
    "prod-replace-cluster": (lambda d: set_op(d, "aws:eks/cluster:Cluster", "cluster-eks", "replace"), None),
    "no-guardduty": (lambda d: _remove(d, "aws:guardduty/detector:Detector"), None),
    "trail-without-validation": (
        edit("aws:cloudtrail/trail:Trail", "audit-trail", lambda i: i.update(enableLogFileValidation=False)),
        None,
    ),
}


# Which rules may count as "denied for the right reason": the mutation's own concern, not some
# unrelated rule that happens to fire on the same resource.
RESIDENCY = ("UAE-RES-", "CKV_UAE_001", "CKV_UAE_004")
EXPECTED_RULES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ["provider-region", "provider-global-endpoint", "resource-region-override", "subnet-outside-uae", "kms-multi-region", "second-provider-elsewhere",
         "default-provider-elsewhere", "gpu-family-not-in-region", "s3-replication-abroad", "ecr-replication-abroad",
         "dynamodb-global-table", "cloudfront", "secret-replica-abroad", "backup-copy-abroad", "trail-to-foreign-bucket"],
        RESIDENCY,
    ),
    **dict.fromkeys(
        ["kms-rotation-off", "s3-sse-aes256", "s3-public-access-block-off", "s3-versioning-suspended", "s3-public-acl",
         "eks-no-secrets-encryption", "launch-template-unencrypted", "msk-plaintext", "elasticache-no-transit-encryption"],
        ("UAE-ENC-", "CKV_AWS_", "CKV_UAE_002", "CKV_UAE_003"),
    ),
    **dict.fromkeys(["eks-public-endpoint", "rds-public-unencrypted"], ("UAE-NET-", "UAE-ENC-", "CKV_AWS_")),
    **dict.fromkeys(["sg-ssh-from-internet", "sg-rule-rdp-from-internet", "vpc-without-flow-log"], ("UAE-NET-", "CKV_AWS_")),
    **dict.fromkeys(["iam-star-star", "admin-attachment", "iam-access-key"], ("UAE-IAM-", "CKV_AWS_")),
    **dict.fromkeys(
        ["gpu-node-group-untainted", "privileged-pod", "image-from-docker-hub", "image-latest-tag", "no-resource-limits",
         "secret-in-env", "helm-chart-from-public-registry", "helm-chart-repository-elsewhere",
         "training-image-from-docker-hub", "inference-single-replica", "predictor-as-root"],
        ("UAE-K8S-", "CKV_K8S_"),
    ),
    "serving-namespace-without-default-deny": ("UAE-NET-",),
    **dict.fromkeys(
        ["missing-owner-tags", "prod-delete-stateful", "prod-replace-cluster", "no-guardduty", "trail-without-validation",
         "eks-no-audit-logs"],
        ("UAE-OPS-", "CKV_AWS_"),
    ),
}  # fmt: skip


def _gate(doc: Doc, tmp_path: Path) -> GateResult:
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(doc))
    return run_gate([str(path)], GateOptions())


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_synthesized_stacks_pass(stack: str, tmp_path: Path) -> None:
    result = _gate(synthesize(stack), tmp_path)
    blocking = [f"{f.rule_id} {f.urn}: {f.message}" for f in result.findings if f.blocking]
    assert result.verdict == "allow", blocking
    assert result.stacks[0].checkov_scanned > 50


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutation_is_denied_on_the_mutated_resource(name: str, tmp_path: Path) -> None:
    mutate, also = MUTATIONS[name]
    doc = prod()
    target = mutate(doc)
    result = _gate(doc, tmp_path)
    assert result.verdict == "deny", name
    accepted = {target} | {PREFIX + s for s in also or ()} | {u for u in _with_chain(doc, also)}
    blocking = [f for f in result.findings if f.blocking]
    on_target = [f for f in blocking if f.urn in accepted and f.rule_id.startswith(EXPECTED_RULES[name])]
    assert on_target, (
        f"{name}: no blocking {EXPECTED_RULES[name]} finding on {target}; got {[(f.rule_id, f.urn) for f in blocking]}"
    )


def _with_chain(doc: Doc, suffixes: set[str] | None) -> set[str]:
    """`type::name` suffixes -> full URNs (with parent chains) present in the document."""
    if not suffixes:
        return set()
    return {s["urn"] for s in doc["steps"] if any(s["urn"].endswith(("$" + x, "::" + x)) for x in suffixes)}


def test_there_are_at_least_thirty_mutations() -> None:
    assert len(MUTATIONS) >= 30
    assert set(EXPECTED_RULES) == set(MUTATIONS)
