package uae.enc.s3_public_access_test

import data.lib.fixtures_test as fx
import data.uae.enc.s3_public_access

_bucket := fx.aws("aws:s3/bucket:Bucket", "offline-store", {"bucket": "uae-ml-offline-store"})

_full_block := {
	"bucket": fx.unknown,
	"blockPublicAcls": true,
	"blockPublicPolicy": true,
	"ignorePublicAcls": true,
	"restrictPublicBuckets": true,
}

_block(flags) := fx.aws_deps(
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
	"offline-store-pab",
	object.union(_full_block, flags),
	{"bucket": [_bucket.urn]},
)

test_uae_enc_002_allows_full_block if {
	count(s3_public_access.deny) == 0 with input as fx.prod([_bucket, _block({})])
}

test_uae_enc_002_allows_block_matched_by_bucket_name if {
	block := object.union(_block({"bucket": "uae-ml-offline-store"}), {"property_dependencies": {}})
	count(s3_public_access.deny) == 0 with input as fx.prod([_bucket, block])
}

test_uae_enc_002_denies_missing_block if {
	count(s3_public_access.deny) == 1 with input as fx.prod([_bucket])
}

test_uae_enc_002_denies_partial_block if {
	count(s3_public_access.deny) == 1 with input as fx.prod([_bucket, _block({"restrictPublicBuckets": false})])
}
