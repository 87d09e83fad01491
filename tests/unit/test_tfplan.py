"""Translation of the normalized gate input into Terraform plan JSON and Kubernetes manifests."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from platformctl.gate.input import k8s_manifests
from platformctl.gate.input.tfplan import (
    UNKNOWN,
    attribute_name,
    build_plan,
    convert_object,
    snake_case,
    terraform_type,
)
from tests.builders import STACK, aws_resource


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("aws:s3/bucket:Bucket", "aws_s3_bucket"),
        ("aws:s3/bucketV2:BucketV2", "aws_s3_bucket"),
        ("aws:s3/bucketVersioningV2:BucketVersioningV2", "aws_s3_bucket_versioning"),
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws_s3_bucket_server_side_encryption_configuration",
        ),
        ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws_s3_bucket_public_access_block"),
        ("aws:eks/nodeGroup:NodeGroup", "aws_eks_node_group"),
        ("aws:eks/cluster:Cluster", "aws_eks_cluster"),
        ("aws:ec2/vpc:Vpc", "aws_vpc"),
        ("aws:ec2/flowLog:FlowLog", "aws_flow_log"),
        ("aws:ec2/securityGroup:SecurityGroup", "aws_security_group"),
        ("aws:ec2/launchTemplate:LaunchTemplate", "aws_launch_template"),
        ("aws:ec2/tag:Tag", "aws_ec2_tag"),
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws_vpc_security_group_ingress_rule"),
        ("aws:rds/instance:Instance", "aws_db_instance"),
        ("aws:rds/cluster:Cluster", "aws_rds_cluster"),
        ("aws:msk/cluster:Cluster", "aws_msk_cluster"),
        ("aws:elasticache/replicationGroup:ReplicationGroup", "aws_elasticache_replication_group"),
        ("aws:cloudwatch/logGroup:LogGroup", "aws_cloudwatch_log_group"),
        ("aws:kms/key:Key", "aws_kms_key"),
        ("aws:cloudtrail/trail:Trail", "aws_cloudtrail"),
        ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws_iam_role_policy_attachment"),
        ("aws:ecr/repository:Repository", "aws_ecr_repository"),
        ("aws:ebs/encryptionByDefault:EncryptionByDefault", "aws_ebs_encryption_by_default"),
        ("aws:cfg/recorder:Recorder", "aws_config_configuration_recorder"),
        ("aws:apigateway/restApi:RestApi", "aws_api_gateway_rest_api"),
        ("aws:lb/loadBalancer:LoadBalancer", "aws_lb"),
        ("aws:amp/workspace:Workspace", "aws_prometheus_workspace"),
        ("kubernetes:apps/v1:Deployment", None),
        ("pulumi:providers:aws", None),
        ("aws:s3/bucket", None),
    ],
)
def test_terraform_type(token: str, expected: str | None) -> None:
    assert terraform_type(token) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("enabledClusterLogTypes", "enabled_cluster_log_types"),
        ("ipv6CidrBlock", "ipv6_cidr_block"),
        ("s3BucketName", "s3_bucket_name"),
        ("kmsMasterKeyId", "kms_master_key_id"),
        ("httpTokens", "http_tokens"),
        ("region", "region"),
    ],
)
def test_snake_case(name: str, expected: str) -> None:
    assert snake_case(name) == expected


def test_repeated_blocks_get_their_singular_terraform_name() -> None:
    assert attribute_name("rules", [{"id": "a"}]) == "rule"
    assert attribute_name("blockDeviceMappings", [{"deviceName": "/dev/xvda"}]) == "block_device_mapping"
    assert attribute_name("inlinePolicies", [{"name": "p"}]) == "inline_policy"
    assert attribute_name("subnetIds", ["subnet-1"]) == "subnet_ids"
    assert attribute_name("ingress", [{"fromPort": 22}]) == "ingress"


def test_nested_objects_become_single_element_blocks_and_maps_stay_maps() -> None:
    values, unknown = convert_object(
        {
            "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS", "inCluster": True}},
            "tags": {"Data-Classification": "confidential", "costCenter": UNKNOWN},
            "instanceTypes": ["g6e.12xlarge"],
        }
    )
    assert values["encryption_info"] == [{"encryption_in_transit": [{"client_broker": "TLS", "in_cluster": True}]}]
    assert values["tags"] == {"Data-Classification": "confidential"}
    assert unknown == {"tags": {"costCenter": True}}
    assert values["instance_types"] == ["g6e.12xlarge"]


def test_unknown_values_are_absent_and_listed_in_after_unknown() -> None:
    values, unknown = convert_object(
        {
            "bucket": UNKNOWN,
            "vpcConfig": {"subnetIds": [UNKNOWN], "endpointPrivateAccess": True},
            "authToken": "[secret]",
        }
    )
    assert values == {"vpc_config": [{"endpoint_private_access": True}], "auth_token": "[secret]"}
    assert unknown == {"bucket": True, "vpc_config": [{"subnet_ids": True}]}


def test_policy_documents_are_json_strings() -> None:
    values, _ = convert_object({"policy": {"Version": "2012-10-17", "Statement": []}})
    assert values["policy"] == '{"Statement": [], "Version": "2012-10-17"}'


@given(
    st.recursive(
        st.one_of(st.just(UNKNOWN), st.text(max_size=5), st.integers(), st.booleans()),
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(st.from_regex(r"[a-z][a-zA-Z0-9]{0,8}", fullmatch=True), children, max_size=3),
        ),
        max_leaves=12,
    )
)
def test_no_unknown_sentinel_survives_conversion(value: Any) -> None:
    values, _ = convert_object({"root": value})
    assert UNKNOWN not in repr(values)


def test_plan_document_shape_and_references() -> None:
    bucket = aws_resource(
        "aws:s3/bucket:Bucket", "offline-store", {"bucketPrefix": "offline-store-", "tags": {"a": "b"}}
    )
    sse = aws_resource(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "offline-store",
        {"bucket": UNKNOWN, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]},
        property_dependencies={"bucket": [bucket["urn"]]},
    )
    plan = build_plan({"resources": [bucket, sse]})
    doc = plan.document
    assert doc["format_version"] and doc["terraform_version"]
    planned = {r["address"]: r for r in doc["planned_values"]["root_module"]["resources"]}
    sse_address = "aws_s3_bucket_server_side_encryption_configuration.offline-store"
    assert set(planned) == {"aws_s3_bucket.offline-store", sse_address}
    assert planned[sse_address]["mode"] == "managed"
    assert planned[sse_address]["values"]["rule"][0]["apply_server_side_encryption_by_default"] == [
        {"sse_algorithm": "aws:kms"}
    ]
    assert planned["aws_s3_bucket.offline-store"]["values"]["tags_all"] == {"owner": "platform"}
    change = next(c for c in doc["resource_changes"] if c["address"] == sse_address)["change"]
    assert change["actions"] == ["create"] and change["before"] is None and change["after_unknown"] == {"bucket": True}
    conf = next(c for c in doc["configuration"]["root_module"]["resources"] if c["address"] == sse_address)
    assert conf["expressions"] == {
        "bucket": {"references": ["aws_s3_bucket.offline-store.id", "aws_s3_bucket.offline-store"]}
    }
    assert plan.address_to_urn[sse_address] == sse["urn"]


def test_replace_and_update_carry_before_state() -> None:
    key = aws_resource(
        "aws:kms/key:Key", "k", {"enableKeyRotation": True}, op="replace", old_inputs={"enableKeyRotation": False}
    )
    change = build_plan({"resources": [key]}).document["resource_changes"][0]["change"]
    assert change["actions"] == ["delete", "create"]
    assert change["before"] == {"enable_key_rotation": False} and change["after"] == {"enable_key_rotation": True}


def test_duplicate_names_get_distinct_addresses() -> None:
    first = aws_resource("aws:s3/bucket:Bucket", "data", {}, urn=f"{STACK}uae:data:Lake$aws:s3/bucket:Bucket::data")
    second = aws_resource("aws:s3/bucket:Bucket", "data", {}, urn=f"{STACK}uae:data:Other$aws:s3/bucket:Bucket::data")
    plan = build_plan({"resources": [first, second]})
    assert len(set(plan.address_to_urn)) == 2
    assert set(plan.address_to_urn.values()) == {first["urn"], second["urn"]}


def test_unmapped_resources_are_reported_with_a_reason() -> None:
    resources = [
        {
            "urn": f"{STACK}pulumi:pulumi:Stack::s",
            "type": "pulumi:pulumi:Stack",
            "package": "pulumi",
            "custom": False,
            "op": "create",
        },
        {
            "urn": f"{STACK}uae:data:Lake::lake",
            "type": "uae:data:Lake",
            "package": "uae",
            "custom": False,
            "op": "create",
        },
        {
            "urn": f"{STACK}kubernetes:core/v1:Namespace::ml",
            "type": "kubernetes:core/v1:Namespace",
            "package": "kubernetes",
            "custom": True,
            "op": "create",
        },
        aws_resource("aws:s3/bucket:Bucket", "gone", {}, op="delete"),
        aws_resource("aws:weird", "odd", {}),
    ]
    plan = build_plan({"resources": resources})
    assert plan.document["planned_values"]["root_module"]["resources"] == []
    assert [u.urn for u in plan.unmapped] == [r["urn"] for r in resources]
    assert all(u.reason for u in plan.unmapped)


def test_k8s_manifest_gets_api_version_kind_and_name_from_the_token() -> None:
    resource = {
        "urn": f"{STACK}kubernetes:apps/v1:Deployment::api",
        "name": "api",
        "type": "kubernetes:apps/v1:Deployment",
        "package": "kubernetes",
        "custom": True,
        "op": "create",
        "inputs": {"metadata": {"namespace": "serving"}, "spec": {"replicas": 2, "selector": UNKNOWN}},
    }
    (manifest,) = k8s_manifests.render_all({"resources": [resource]})
    assert manifest.urn == resource["urn"]
    assert manifest.manifest == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"namespace": "serving", "name": "api"},
        "spec": {"replicas": 2},
    }


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("kubernetes:core/v1:ServiceAccount", ("v1", "ServiceAccount")),
        ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", ("rbac.authorization.k8s.io/v1", "ClusterRole")),
        ("kubernetes:serving.kserve.io/v1beta1:InferenceService", ("serving.kserve.io/v1beta1", "InferenceService")),
        ("kubernetes:helm.sh/v3:Release", None),
        ("kubernetes:yaml:ConfigFile", None),
    ],
)
def test_k8s_api_version_and_kind(token: str, expected: tuple[str, str] | None) -> None:
    assert k8s_manifests.api_version_and_kind(token) == expected
