package uae.enc.s3_versioning_test

import data.lib.fixtures_test as fx
import data.uae.enc.s3_versioning

_bucket := fx.aws("aws:s3/bucket:Bucket", "offline-store", {"bucketPrefix": "offline-store-"})

_versioning(status) := fx.aws_deps(
	"aws:s3/bucketVersioning:BucketVersioning",
	"offline-store-versioning",
	{"bucket": fx.unknown, "versioningConfiguration": {"status": status}},
	{"bucket": [_bucket.urn]},
)

test_uae_enc_003_allows_versioned_bucket if {
	count(s3_versioning.deny) == 0 with input as fx.prod([_bucket, _versioning("Enabled")])
}

test_uae_enc_003_allows_public_bucket_without_versioning if {
	site := fx.aws("aws:s3/bucket:Bucket", "docs", {"tags": {"data-classification": "public"}})
	count(s3_versioning.deny) == 0 with input as fx.prod([site])
}

test_uae_enc_003_denies_suspended_versioning if {
	count(s3_versioning.deny) == 1 with input as fx.prod([_bucket, _versioning("Suspended")])
}

test_uae_enc_003_denies_missing_versioning if {
	count(s3_versioning.deny) == 1 with input as fx.prod([_bucket])
}
