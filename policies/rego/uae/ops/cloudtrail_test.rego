package uae.ops.cloudtrail_test

import data.lib.fixtures_test as fx
import data.uae.ops.cloudtrail

_trail(inputs) := fx.aws(
	"aws:cloudtrail/trail:Trail",
	"org",
	object.union({"s3BucketName": fx.unknown, "isMultiRegionTrail": false}, inputs),
)

test_uae_ops_003_allows_validated_encrypted_trail if {
	count(cloudtrail.deny) == 0 with input as fx.prod([
		_trail({"enableLogFileValidation": true, "kmsKeyId": fx.unknown}),
	])
}

test_uae_ops_003_allows_dev_without_trail if {
	count(cloudtrail.deny) == 0 with input as fx.doc("dev", [])
}

test_uae_ops_003_denies_prod_without_trail if {
	findings := cloudtrail.deny with input as fx.prod([_vpc])
	{f.urn | some f in findings} == {fx.stack_resource.urn}
}

test_uae_ops_003_denies_trail_without_kms_key if {
	count(cloudtrail.deny) == 1 with input as fx.prod([_trail({"enableLogFileValidation": true})])
}

_vpc := fx.aws("aws:ec2/vpc:Vpc", "ml", {"cidrBlock": "10.42.0.0/16"})

test_uae_ops_003_allows_prod_stack_without_aws_resources if {
	namespace := fx.k8s("kubernetes:core/v1:Namespace", "serving", {"metadata": {"name": "serving"}})
	count(cloudtrail.deny) == 0 with input as fx.prod([namespace])
}
