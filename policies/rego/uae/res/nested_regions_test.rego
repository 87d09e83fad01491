package uae.res.nested_regions_test

import data.lib.fixtures_test as fx
import data.uae.res.nested_regions

_secret(replicas) := fx.aws("aws:secretsmanager/secret:Secret", "db", {"name": "db", "replicas": replicas})

test_uae_res_015_allows_in_region_settings_and_policy_conditions if {
	peering := fx.aws("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "peer", {
		"peerRegion": "me-central-1",
		"vpcId": "vpc-1",
	})
	policy := fx.aws("aws:iam/policy:Policy", "region-lock", {"policy": json.marshal({"Statement": [{
		"Effect": "Deny", "Action": "*", "Resource": "*",
		"Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
	}]})})
	tagged := fx.aws("aws:s3/bucket:Bucket", "lake", {"tags": {"region": "eu-west-1"}})
	count(nested_regions.deny) == 0 with input as fx.prod([_secret([{"region": "me-central-1"}]), peering, policy, tagged])
}

test_uae_res_015_denies_secret_replica_abroad if {
	secret := _secret([{"region": "eu-west-1", "kmsKeyId": "k"}])
	findings := nested_regions.deny with input as fx.prod([secret])
	{f.urn | some f in findings} == {secret.urn}
}

test_uae_res_015_denies_cross_region_peering if {
	peering := fx.aws("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "peer", {
		"peerRegion": "me-south-1",
		"vpcId": "vpc-1",
	})
	count(nested_regions.deny) == 1 with input as fx.prod([peering])
}

test_uae_res_015_denies_region_lists if {
	r := fx.aws("aws:ssm/resourceDataSync:ResourceDataSync", "sync", {
		"s3Destination": {"bucketName": "b", "region": "me-central-1"},
		"sourceRegions": ["me-central-1", "us-east-1"],
	})
	count(nested_regions.deny) == 1 with input as fx.prod([r])
}

test_uae_res_015_denies_multi_region_constructs if {
	global := fx.aws("aws:rds/globalCluster:GlobalCluster", "registry", {
		"globalClusterIdentifier": "registry",
		"engine": "aurora-postgresql",
	})
	findings := nested_regions.deny with input as fx.prod([global])
	{f.urn | some f in findings} == {global.urn}
}

test_uae_res_015_denies_upper_case_replica_region if {
	secret := _secret([{"region": "EU-WEST-1"}])
	f_findings := nested_regions.deny with input as fx.prod([secret])
	some f in f_findings
	contains(f.message, "EU-WEST-1")
}

test_uae_res_015_denies_secret_or_unknown_replica_region if {
	hidden := _secret([{"region": fx.secret}])
	computed := _secret([{"region": fx.unknown}])
	f_findings := nested_regions.deny with input as fx.prod([hidden])
	g_findings := nested_regions.deny with input as fx.prod([computed])
	some f in f_findings
	contains(f.message, "cannot be verified at preview time (secret)")
	some g in g_findings
	contains(g.message, "cannot be verified at preview time (unknown)")
}

test_uae_res_015_denies_aws_native_replica_abroad if {
	table := object.union(
		fx.aws("aws-native:dynamodb:GlobalTable", "features", {
			"replicas": [{"region": "me-central-1"}, {"region": "eu-west-1"}],
		}),
		{"package": "aws-native"},
	)
	count(nested_regions.deny) == 1 with input as fx.prod([table])
}
