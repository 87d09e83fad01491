# METADATA
# title: Prod has a GuardDuty detector
# description: >-
#   A prod stack that deploys AWS resources must define an aws:guardduty/detector:Detector for
#   threat detection (a Kubernetes-only stack creates no AWS activity of its own).
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-OPS-004
#   severity: medium
#   controls: ["UAE-IAS", "ISO27001:A.8.16"]
#   remediation: Add a guardduty.Detector with enable=True (and EKS runtime/S3 protection features).
package uae.ops.guardduty

import data.lib

deny contains f if {
	lib.prod_like
	lib.deploys_aws
	count(lib.live_of_type("aws:guardduty/detector:Detector")) == 0
	f := {
		"rule_id": "UAE-OPS-004",
		"urn": lib.stack_urn,
		"message": "prod stack has no GuardDuty detector",
		"resource_type": "pulumi:pulumi:Stack",
	}
}
