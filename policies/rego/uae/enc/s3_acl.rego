# METADATA
# title: No public S3 canned ACLs
# description: >-
#   The canned ACLs public-read, public-read-write and authenticated-read (any AWS account) expose
#   objects outside the organisation, on a bucket or a BucketAcl.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-ENC-005
#   severity: critical
#   controls: ["UAE-PDPL-Art.20", "UAE-IAS", "ISO27001:A.5.15"]
#   remediation: Remove the ACL (use BucketOwnershipControls BucketOwnerEnforced) or use "private".
package uae.enc.s3_acl

import data.lib
import data.lib.aws

deny contains f if {
	some r in lib.live_of_types(aws.bucket_types | {"aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"})
	r.inputs.acl in _public_acls
	f := lib.finding("UAE-ENC-005", r, sprintf("%s %q uses the public canned ACL %q", [r.type, r.name, r.inputs.acl]))
}

_public_acls := {"public-read", "public-read-write", "authenticated-read"}
