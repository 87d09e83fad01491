"""Probes that once passed the gate (issue 7, AWS half): each raw preview -> reader -> Rego, on the resource.

Every probe is a `pulumi preview --json` shaped document, so the reader's facts (regions, network
exposure) and the rules are exercised together; each has a compliant twin that must stay clean.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from platformctl.gate.engines.rego import RegorusEngine
from platformctl.gate.input.preview import UNKNOWN, normalize
from tests.unit.test_preview import PROVIDER, SECRET, doc, step, urn

SG = "aws:ec2/securityGroup:SecurityGroup"
NATIVE_PROVIDER = "urn:pulumi:prod::uae-ml-platform::pulumi:providers:aws-native::uae-native"


@cache
def _engine() -> RegorusEngine:
    return RegorusEngine()


def findings(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(rule id, resource or provider name) of every finding."""
    return {(f["rule_id"], f["urn"].rsplit("::", 1)[-1]) for f in _engine().evaluate(normalize(document))}


def rules_on(document: dict[str, Any], name: str) -> set[str]:
    """Rule ids of the findings on one resource (stack-level findings of a tiny preview aside)."""
    return {rule for rule, where in findings(document) if where == name}


def messages(document: dict[str, Any], rule_id: str) -> list[str]:
    return [f["message"] for f in _engine().evaluate(normalize(document)) if f["rule_id"] == rule_id]


def _provider_step(urn_: str, package: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"op": "create", "urn": urn_,
            "newState": {"urn": urn_, "custom": True, "type": f"pulumi:providers:{package}", "inputs": inputs}}  # fmt: skip


def _native(type_: str, name: str, inputs: dict[str, Any], region: str = "me-central-1") -> dict[str, Any]:
    return doc(_provider_step(NATIVE_PROVIDER, "aws-native", {"region": region}),
               step("create", type_, name, inputs, provider=NATIVE_PROVIDER))  # fmt: skip


def _sg(*ingress: dict[str, Any], type_: str = SG) -> dict[str, Any]:
    return doc(step("create", type_, "web", {"vpcId": UNKNOWN, "ingress": list(ingress)}))


def _ssh(**sources: Any) -> dict[str, Any]:
    return {"protocol": "tcp", "fromPort": 22, "toPort": 22, **sources}


# -- other AWS packages -------------------------------------------------------------------------


def test_aws_native_bucket_on_a_foreign_aws_native_provider_is_denied() -> None:
    probe = findings(_native("aws-native:s3:Bucket", "exports", {}, region="eu-west-1"))
    assert ("UAE-RES-001", "uae-native") in probe and ("UAE-RES-003", "exports") in probe
    assert not {
        r for r in rules_on(_native("aws-native:s3:Bucket", "exports", {}), "exports") if r.startswith("UAE-RES")
    }
    assert not rules_on(_native("aws-native:s3:Bucket", "exports", {}), "uae-native")


