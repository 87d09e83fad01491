package uae.res.s3_replication_test

import data.lib.fixtures_test as fx
import data.uae.res.s3_replication

_source := fx.aws("aws:s3/bucket:Bucket", "lake", {"bucket": "uae-ml-lake"})

_replica_home := fx.aws("aws:s3/bucket:Bucket", "lake-replica", {"bucket": "uae-ml-lake-replica"})

_replica_ireland := fx.in_region(fx.aws("aws:s3/bucket:Bucket", "lake-dr", {"bucket": "uae-ml-lake-dr"}), "eu-west-1")

_config(destination, dest_urns) := fx.aws_deps(
	"aws:s3/bucketReplicationConfig:BucketReplicationConfig",
	"lake-replication",
	{
		"bucket": fx.unknown,
		"role": fx.unknown,
		"rules": [{"id": "all", "status": "Enabled", "destination": {"bucket": destination, "storageClass": "STANDARD"}}],
	},
	{"bucket": [_source.urn], "rules": dest_urns},
)

test_uae_res_005_allows_same_region_replication_by_dependency if {
	count(s3_replication.deny) == 0 with input as fx.prod([
		_source,
		_replica_home,
		_config(fx.unknown, [_replica_home.urn]),
	])
}

test_uae_res_005_allows_same_region_replication_by_literal_arn if {
	count(s3_replication.deny) == 0 with input as fx.prod([
		_source,
		_replica_home,
		_config("arn:aws:s3:::uae-ml-lake-replica", []),
	])
}

test_uae_res_005_denies_replication_to_other_region if {
	findings := s3_replication.deny with input as fx.prod([
		_source,
		_replica_ireland,
		_config(fx.unknown, [_replica_ireland.urn]),
	])
	{f.urn | some f in findings} == {_config(fx.unknown, []).urn}
}

test_uae_res_005_denies_replication_to_bucket_outside_stack if {
	count(s3_replication.deny) == 1 with input as fx.prod([_source, _config("arn:aws:s3:::someone-elses-bucket", [])])
}

test_uae_res_005_denies_legacy_inline_replication if {
	legacy := fx.aws("aws:s3/bucketV2:BucketV2", "legacy", {
		"bucket": "legacy",
		"replicationConfiguration": {"role": fx.unknown, "rules": [
			{"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::dr-frankfurt"}},
		]},
	})
	findings := s3_replication.deny with input as fx.prod([legacy])
	{f.urn | some f in findings} == {legacy.urn}
}
