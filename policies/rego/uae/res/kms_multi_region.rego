# METADATA
# title: No multi-Region or replica KMS keys
# description: >-
#   Multi-Region KMS keys share key material with replicas in other regions, so data encrypted in
#   the UAE can be decrypted elsewhere. Keys must be single-Region.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-RES-007
#   severity: critical
#   controls: ["UAE-PDPL-Art.22-23", "ISO27001:A.8.24"]
#   remediation: Set multi_region=False (the default) and remove ReplicaKey/ReplicaExternalKey resources.
package uae.res.kms_multi_region

import data.lib

deny contains f if {
	some r in lib.live_of_types({"aws:kms/key:Key", "aws:kms/externalKey:ExternalKey"})
	_not_single_region(object.get(r.inputs, "multiRegion", false))
	f := lib.finding("UAE-RES-007", r, sprintf("KMS key %q is multi-Region (multiRegion=%v)", [
		r.name,
		r.inputs.multiRegion,
	]))
}

deny contains f if {
	some r in lib.live_of_types({"aws:kms/replicaKey:ReplicaKey", "aws:kms/replicaExternalKey:ReplicaExternalKey"})
	f := lib.finding("UAE-RES-007", r, sprintf("%s %q replicates KMS key material to another region", [r.type, r.name]))
}

_not_single_region(value) if lib.is_true(value)

# Unknown or secret: cannot be shown single-Region (ADR 0006).
_not_single_region(value) if lib.is_opaque(value)
