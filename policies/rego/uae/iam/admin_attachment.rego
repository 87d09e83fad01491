# METADATA
# title: No AdministratorAccess attachments
# description: >-
#   The AWS managed AdministratorAccess policy must not be attached to any role, user or group
#   (policy attachments or a role's managedPolicyArns).
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-IAM-002
#   severity: critical
#   controls: ["UAE-IAS", "ISO27001:A.5.15", "ISO27001:A.8.2"]
#   remediation: Attach least-privilege policies; break-glass administration goes through IAM Identity Center.
package uae.iam.admin_attachment

import data.lib

deny contains f if {
	some r in lib.live_of_types((_attachment_types | _exclusive_types) | {"aws:iam/role:Role"})
	some arn in _attached(r)
	_administrator(arn)
	f := lib.finding("UAE-IAM-002", r, sprintf("%s %q attaches %s", [r.type, r.name, arn]))
}

_attachment_types := {
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment",
	"aws:iam/userPolicyAttachment:UserPolicyAttachment",
	"aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
	"aws:iam/policyAttachment:PolicyAttachment",
}

_exclusive_types := {
	"aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
	"aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
	"aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
}

_attached(r) := [r.inputs.policyArn] if r.type in _attachment_types

_attached(r) := lib.as_array(object.get(r.inputs, "managedPolicyArns", [])) if r.type == "aws:iam/role:Role"

_attached(r) := lib.as_array(object.get(r.inputs, "policyArns", [])) if r.type in _exclusive_types

_administrator(arn) if {
	is_string(arn)
	regex.match(`^arn:aws[a-z-]*:iam::aws:policy/AdministratorAccess$`, arn)
}
