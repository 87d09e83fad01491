# METADATA
# title: RDS storage is encrypted
# description: RDS instances and clusters need storageEncrypted true.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-ENC-010
#   severity: high
#   controls: ["UAE-PDPL-Art.20", "UAE-ICT-Health-Law", "ISO27001:A.8.24"]
#   remediation: Set storage_encrypted=True and kms_key_id to a customer managed key.
package uae.enc.rds

import data.lib

deny contains f if {
	some r in lib.live_of_types({"aws:rds/instance:Instance", "aws:rds/cluster:Cluster"})
	not lib.is_true(object.get(r.inputs, "storageEncrypted", false))
	f := lib.finding("UAE-ENC-010", r, sprintf("%s %q does not encrypt its storage", [r.type, r.name]))
}
