package uae.enc.s3_acl_test

import data.lib.fixtures_test as fx
import data.uae.enc.s3_acl

test_uae_enc_005_allows_private_acl if {
	acl := fx.aws("aws:s3/bucketAcl:BucketAcl", "lake-acl", {"bucket": "uae-ml-lake", "acl": "private"})
	count(s3_acl.deny) == 0 with input as fx.prod([acl])
}

test_uae_enc_005_denies_public_read_bucket_acl if {
	acl := fx.aws("aws:s3/bucketAcl:BucketAcl", "lake-acl", {"bucket": "uae-ml-lake", "acl": "public-read"})
	count(s3_acl.deny) == 1 with input as fx.prod([acl])
}

test_uae_enc_005_denies_authenticated_read_on_bucket if {
	bucket := fx.aws("aws:s3/bucket:Bucket", "exports", {"acl": "authenticated-read"})
	count(s3_acl.deny) == 1 with input as fx.prod([bucket])
}
