package uae.enc.s3_encryption_test

import data.lib.fixtures_test as fx
import data.uae.enc.s3_encryption

_bucket := fx.aws("aws:s3/bucket:Bucket", "offline-store", {"bucketPrefix": "offline-store-"})

_sse(algorithm, key) := fx.aws_deps(
	"aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
	"offline-store-sse",
	{"bucket": fx.unknown, "rules": [{
		"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm, "kmsMasterKeyId": key},
		"bucketKeyEnabled": true,
	}]},
	{"bucket": [_bucket.urn]},
)

test_uae_enc_001_allows_sse_kms_with_computed_key if {
	count(s3_encryption.deny) == 0 with input as fx.prod([_bucket, _sse("aws:kms", fx.unknown)])
}

test_uae_enc_001_allows_inline_sse_kms if {
	bucket := fx.aws("aws:s3/bucketV2:BucketV2", "legacy", {
		"serverSideEncryptionConfiguration": {"rule": {
			"applyServerSideEncryptionByDefault": {
				"sseAlgorithm": "aws:kms",
				"kmsMasterKeyId": "arn:aws:kms:me-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
			},
		}},
	})
	count(s3_encryption.deny) == 0 with input as fx.prod([bucket])
}

test_uae_enc_001_denies_bucket_without_encryption_config if {
	findings := s3_encryption.deny with input as fx.prod([_bucket])
	{f.urn | some f in findings} == {_bucket.urn}
}

test_uae_enc_001_denies_sse_s3 if {
	count(s3_encryption.deny) == 1 with input as fx.prod([_bucket, _sse("AES256", null)])
}

test_uae_enc_001_denies_aws_managed_key if {
	count(s3_encryption.deny) == 1 with input as fx.prod([_bucket, _sse("aws:kms", "alias/aws/s3")])
}

test_uae_enc_001_allows_sse_matched_by_bucket_name if {
	bucket := fx.aws("aws:s3/bucket:Bucket", "named", {"bucket": "uae-ml-named"})
	sse := fx.aws("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "named-sse", {
		"bucket": "uae-ml-named",
		"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": fx.unknown}}],
	})
	count(s3_encryption.deny) == 0 with input as fx.prod([bucket, sse])
}

test_uae_enc_001_denies_bucket_whose_neighbour_is_encrypted if {
	other := fx.aws("aws:s3/bucket:Bucket", "other-store", {"bucket": "uae-ml-other"})
	findings := s3_encryption.deny with input as fx.prod([_bucket, other, _sse("aws:kms", fx.unknown)])
	{f.urn | some f in findings} == {other.urn}
}
