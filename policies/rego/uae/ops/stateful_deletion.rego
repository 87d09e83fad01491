# METADATA
# title: No deletion or replacement of stateful resources in prod
# description: >-
#   In prod, a delete or replace of a resource that holds data (S3 bucket, MSK, EKS, ElastiCache,
#   RDS, KMS key, DynamoDB table, EFS, ...; data/stateful_types.json) destroys that data or key
#   material. Such a change needs an approved waiver (handled outside Rego).
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-OPS-002
#   severity: critical
#   controls: ["UAE-PDPL-Art.20", "ISO27001:A.8.13", "ISO27001:A.8.32"]
#   remediation: >-
#     Avoid the replacement (check replace_reasons; use aliases for renames, ignore_changes for
#     drift), or migrate data first and record an approved waiver.
package uae.ops.stateful_deletion

import data.lib

deny contains f if {
	lib.prod_like
	some r in input.resources
	r.op in lib.destructive_ops
	r.type in _stateful
	f := lib.finding("UAE-OPS-002", r, sprintf(
		"prod %s of stateful %s %q%s",
		[r.op, r.type, r.name, _reasons(r)],
	))
}

_stateful := {t | some t in data.uae_data.stateful_types.types}

_reasons(r) := sprintf(" (replace reasons: %v)", [r.replace_reasons]) if {
	count(object.get(r, "replace_reasons", [])) > 0
} else := ""
