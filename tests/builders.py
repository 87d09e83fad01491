"""The one place tests write the gate's inputs by hand.

Three layers, each the shape a real run produces:
- preview steps and documents (`step`, `doc`): what `pulumi preview --json` prints (docs/preview-format.md);
- normalized resources and documents (`aws_resource`, `NormalizedStack`): what the gate's reader hands
  to the engines (docs/gate-input.md);
- compliant sets (`compliant_bucket`, `compliant_prod`): the resources a policy test starts from before
  it breaks one thing.

The sentinels come from the Pulumi SDK, not pasted: the reader must understand what the SDK sends.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from pulumi.runtime import rpc

UNKNOWN: str = rpc.UNKNOWN  # an output not known at preview time
SECRET_SIG: str = rpc._special_secret_sig
ASSET_SIG: str = rpc._special_asset_sig
SIG_KEY: str = rpc._special_sig_key
SECRET = {SIG_KEY: SECRET_SIG, "value": "hunter2-password"}  # a secret on the wire, as the SDK sends it

PROJECT = "uae-ml-platform"
HOME = "me-central-1"  # the region every compliant fixture sits in (the code's own constant is not imported)
STACK = f"urn:pulumi:prod::{PROJECT}::"  # the prod stack's URN prefix
PROVIDER = STACK + "pulumi:providers:aws::uae"
DEFAULT_PROVIDER = STACK + "pulumi:providers:aws::default_7_51_1"
STACK_URN = STACK + f"pulumi:pulumi:Stack::{PROJECT}-prod"


# -- preview documents (pulumi preview --json) ------------------------------------------------


def urn(type_: str, name: str, parent_chain: str = "") -> str:
    """A prod URN; `parent_chain` is the parent's type chain (nested under a component)."""
    chain = f"{parent_chain}${type_}" if parent_chain else type_
    return f"{STACK}{chain}::{name}"


def step(
    op: str,
    type_: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    provider: str | None = PROVIDER,
    old: dict[str, Any] | None = None,
    chain: str = "",
    deps: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """One preview step; `deps` (property -> URNs) also writes protect and the dependency lists."""
    u = urn(type_, name, chain)
    ref = f"{provider}::{UNKNOWN}" if provider else None
    result: dict[str, Any] = {"op": op, "urn": u}
    if ref:
        result["provider"] = ref

    def state(state_inputs: dict[str, Any]) -> dict[str, Any]:
        body = {"urn": u, "custom": True, "type": type_, "inputs": state_inputs, "outputs": {},
                "parent": STACK_URN, "provider": ref}  # fmt: skip
        if deps is not None:
            body |= {"protect": False, "dependencies": sorted({d for ds in deps.values() for d in ds}),
                     "propertyDependencies": deps}  # fmt: skip
        return body

    if op not in ("delete", "delete-replaced"):
        result["newState"] = state(inputs or {})
    if old is not None:
        result["oldState"] = state(old)
    return result


def doc(*steps: dict[str, Any], config: dict[str, Any] | None = None) -> dict[str, Any]:
    """A prod preview: the stack, the `uae` aws provider in me-central-1 with default tags, then `steps`."""
    provider_step = {
        "op": "same",
        "urn": PROVIDER,
        "newState": {"urn": PROVIDER, "custom": True, "type": "pulumi:providers:aws",
                     "inputs": {"region": HOME, "defaultTags": json.dumps({"tags": {"owner": "platform", "environment": "prod"}})}},
    }  # fmt: skip
    stack = {
        "op": "same",
        "urn": STACK_URN,
        "newState": {"urn": STACK_URN, "custom": False, "type": "pulumi:pulumi:Stack"},
    }
    return {
        "config": config if config is not None else {"aws:region": HOME},
        "steps": [stack, provider_step, *steps],
    }


# -- normalized gate input (docs/gate-input.md) -----------------------------------------------


def aws_resource(
    type_: str, name: str, inputs: dict[str, Any], *, parent_type: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A created aws resource on the me-central-1 provider; `parent_type` nests it in a component."""
    chain = f"{parent_type}${type_}" if parent_type else type_
    resource = {
        "urn": f"{STACK}{chain}::{name}",
        "name": name,
        "type": type_,
        "package": "aws",
        "op": "create",
        "custom": True,
        "inputs": inputs,
        "old_inputs": None,
        "parent": f"{STACK}{parent_type}::platform" if parent_type else None,
        "protect": False,
        "provider": PROVIDER,
        "region": HOME,
        "region_source": "provider",
        "tags": {"owner": "platform"},
        "dependencies": [],
        "property_dependencies": {},
        "replace_reasons": [],
        "diff_reasons": [],
    }
    resource.update(extra)
    return resource


def normalized_provider(
    env: str, name: str = "uae", region: str | None = HOME, default: bool = False
) -> dict[str, Any]:
    """A normalized aws provider with the platform's default tags; `region=None` is a provider without one."""
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


class NormalizedStack:
    """Builds a normalized gate document the way the gate's reader does, one resource at a time."""

    def __init__(self, env: str) -> None:
        self.env = env
        self.providers = [normalized_provider(env)]
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
        """Add one resource on the first provider (aws) or none (others); returns its URN."""
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
            "region": HOME if aws else None,
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
            "home_region": HOME,
            "config": {"aws:region": HOME, f"{PROJECT}:environment": self.env},
            "providers": self.providers,
            "resources": self.resources,
        }


# -- compliant sets ---------------------------------------------------------------------------

IMAGE = "123456789012.dkr.ecr.me-central-1.amazonaws.com/ranker:1.4.2@sha256:" + "ab" * 32
CONTAINER = {
    "name": "server",
    "image": IMAGE,
    "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
    "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "runAsUser": 10001},
}


def container(**changes: Any) -> dict[str, Any]:
    """A compliant container (pinned in-region image, limits, non-root), with `changes` applied on top."""
    return copy.deepcopy(CONTAINER) | changes


# The four settings of a public access block that together block every public access.
PUBLIC_ACCESS_BLOCKED = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}


def empty_input(env: str = "dev") -> dict[str, Any]:
    """The smallest valid normalized gate input: a stack with no providers and no resources."""
    return {
        "schema": "uae-ml-platform/gate-input/v1",
        "stack": env,
        "project": PROJECT,
        "environment": env,
        "home_region": HOME,
        "config": {},
        "providers": [],
        "resources": [],
    }


def compliant_bucket(s: NormalizedStack, name: str, key: str) -> str:
    """A bucket with KMS encryption under `key`, every public access blocked and versioning; its URN."""
    bucket = s.add("aws:s3/bucket:Bucket", name, {"bucketPrefix": f"{name}-"})
    s.add(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        name,
        {
            "bucket": UNKNOWN,
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": UNKNOWN}}],
        },
        deps={"bucket": [bucket], "rules": [key]},
    )
    s.add(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        name,
        {"bucket": UNKNOWN, **PUBLIC_ACCESS_BLOCKED},
        deps={"bucket": [bucket]},
    )
    s.add(
        "aws:s3/bucketVersioning:BucketVersioning",
        name,
        {"bucket": UNKNOWN, "versioningConfiguration": {"status": "Enabled"}},
        deps={"bucket": [bucket]},
    )
    return bucket


def compliant_prod() -> dict[str, Any]:
    """A normalized prod stack that every Rego rule allows: one resource or more of each kind the rules read."""
    s = NormalizedStack("prod")
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
    bucket = compliant_bucket(s, "offline-store", key)
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
    pod = {"securityContext": {"runAsNonRoot": True, "runAsUser": 10001}, "containers": [CONTAINER]}
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
                    "containers": [CONTAINER],
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
