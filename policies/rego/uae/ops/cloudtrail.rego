# METADATA
# title: Prod has a validated, KMS-encrypted CloudTrail trail
# description: >-
#   A prod stack must define an aws:cloudtrail/trail:Trail with enableLogFileValidation true and
#   kmsKeyId set, so API activity is recorded tamper-evidently and encrypted with a UAE key
#   (stacks that deploy AWS resources; a Kubernetes-only stack creates no AWS activity of its own).
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-OPS-003
#   severity: high
#   controls: ["UAE-IAS", "ISO27001:A.8.15", "ISO27001:A.8.16"]
#   remediation: >-
#     Add a cloudtrail.Trail with enable_log_file_validation=True and kms_key_id of a KMS key in
#     me-central-1.
package uae.ops.cloudtrail

import data.lib

deny contains f if {
	lib.prod_like
	lib.deploys_aws
	not _compliant_trail
	f := {
		"rule_id": "UAE-OPS-003",
		"urn": lib.stack_urn,
		"message": "prod stack has no CloudTrail trail with log file validation and a KMS key",
		"resource_type": "pulumi:pulumi:Stack",
	}
}

_compliant_trail if {
	some trail in lib.live_of_type("aws:cloudtrail/trail:Trail")
	lib.is_true(object.get(trail.inputs, "enableLogFileValidation", false))
	lib.has_value(object.get(trail.inputs, "kmsKeyId", null))
}
