# METADATA
# title: No DynamoDB global tables or replicas
# description: >-
#   DynamoDB replicas and global tables copy every item to another region. There is no second UAE
#   region, so any replica leaves the country.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-RES-006
#   severity: critical
#   controls: ["UAE-PDPL-Art.22-23", "UAE-ICT-Health-Law"]
#   remediation: >-
#     Remove `replicas` and global-table resources; use point-in-time recovery and in-region AWS
#     Backup vaults for recovery.
package uae.res.dynamodb_replicas

import data.lib

deny contains f if {
	some r in lib.live_of_type("aws:dynamodb/table:Table")
	count(lib.as_array(object.get(r.inputs, "replicas", []))) > 0
	regions := [object.get(x, "regionName", "?") | some x in lib.as_array(r.inputs.replicas)]
	f := lib.finding("UAE-RES-006", r, sprintf("DynamoDB table %q has replicas in %v", [r.name, regions]))
}

deny contains f if {
	some r in lib.live_of_types({"aws:dynamodb/tableReplica:TableReplica", "aws:dynamodb/globalTable:GlobalTable"})
	f := lib.finding("UAE-RES-006", r, sprintf("%s %q replicates a DynamoDB table across regions", [r.type, r.name]))
}
