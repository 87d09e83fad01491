package uae.enc.s3_bucket_policy_test

import data.lib.fixtures_test as fx
import data.uae.enc.s3_bucket_policy

_policy(statement) := fx.aws("aws:s3/bucketPolicy:BucketPolicy", "lake-policy", {
	"bucket": fx.unknown,
	"policy": json.marshal({"Version": "2012-10-17", "Statement": [statement]}),
})

test_uae_enc_004_allows_named_principal if {
	statement := {
		"Effect": "Allow",
		"Principal": {"AWS": "arn:aws:iam::123456789012:role/feature-store"},
		"Action": "s3:GetObject",
		"Resource": "arn:aws:s3:::uae-ml-lake/*",
	}
	count(s3_bucket_policy.deny) == 0 with input as fx.prod([_policy(statement)])
}

test_uae_enc_004_allows_everyone_with_condition if {
	statement := {
		"Effect": "Deny",
		"Principal": "*",
		"Action": "s3:*",
		"Resource": "*",
		"Condition": {"Bool": {"aws:SecureTransport": "false"}},
	}
	statement2 := {
		"Effect": "Allow",
		"Principal": {"AWS": "*"},
		"Action": "s3:GetObject",
		"Resource": "*",
		"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
	}
	count(s3_bucket_policy.deny) == 0 with input as fx.prod([_policy(statement), _policy(statement2)])
}

test_uae_enc_004_denies_public_read if {
	statement := {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::uae-ml-lake/*"}
	count(s3_bucket_policy.deny) == 1 with input as fx.prod([_policy(statement)])
}

test_uae_enc_004_denies_aws_star_principal_object_policy if {
	bucket := fx.aws("aws:s3/bucket:Bucket", "web", {
		"policy": {"Statement": {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "s3:*", "Resource": "*"}},
	})
	count(s3_bucket_policy.deny) == 1 with input as fx.prod([bucket])
}
