# METADATA
# title: No S3 bucket policy grants access to everyone
# description: >-
#   A bucket policy statement that allows Principal "*" (or {"AWS": "*"}) without a Condition
#   makes the bucket public.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-ENC-004
#   severity: critical
#   controls: ["UAE-PDPL-Art.20", "UAE-IAS", "ISO27001:A.5.15"]
#   remediation: >-
#     Name the principals (roles of this account) or add a Condition such as aws:PrincipalOrgID or
#     aws:SourceVpce.
package uae.enc.s3_bucket_policy

import data.lib
import data.lib.aws

deny contains f if {
	some r in lib.live_of_types(aws.bucket_types | {"aws:s3/bucketPolicy:BucketPolicy"})
	some statement in aws.policy_statements(r.inputs.policy)
	statement.Effect == "Allow"
	_everyone(statement.Principal)
	count(object.get(statement, "Condition", {})) == 0
	f := lib.finding("UAE-ENC-004", r, sprintf(
		"%s %q allows %v to everyone without a condition",
		[r.type, r.name, object.get(statement, "Action", "?")],
	))
}

_everyone("*") := true

_everyone(principal) if "*" in lib.as_array(principal.AWS)
