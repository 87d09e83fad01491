# METADATA
# title: No IAM policy allows every action on every resource
# description: >-
#   A statement with Effect Allow, Action "*" and Resource "*" grants full administrator rights.
#   Checked in managed policies, role/user/group inline policies and a role's inlinePolicies,
#   whether the document is a JSON string or an object.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-IAM-001
#   severity: critical
#   controls: ["UAE-IAS", "ISO27001:A.5.15", "ISO27001:A.8.2"]
#   remediation: Grant only the actions and resources the workload needs.
package uae.iam.wildcard_policy

import data.lib
import data.lib.aws

deny contains f if {
	some r in lib.live_of_types(aws.policy_document_types)
	some document in aws.policy_documents(r)
	some statement in aws.policy_statements(document)
	statement.Effect == "Allow"
	"*" in lib.as_array(object.get(statement, "Action", []))
	"*" in lib.as_array(object.get(statement, "Resource", []))
	f := lib.finding("UAE-IAM-001", r, sprintf("%s %q allows Action \"*\" on Resource \"*\"", [r.type, r.name]))
}
