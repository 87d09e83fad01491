package uae.res.log_delivery_test

import data.lib.fixtures_test as fx
import data.uae.res.log_delivery

_unknown := "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

_bucket(region) := object.union(fx.aws("aws:s3/bucket:Bucket", sprintf("trail-%s", [region]), {"bucket": sprintf("trail-logs-%s", [region])}), {"region": region})

_trail(bucket_name, deps) := fx.aws_deps("aws:cloudtrail/trail:Trail", "org", {
	"s3BucketName": bucket_name,
	"enableLogFileValidation": true,
	"kmsKeyId": _unknown,
}, {"s3BucketName": deps})

test_uae_res_010_allows_trail_to_home_bucket if {
	count(log_delivery.deny) == 0 with input as fx.prod([_bucket("me-central-1"), _trail(_unknown, [_bucket("me-central-1").urn])])
}

test_uae_res_010_denies_trail_to_bucket_in_other_region if {
	findings := log_delivery.deny with input as fx.prod([_bucket("us-east-1"), _trail(_unknown, [_bucket("us-east-1").urn])])
	{f.urn | some f in findings} == {_trail(_unknown, []).urn}
}

test_uae_res_010_denies_trail_to_named_bucket_in_other_region if {
	count(log_delivery.deny) == 1 with input as fx.prod([_bucket("eu-west-1"), _trail("trail-logs-eu-west-1", [])])
}

test_uae_res_010_denies_firehose_to_other_region_bucket if {
	stream := fx.aws_deps("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "audit", {
		"destination": "extended_s3",
		"extendedS3Configuration": {"bucketArn": _unknown, "roleArn": _unknown},
	}, {"extendedS3Configuration": [_bucket("eu-west-1").urn]})
	count(log_delivery.deny) == 1 with input as fx.prod([_bucket("eu-west-1"), stream])
}
