"""Security-relevant inputs of every component, checked on the real program under Pulumi mocks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.components.cluster import ADDON_VERSIONS, UnpinnedAddonVersionError, addon_versions
from infra.components.network import carve_subnets
from infra.config import GPU_FAMILIES, instance_family

from .conftest import ACCOUNT_ID, OIDC_ISSUER

STACKS = ("dev", "staging", "prod")
ADMIN = "arn:aws:iam::123456789012:role/platform-admins"


def key_arn(domain: str) -> str:
    return f"arn:aws:mock:me-central-1:{ACCOUNT_ID}:keys-{domain}"


def policy(value: Any) -> dict:
    return json.loads(value) if isinstance(value, str) else value


@pytest.fixture(params=STACKS)
def synth(request, infra_mocks):
    return infra_mocks(request.param)


# --- providers and region ---------------------------------------------------------------------


def test_every_aws_resource_uses_the_explicit_uae_provider(synth):
    aws_resources = [r for r in synth.resources if r.typ.startswith("aws:")]
    assert len(aws_resources) >= 40
    stray = [
        (r.typ, r.name, r.provider) for r in aws_resources if "pulumi:providers:aws::uae::" not in (r.provider or "")
    ]
    assert stray == []


def test_the_provider_is_pinned_to_the_uae_and_no_resource_overrides_the_region(synth):
    provider = synth.one("pulumi:providers:aws", "uae")
    assert provider.inputs["region"] == "me-central-1"
    assert provider.inputs.get("stsRegion") == "me-central-1"
    assert [r.name for r in synth.resources if "region" in r.inputs and r.typ.startswith("aws:")] == []


def test_the_prod_stack_has_the_resources_the_gate_expects(infra_mocks):
    prod = infra_mocks("prod")
    assert len([r for r in prod.resources if r.typ.startswith("aws:")]) >= 40
    for typ, count in {
        "aws:eks/cluster:Cluster": 1,
        "aws:eks/nodeGroup:NodeGroup": 3,
        "aws:ec2/vpc:Vpc": 1,
        "aws:ec2/flowLog:FlowLog": 1,
        "aws:cloudtrail/trail:Trail": 1,
    }.items():
        assert len(prod.of_type(typ)) == count, typ
    assert prod.of_type("aws:kms/key:Key")


def test_the_program_also_runs_in_preview_mode_with_unknown_outputs(infra_mocks):
    assert len(infra_mocks("prod", preview=True).of_type("aws:eks/nodeGroup:NodeGroup")) == 3


# --- network ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "nat_count"), [("dev", 1), ("staging", 1), ("prod", 3)])
def test_nat_gateways_follow_the_configured_mode(infra_mocks, stack, nat_count):
    synth = infra_mocks(stack)
    assert len(synth.of_type("aws:ec2/natGateway:NatGateway")) == nat_count
    assert len(synth.of_type("aws:ec2/eip:Eip")) == nat_count
    private_routes = [r for r in synth.of_type("aws:ec2/route:Route") if "natGatewayId" in r.inputs]
    assert len(private_routes) == len(synth.cfg.network.availability_zones)
    assert len({r.inputs["natGatewayId"] for r in private_routes}) == nat_count


def test_every_vpc_has_a_flow_log_of_all_traffic_to_an_encrypted_log_group(synth):
    vpc = synth.one("aws:ec2/vpc:Vpc")
    flow_log = synth.one("aws:ec2/flowLog:FlowLog")
    assert flow_log.inputs["vpcId"] == f"{vpc.name}-id"
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    group = synth.one("aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    assert group.inputs["kmsKeyId"] == key_arn("logs")
    assert group.inputs["retentionInDays"] == (365 if synth.cfg.is_prod else 90)
    assert flow_log.inputs["logDestination"] == f"arn:aws:mock:me-central-1:{ACCOUNT_ID}:network-flow-logs"


def test_flow_log_role_is_trusted_by_flow_logs_only_and_writes_only_its_log_group(synth):
    role = synth.one("aws:iam/role:Role", "network-flow-logs")
    trust = policy(role.inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "vpc-flow-logs.amazonaws.com"}]
    inline = policy(synth.one("aws:iam/rolePolicy:RolePolicy", "network-flow-logs").inputs["policy"])["Statement"]
    assert len(inline) == 1
    assert sorted(inline[0]["Action"]) == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    group = f"arn:aws:logs:me-central-1:{ACCOUNT_ID}:log-group:/aws/vpc/network/flow-logs"
    assert inline[0]["Resource"] == [group, f"{group}:*"]


def test_subnets_are_private_by_default_and_carved_inside_the_vpc(synth):
    subnets = synth.of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 2 * len(synth.cfg.network.availability_zones)
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)
    assert {s.inputs["availabilityZone"] for s in subnets} == set(synth.cfg.network.availability_zones)
    private, public = carve_subnets("10.42.0.0/16", 3)
    assert private == ["10.42.0.0/19", "10.42.32.0/19", "10.42.64.0/19"]
    assert public == ["10.42.96.0/21", "10.42.104.0/21", "10.42.112.0/21"]


def test_no_security_group_admits_the_internet_and_the_default_group_is_empty(synth):
    for group in synth.of_type("aws:ec2/securityGroup:SecurityGroup"):
        for rule in group.inputs.get("ingress", []):
            assert "0.0.0.0/0" not in rule.get("cidrBlocks", [])
            assert "::/0" not in rule.get("ipv6CidrBlocks", [])
    endpoints_sg = synth.one("aws:ec2/securityGroup:SecurityGroup", "network-endpoints")
    [rule] = endpoints_sg.inputs["ingress"]
    assert (rule["fromPort"], rule["toPort"], rule["cidrBlocks"]) == (443, 443, [synth.cfg.network.cidr])
    default = synth.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default.inputs.get("ingress", []) == [] and default.inputs.get("egress", []) == []


def test_vpc_endpoints_are_regional_and_private(synth):
    endpoints = {r.inputs["serviceName"]: r for r in synth.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    expected = {f"com.amazonaws.me-central-1.{s}" for s in ("s3", "ecr.api", "ecr.dkr", "sts", "logs", "kms")}
    assert set(endpoints) == expected
    assert endpoints["com.amazonaws.me-central-1.s3"].inputs["vpcEndpointType"] == "Gateway"
    for name, endpoint in endpoints.items():
        if not name.endswith(".s3"):
            assert endpoint.inputs["vpcEndpointType"] == "Interface"
            assert endpoint.inputs["privateDnsEnabled"] is True
            assert all("private" in subnet for subnet in endpoint.inputs["subnetIds"])


# --- keys -------------------------------------------------------------------------------------


def test_kms_keys_rotate_stay_in_region_and_have_an_alias(synth):
    keys = synth.of_type("aws:kms/key:Key")
    assert {"keys-cluster-secrets", "keys-data-lake", "keys-streaming", "keys-logs"} <= {k.name for k in keys}
    for key in keys:
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["multiRegion"] is False
        assert key.inputs["deletionWindowInDays"] == 30
    assert len(synth.of_type("aws:kms/alias:Alias")) == len(keys)
    assert synth.of_type("aws:kms/replicaKey:ReplicaKey") == []


def test_logs_key_lets_cloudwatch_logs_use_it_only_for_this_accounts_log_groups(synth):
    statements = policy(synth.one("aws:kms/key:Key", "keys-logs").inputs["policy"])["Statement"]
    [logs] = [s for s in statements if s["Principal"] == {"Service": "logs.me-central-1.amazonaws.com"}]
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        f"arn:aws:logs:me-central-1:{ACCOUNT_ID}:log-group:*"
    )
    root = statements[0]
    assert root["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}


# --- cluster ----------------------------------------------------------------------------------


def test_eks_endpoint_is_private_and_never_open_to_the_internet(synth):
    vpc_config = synth.one("aws:eks/cluster:Cluster").inputs["vpcConfig"]
    assert vpc_config["endpointPrivateAccess"] is True
    cidrs = vpc_config.get("publicAccessCidrs", [])
    assert "0.0.0.0/0" not in cidrs
    if synth.cfg.environment == "dev":
        assert vpc_config["endpointPublicAccess"] is True and cidrs == ["203.0.113.0/24"]
    else:
        assert vpc_config["endpointPublicAccess"] is False and cidrs == []
    assert all("private" in subnet for subnet in vpc_config["subnetIds"])


def test_eks_logs_everything_encrypts_secrets_and_uses_access_entries(synth):
    cluster = synth.one("aws:eks/cluster:Cluster").inputs
    assert cluster["enabledClusterLogTypes"] == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    assert cluster["encryptionConfig"] == {"resources": ["secrets"], "provider": {"keyArn": key_arn("cluster-secrets")}}
    assert cluster["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    group = synth.one("aws:cloudwatch/logGroup:LogGroup", "cluster-control-plane").inputs
    assert group["name"] == f"/aws/eks/{cluster['name']}/cluster"
    assert group["kmsKeyId"] == key_arn("logs")


def test_admin_roles_get_access_entries_with_cluster_admin(infra_mocks):
    synth = infra_mocks("staging", {"uae-ml-platform:cluster.adminRoleArns": [ADMIN]})
    [entry] = synth.of_type("aws:eks/accessEntry:AccessEntry")
    [association] = synth.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert entry.inputs["principalArn"] == association.inputs["principalArn"] == ADMIN
    assert association.inputs["policyArn"].endswith(":cluster-access-policy/AmazonEKSClusterAdminPolicy")
    assert association.inputs["accessScope"] == {"type": "cluster"}
    assert (
        infra_mocks("staging", {"uae-ml-platform:cluster.adminRoleArns": []}).of_type("aws:eks/accessEntry:AccessEntry")
        == []
    )


def test_addons_are_pinned_and_ebs_csi_trusts_only_its_service_account(synth):
    pinned = ADDON_VERSIONS[synth.cfg.cluster.kubernetes_version]
    addons = {r.inputs["addonName"]: r.inputs for r in synth.of_type("aws:eks/addon:Addon")}
    assert set(addons) == {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver"}
    assert {name: a["addonVersion"] for name, a in addons.items()} == pinned
    assert addons["aws-ebs-csi-driver"]["serviceAccountRoleArn"].endswith(":addons-ebs-csi")
    oidc = synth.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").inputs
    assert oidc["url"] == OIDC_ISSUER and oidc["clientIdLists"] == ["sts.amazonaws.com"]
    [trust] = policy(synth.one("aws:iam/role:Role", "addons-ebs-csi").inputs["assumeRolePolicy"])["Statement"]
    host = OIDC_ISSUER.removeprefix("https://")
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"]["StringEquals"] == {
        f"{host}:sub": "system:serviceaccount:kube-system:ebs-csi-controller-sa",
        f"{host}:aud": "sts.amazonaws.com",
    }


def test_an_unpinned_kubernetes_version_is_refused():
    with pytest.raises(UnpinnedAddonVersionError, match="ADDON_VERSIONS"):
        addon_versions("1.99")


# --- node pools -------------------------------------------------------------------------------


def test_every_launch_template_requires_imdsv2_and_encrypts_the_root_volume(synth):
    templates = synth.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert len(templates) == 3
    for template in templates:
        metadata = template.inputs["metadataOptions"]
        assert metadata["httpTokens"] == "required"
        assert metadata["httpPutResponseHopLimit"] == 1
        assert metadata["httpEndpoint"] == "enabled"
        [root] = template.inputs["blockDeviceMappings"]
        assert root["ebs"]["encrypted"] == "true"
        assert root["ebs"]["volumeType"] == "gp3"
        assert root["ebs"]["kmsKeyId"] == key_arn("node-volumes")


def test_node_groups_use_their_launch_templates_in_private_subnets(synth):
    for group in synth.of_type("aws:eks/nodeGroup:NodeGroup"):
        assert group.inputs["launchTemplate"] == {"id": f"{group.name}-id", "version": "1"}
        assert all("private" in subnet for subnet in group.inputs["subnetIds"])
        assert group.inputs["updateConfig"] == {"maxUnavailable": 1}


def test_the_gpu_pool_is_tainted_labelled_scales_to_zero_and_uses_approved_families(synth):
    gpu = synth.one("aws:eks/nodeGroup:NodeGroup", "nodepools-gputraining").inputs
    assert gpu["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    assert gpu["labels"]["nvidia.com/gpu.present"] == "true"
    assert gpu["labels"]["platform.uae/accelerator"] == "nvidia"
    assert gpu["amiType"] == "AL2023_x86_64_NVIDIA"
    assert gpu["scalingConfig"]["minSize"] == 0
    assert {instance_family(t) for t in gpu["instanceTypes"]} <= GPU_FAMILIES
    assert gpu["tags"]["k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"] == "true:NoSchedule"
    assert gpu["tags"][f"k8s.io/cluster-autoscaler/uae-ml-{synth.cfg.environment}"] == "owned"
    assert gpu["tags"]["k8s.io/cluster-autoscaler/enabled"] == "true"
    asg_tags = {t.inputs["tag"]["key"]: t.inputs for t in synth.of_type("aws:autoscaling/tag:Tag")}
    assert asg_tags["k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"]["autoscalingGroupName"] == (
        "nodepools-gputraining-asg"
    )


def test_cpu_pools_are_untainted_and_use_the_standard_ami(synth):
    for name in ("nodepools-system", "nodepools-cpuinference"):
        group = synth.one("aws:eks/nodeGroup:NodeGroup", name).inputs
        assert group.get("taints", []) == []
        assert group["amiType"] == "AL2023_x86_64_STANDARD"


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        ("dev", {"system": "ON_DEMAND", "cpuinference": "SPOT", "gputraining": "SPOT"}),
        ("staging", {"system": "ON_DEMAND", "cpuinference": "SPOT", "gputraining": "SPOT"}),
        ("prod", {"system": "ON_DEMAND", "cpuinference": "ON_DEMAND", "gputraining": "ON_DEMAND"}),
    ],
)
def test_spot_capacity_follows_each_environment(infra_mocks, stack, expected):
    groups = infra_mocks(stack).of_type("aws:eks/nodeGroup:NodeGroup")
    assert {g.name.removeprefix("nodepools-"): g.inputs["capacityType"] for g in groups} == expected


# --- registry ---------------------------------------------------------------------------------


def test_ecr_repositories_are_immutable_scanned_kms_encrypted_and_never_replicated(synth):
    repositories = synth.of_type("aws:ecr/repository:Repository")
    own = [r for r in repositories if r.name.startswith("registry-")]  # mirror-*: test_platform_services
    assert {r.name.removeprefix("registry-") for r in own} == {
        "training",
        "serving",
        "streaming",
        "monitoring",
        "features",
    }
    for repository in repositories:
        assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repository.inputs["encryptionConfigurations"] == [
            {"encryptionType": "KMS", "kmsKey": key_arn("registry")}
        ]
    assert len(synth.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")) == len(repositories)
    assert synth.of_type("aws:ecr/replicationConfiguration:ReplicationConfiguration") == []


# --- audit ------------------------------------------------------------------------------------


def test_the_trail_is_in_region_validated_and_kms_encrypted(synth):
    trail = synth.one("aws:cloudtrail/trail:Trail").inputs
    assert trail["enableLogFileValidation"] is True
    assert trail["isMultiRegionTrail"] is False
    assert trail["kmsKeyId"] == key_arn("logs")
    assert trail["s3BucketName"] == "audit-trail-id"


def test_the_trail_bucket_is_kms_encrypted_versioned_private_and_tls_only(synth):
    [rule] = synth.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "audit-trail"
    ).inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn("logs")}
    assert rule["bucketKeyEnabled"] is True
    versioning = synth.one("aws:s3/bucketVersioning:BucketVersioning", "audit-trail").inputs
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    block = synth.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "audit-trail").inputs
    assert all(
        block[flag] is True
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    ownership = synth.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "audit-trail").inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    statements = {
        s["Sid"]: s
        for s in policy(synth.one("aws:s3/bucketPolicy:BucketPolicy", "audit-trail").inputs["policy"])["Statement"]
    }
    trail_arn = f"arn:aws:cloudtrail:me-central-1:{ACCOUNT_ID}:trail/uae-ml-{synth.cfg.environment}-audit"
    assert statements["CloudTrailWrite"]["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert synth.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig") == []


def test_guardduty_watches_eks_audit_logs_and_runtime(synth):
    assert synth.one("aws:guardduty/detector:Detector").inputs["enable"] is True
    features = {f.inputs["name"]: f.inputs for f in synth.of_type("aws:guardduty/detectorFeature:DetectorFeature")}
    assert {name: f["status"] for name, f in features.items()} == {
        "EKS_AUDIT_LOGS": "ENABLED",
        "RUNTIME_MONITORING": "ENABLED",
    }


# --- IAM and protection -----------------------------------------------------------------------


def test_no_iam_policy_allows_every_action_on_every_resource(synth):
    documents = [r.inputs["policy"] for r in synth.of_type("aws:iam/rolePolicy:RolePolicy")]
    documents += [r.inputs["assumeRolePolicy"] for r in synth.of_type("aws:iam/role:Role")]
    for document in documents:
        for statement in policy(document)["Statement"]:
            actions = statement.get("Action")
            actions = [actions] if isinstance(actions, str) else actions
            assert not ("*" in actions and statement.get("Resource") in ("*", ["*"])), statement


@pytest.mark.parametrize("stack", STACKS)
def test_stateful_resources_are_protected_in_prod_only(infra_mocks, stack):
    synth = infra_mocks(stack)
    stateful = [
        *synth.of_type("aws:kms/key:Key"),
        *synth.of_type("aws:s3/bucket:Bucket"),
        *synth.of_type("aws:eks/cluster:Cluster"),
        *synth.of_type("aws:cloudwatch/logGroup:LogGroup"),
        *synth.of_type("aws:ecr/repository:Repository"),
    ]
    assert len(stateful) >= 15
    assert {r.protect for r in stateful} == {stack == "prod"}
    assert synth.one("aws:eks/cluster:Cluster").inputs["deletionProtection"] is (stack == "prod")
    assert not any(r.protect for r in synth.of_type("aws:eks/nodeGroup:NodeGroup"))
