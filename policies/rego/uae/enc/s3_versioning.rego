# METADATA
# title: Data buckets have versioning enabled
# description: >-
#   Buckets that hold data (every bucket not tagged data-classification=public) need versioning
#   Enabled, through a BucketVersioning resource or the bucket's inline `versioning`, so that
#   in-region recovery from deletion or overwrite is possible.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-ENC-003
#   severity: medium
#   controls: ["UAE-PDPL-Art.20", "ISO27001:A.8.13"]
#   remediation: Add a BucketVersioning for the bucket with versioning_configuration status "Enabled".
package uae.enc.s3_versioning

import data.lib
import data.lib.aws

deny contains f if {
	some bucket in lib.live_of_types(aws.bucket_types)
	object.get(bucket, ["tags", "data-classification"], "") != "public"
	not _versioned(bucket)
	f := lib.finding("UAE-ENC-003", bucket, sprintf("data bucket %q does not have versioning enabled", [bucket.name]))
}

# Buckets targeted by an enabled versioning configuration (aws.bucket_refs), computed once.
_enabled := {ref |
	some v in lib.live_of_types({
		"aws:s3/bucketVersioning:BucketVersioning",
		"aws:s3/bucketVersioningV2:BucketVersioningV2",
	})
	v.inputs.versioningConfiguration.status == "Enabled"
	some ref in aws.bucket_refs(v)
}

_versioned(bucket) if aws.referenced_bucket(bucket, _enabled)

_versioned(bucket) if bucket.inputs.versioning.enabled == true