def test_aws_native_security_group_open_on_ssh_is_denied() -> None:
    ingress = {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIp": "0.0.0.0/0"}
    assert ("UAE-NET-001", "web") in findings(
        _native("aws-native:ec2:SecurityGroup", "web", {"securityGroupIngress": [ingress]})
    )
    https = {**ingress, "fromPort": 443, "toPort": 443}
    assert "UAE-NET-001" not in rules_on(
        _native("aws-native:ec2:SecurityGroup", "web", {"securityGroupIngress": [https]}), "web"
    )


def test_unencrypted_aws_native_volume_is_denied() -> None:
    assert ("UAE-ENC-011", "scratch") in findings(_native("aws-native:ec2:Volume", "scratch", {"size": 100}))
    assert "UAE-ENC-011" not in rules_on(
        _native("aws-native:ec2:Volume", "scratch", {"size": 100, "encrypted": True}), "scratch"
    )


# -- secret and unknown values (ADR 0006) -------------------------------------------------------


def test_secret_cidr_on_ssh_cannot_be_verified() -> None:
    assert any("cannot be verified at preview time (secret)" in m
               for m in messages(_sg(_ssh(cidrBlocks=[SECRET])), "UAE-NET-001"))  # fmt: skip
    assert any("(secret)" in m for m in messages(_sg(_ssh(cidrBlocks=SECRET)), "UAE-NET-001"))


def test_unknown_cidr_on_ssh_cannot_be_verified_but_https_does_not_depend_on_it() -> None:
    assert any("(unknown)" in m for m in messages(_sg(_ssh(cidrBlocks=[UNKNOWN])), "UAE-NET-001"))
    https = {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": [UNKNOWN]}
    assert "UAE-NET-001" not in rules_on(_sg(https), "web")


def test_secret_wrapped_ingress_list_cannot_be_verified() -> None:
    document = doc(step("create", SG, "web", {"vpcId": UNKNOWN, "ingress": SECRET}))
    assert ("UAE-NET-001", "web") in findings(document)


@pytest.mark.parametrize("region", [SECRET, UNKNOWN, "EU-WEST-1", "Eu-West-1"])
def test_nested_replica_region_hidden_or_upper_case_is_denied(region: Any) -> None:
    document = doc(step("create", "aws:secretsmanager/secret:Secret", "db", {"replicas": [{"region": region}]}))
    assert ("UAE-RES-015", "db") in findings(document)


def test_nested_home_region_replica_is_allowed() -> None:
    document = doc(step("create", "aws:secretsmanager/secret:Secret", "db", {"replicas": [{"region": "me-central-1"}]}))
    assert "UAE-RES-015" not in rules_on(document, "db")


def test_secret_provider_region_cannot_be_verified() -> None:
    provider = PROVIDER.rsplit("::", 1)[0] + "::hidden"
    document = doc(
        _provider_step(provider, "aws", {"region": SECRET}),
        step("create", "aws:sqs/queue:Queue", "q", provider=provider),
    )
    assert any("cannot be verified at preview time (secret)" in m for m in messages(document, "UAE-RES-001"))


# -- providers named like the default one -------------------------------------------------------


def test_explicit_provider_named_default_eu_without_region_is_region_unknown() -> None:
    provider = PROVIDER.rsplit("::", 1)[0] + "::default-eu"
    document = doc(
        _provider_step(provider, "aws", {}), step("create", "aws:s3/bucket:Bucket", "lake", provider=provider)
    )
    probe = findings(document)
    assert ("UAE-RES-001", "default-eu") in probe and ("UAE-RES-003", "lake") in probe


# -- internet exposure as address ranges --------------------------------------------------------


@pytest.mark.parametrize(
    "sources",
    [
        {"cidrBlocks": ["0.0.0.0/1", "128.0.0.0/1"]},
        {"ipv6CidrBlocks": ["0::/0"]},
        {"cidrBlocks": ["0.0.0.1/0"]},
        {"cidrBlocks": ["64.0.0.0/9"]},
    ],
)
def test_ssh_from_the_internet_however_spelled_is_denied(sources: dict[str, Any]) -> None:
    assert ("UAE-NET-001", "web") in findings(_sg(_ssh(**sources)))


def test_ssh_from_an_office_address_is_allowed() -> None:
    assert "UAE-NET-001" not in rules_on(_sg(_ssh(cidrBlocks=["203.0.113.7/32"])), "web")


def test_default_security_group_open_on_ssh_is_denied() -> None:
    assert ("UAE-NET-001", "web") in findings(
        _sg(_ssh(cidrBlocks=["0.0.0.0/0"]), type_="aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    )


@pytest.mark.parametrize(
    ("type_", "inputs"),
    [
        ("aws:ec2/securityGroupRule:SecurityGroupRule",
         {"type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22, "ipv6CidrBlocks": ["::/1", "8000::/1"]}),
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
         {"ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"}),
        ("aws-native:ec2:SecurityGroupIngress",
         {"ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389, "cidrIpv6": "::/0"}),
    ],
)  # fmt: skip
def test_standalone_ingress_rules_from_the_internet_are_denied(type_: str, inputs: dict[str, Any]) -> None:
    assert ("UAE-NET-001", "rule") in findings(doc(step("create", type_, "rule", inputs)))


def test_network_acl_allowing_ssh_from_the_internet_is_denied() -> None:
    entry = {
        "protocol": "tcp",
        "fromPort": 22,
        "toPort": 22,
        "cidrBlock": "0.0.0.0/0",
        "action": "allow",
        "ruleNo": 100,
    }
    acl = doc(step("create", "aws:ec2/networkAcl:NetworkAcl", "public", {"vpcId": UNKNOWN, "ingress": [entry]}))
    assert ("UAE-NET-006", "public") in findings(acl)
    rule = doc(step("create", "aws:ec2/networkAclRule:NetworkAclRule", "all-in", {
        "networkAclId": UNKNOWN, "ruleNumber": 100, "egress": False, "protocol": "-1", "ruleAction": "allow",
        "cidrBlock": "0.0.0.0/1"}))  # fmt: skip
    assert ("UAE-NET-006", "all-in") in findings(rule)  # half the internet, all protocols
    rule["steps"][-1]["newState"]["inputs"]["cidrBlock"] = "10.0.0.0/8"
    assert "UAE-NET-006" not in rules_on(rule, "all-in")
    https = {**entry, "fromPort": 443, "toPort": 443}
    assert "UAE-NET-006" not in rules_on(
        doc(step("create", "aws:ec2/networkAcl:NetworkAcl", "public", {"ingress": [https]})), "public"
    )


def test_unencrypted_spot_instance_request_is_denied() -> None:
    spot = {"instanceType": "g6e.xlarge", "rootBlockDevice": {"volumeSize": 200}}
    assert ("UAE-ENC-011", "batch") in findings(
        doc(step("create", "aws:ec2/spotInstanceRequest:SpotInstanceRequest", "batch", spot))
    )
    spot["rootBlockDevice"]["encrypted"] = True
    assert "UAE-ENC-011" not in rules_on(
        doc(step("create", "aws:ec2/spotInstanceRequest:SpotInstanceRequest", "batch", spot)), "batch"
    )


# -- kubernetes objects take their cluster's region ---------------------------------------------


def _cluster_and_namespace(depends_on_cluster: bool, cluster_provider: str = PROVIDER) -> dict[str, Any]:
    k8s_provider = "urn:pulumi:prod::uae-ml-platform::pulumi:providers:kubernetes::eks"
    cluster = step(
        "create", "aws:eks/cluster:Cluster", "ml", {"name": "ml", "roleArn": UNKNOWN}, provider=cluster_provider
    )
    provider = _provider_step(k8s_provider, "kubernetes", {"kubeconfig": UNKNOWN})
    if depends_on_cluster:
        provider["newState"]["dependencies"] = [urn("aws:eks/cluster:Cluster", "ml")]
        provider["newState"]["propertyDependencies"] = {"kubeconfig": [urn("aws:eks/cluster:Cluster", "ml")]}
    namespace = step("create", "kubernetes:core/v1:Namespace", "features", {"metadata": {"name": "features"}},
                     provider=k8s_provider)  # fmt: skip
    return doc(cluster, provider, namespace)


def test_kubernetes_objects_on_the_home_cluster_are_placed_there() -> None:
    document = _cluster_and_namespace(depends_on_cluster=True)
    namespace = normalize(document)["resources"][-1]
    assert (namespace["region"], namespace["region_source"]) == ("me-central-1", "cluster")
    assert not any(rule == "UAE-RES-016" for rule, _ in findings(document))


def test_kubernetes_objects_on_a_cluster_the_preview_does_not_show_are_denied() -> None:
    document = _cluster_and_namespace(depends_on_cluster=False)
    namespace = normalize(document)["resources"][-1]
    assert (namespace["region"], namespace["region_source"]) == (None, "unknown")
    assert ("UAE-RES-016", "eks") in findings(document)


def test_kubernetes_objects_on_a_foreign_cluster_are_denied() -> None:
    foreign = PROVIDER.rsplit("::", 1)[0] + "::eu"
    document = _cluster_and_namespace(depends_on_cluster=True, cluster_provider=foreign)
    document["steps"].insert(2, _provider_step(foreign, "aws", {"region": "eu-west-1"}))
    assert any("eu-west-1" in m for m in messages(document, "UAE-RES-016"))


def test_probe_documents_are_plain_json() -> None:
    assert json.loads(json.dumps(_cluster_and_namespace(True)))["steps"]


# -- platformctl residency ----------------------------------------------------------------------


def _residency(document: dict[str, Any]) -> dict[str, Any]:
    from platformctl.commands import residency_report

    normalized = normalize(document)
    return residency_report(normalized, _engine().evaluate(normalized))


def test_residency_never_calls_an_unknown_or_foreign_region_resident() -> None:
    assert _residency(_cluster_and_namespace(depends_on_cluster=True))["resident"] is True
    unknown = _residency(_cluster_and_namespace(depends_on_cluster=False))
    assert unknown["resident"] is False
    assert {"kubernetes:core/v1:Namespace": None}.items() <= {
        r["type"]: r["region"] for r in unknown["resources"]
    }.items()
    native = _residency(_native("aws-native:s3:Bucket", "exports", {}, region="eu-west-1"))
    assert native["resident"] is False
    assert [r["region"] for r in native["resources"]] == ["eu-west-1"]


def test_a_cluster_of_another_stack_is_placed_by_reviewed_config_only() -> None:
    document = _cluster_and_namespace(depends_on_cluster=False)
    document["config"]["uae-ml-platform:kubernetesClusterRegion"] = "me-central-1"
    namespace = normalize(document)["resources"][-1]
    assert (namespace["region"], namespace["region_source"]) == ("me-central-1", "config")
    assert not any(rule == "UAE-RES-016" for rule, _ in findings(document))
    document["config"]["uae-ml-platform:kubernetesClusterRegion"] = "eu-west-1"
    assert ("UAE-RES-016", "eks") in findings(document)
    document["config"]["uae-ml-platform:kubernetesClusterRegion"] = SECRET
    assert ("UAE-RES-016", "eks") in findings(document)


# -- other AWS settings hidden in secrets or unknown (ADR 0006) ---------------------------------


@pytest.mark.parametrize(
    ("type_", "inputs", "rule"),
    [
        ("aws:rds/instance:Instance", {"publiclyAccessible": SECRET, "storageEncrypted": True}, "UAE-NET-005"),
        ("aws:kms/key:Key", {"multiRegion": SECRET, "enableKeyRotation": True}, "UAE-RES-007"),
        ("aws:kms/key:Key", {"multiRegion": "true", "enableKeyRotation": True}, "UAE-RES-007"),
        ("aws:msk/cluster:Cluster", {"clientAuthentication": SECRET}, "UAE-IAM-004"),
        ("aws:msk/cluster:Cluster", {"clientAuthentication": {"unauthenticated": UNKNOWN}}, "UAE-IAM-004"),
        ("aws:eks/cluster:Cluster", {"vpcConfig": SECRET}, "UAE-NET-004"),
    ],
)
def test_hidden_security_settings_are_denied(type_: str, inputs: dict[str, Any], rule: str) -> None:
    assert rule in rules_on(doc(step("create", type_, "x", inputs)), "x")


@pytest.mark.parametrize(
    ("cidrs", "denied"),
    [(["0::/0"], True), (["0.0.0.0/1", "128.0.0.0/1"], True), ([SECRET], True), (["203.0.113.0/24"], False)],
)
def test_dev_eks_public_endpoint_sources_are_ranges(cidrs: list[Any], denied: bool) -> None:
    cluster = {"roleArn": UNKNOWN, "vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": cidrs}}
    document = json.loads(
        json.dumps(doc(step("create", "aws:eks/cluster:Cluster", "ml", cluster))).replace(":prod:", ":dev:")
    )
    document["config"]["uae-ml-platform:environment"] = "dev"
    assert ("UAE-NET-004" in rules_on(document, "ml")) is denied
