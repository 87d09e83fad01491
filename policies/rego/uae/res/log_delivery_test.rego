package uae.res.log_delivery_test

import data.lib.fixtures_test as fx
import data.uae.res.log_delivery

# A trail bucket in `region` (the reader's region; where it came from does not matter here).
_bucket(region) := object.union(
	fx.aws("aws:s3/bucket:Bucket", sprintf("trail-%s", [region]), {"bucket": sprintf("trail-logs-%s", [region])}),
	{"region": region},
)

_trail(bucket_name, deps) := fx.aws_deps(
	"aws:cloudtrail/trail:Trail",
	"org",
	{"s3BucketName": bucket_name, "enableLogFileValidation": true, "kmsKeyId": fx.unknown},
	{"s3BucketName": deps},
)

test_uae_res_010_allows_trail_to_home_bucket if {
	count(log_delivery.deny) == 0 with input as fx.prod([
		_bucket("me-central-1"),
		_trail(fx.unknown, [_bucket("me-central-1").urn]),
	])
}

test_uae_res_010_denies_trail_to_bucket_in_other_region if {
	findings := log_delivery.deny with input as fx.prod([
		_bucket("us-east-1"),
		_trail(fx.unknown, [_bucket("us-east-1").urn]),
	])
	{f.urn | some f in findings} == {_trail(fx.unknown, []).urn}
}

test_uae_res_010_denies_trail_to_named_bucket_in_other_region if {
	count(log_delivery.deny) == 1 with input as fx.prod([_bucket("eu-west-1"), _trail("trail-logs-eu-west-1", [])])
}

test_uae_res_010_denies_firehose_to_other_region_bucket if {
	stream := fx.aws_deps(
		"aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
		"audit",
		{"destination": "extended_s3", "extendedS3Configuration": {"bucketArn": fx.unknown, "roleArn": fx.unknown}},
		{"extendedS3Configuration": [_bucket("eu-west-1").urn]},
	)
	count(log_delivery.deny) == 1 with input as fx.prod([_bucket("eu-west-1"), stream])
}
