# METADATA
# title: RDS databases are not publicly accessible
# description: RDS instances and cluster instances must not set publiclyAccessible true.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-NET-005
#   severity: critical
#   controls: ["UAE-PDPL-Art.20", "UAE-IAS", "ISO27001:A.8.20"]
#   remediation: Set publicly_accessible=False and reach the database from inside the VPC.
package uae.net.rds_public

import data.lib

deny contains f if {
	some r in lib.live_of_types({"aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance"})
	_maybe_public(object.get(r.inputs, "publiclyAccessible", false))
	f := lib.finding("UAE-NET-005", r, sprintf("%s %q is publicly accessible", [r.type, r.name]))
}

_maybe_public(value) if lib.is_true(value)

# Unknown or secret: cannot be shown private (ADR 0006).
_maybe_public(value) if lib.is_opaque(value)
