# METADATA
# title: S3 buckets have a full public access block
# description: >-
#   Every bucket needs a BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy,
#   ignorePublicAcls and restrictPublicBuckets all true, so no ACL or policy can expose it.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-ENC-002
#   severity: high
#   controls: ["UAE-PDPL-Art.20", "UAE-IAS", "ISO27001:A.5.15", "ISO27001:A.8.20"]
#   remediation: Add a BucketPublicAccessBlock for the bucket with all four flags set to True.
package uae.enc.s3_public_access

import data.lib
import data.lib.aws

deny contains f if {
	some bucket in lib.live_of_types(aws.bucket_types)
	not _blocked(bucket)
	f := lib.finding(
		"UAE-ENC-002",
		bucket,
		sprintf("bucket %q has no public access block with all four flags true", [bucket.name]),
	)
}

_flags := ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]

_blocked(bucket) if aws.referenced_bucket(bucket, _blocking)

# Buckets targeted by a public access block with all four flags true (aws.bucket_refs), computed once.
_blocking := {ref |
	some block in lib.live_of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
	_all_flags(block)
	some ref in aws.bucket_refs(block)
}

_all_flags(block) if {
	every flag in _flags {
		block.inputs[flag] == true
	}
}
