package uae.ops.required_tags_test

import data.lib.fixtures_test as fx
import data.uae.ops.required_tags

test_uae_ops_001_allows_tagged_and_untaggable_resources if {
	bucket := fx.aws("aws:s3/bucket:Bucket", "lake", {})
	pab := object.union(fx.aws("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "lake-pab", {}), {"tags": {}})
	count(required_tags.deny) == 0 with input as fx.prod([bucket, pab])
}

test_uae_ops_001_allows_computed_tag_value if {
	bucket := object.union(fx.aws("aws:s3/bucket:Bucket", "lake", {}), {
		"tags": {"environment": "prod", "owner": fx.unknown, "data-classification": "confidential"},
	})
	count(required_tags.deny) == 0 with input as fx.prod([bucket])
}

test_uae_ops_001_denies_missing_tags if {
	bucket := object.union(object.remove(fx.aws("aws:s3/bucket:Bucket", "lake", {}), ["tags"]), {
		"tags": {"owner": "ml-platform-team"},
	})
	findings := required_tags.deny with input as fx.prod([bucket])
	{f.urn | some f in findings} == {bucket.urn}
}

test_uae_ops_001_denies_empty_tag if {
	cluster := object.union(fx.aws("aws:eks/cluster:Cluster", "ml", {}), {
		"tags": {"environment": "prod", "owner": "", "data-classification": "internal"},
	})
	count(required_tags.deny) == 1 with input as fx.prod([cluster])
}
