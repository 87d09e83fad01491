# METADATA
# title: No long-lived IAM access keys
# description: >-
#   IAM access keys are long-lived credentials that end up in state, CI and laptops. Workloads use
#   roles (IRSA / EKS Pod Identity), people use IAM Identity Center.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-IAM-003
#   severity: high
#   controls: ["UAE-IAS", "ISO27001:A.5.15", "ISO27001:A.8.2"]
#   remediation: Remove the AccessKey; grant access through an IAM role assumed by the workload.
package uae.iam.access_keys

import data.lib

deny contains f if {
	some r in lib.live_of_type("aws:iam/accessKey:AccessKey")
	f := lib.finding("UAE-IAM-003", r, sprintf("IAM access key %q creates long-lived credentials", [r.name]))
}
