# METADATA
# title: Symmetric KMS keys rotate automatically
# description: >-
#   Customer managed symmetric encryption keys (keySpec SYMMETRIC_DEFAULT, the default) need
#   enableKeyRotation true. Asymmetric and HMAC keys cannot rotate and are not checked.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-ENC-009
#   severity: medium
#   controls: ["UAE-IAS", "ISO27001:A.8.24"]
#   remediation: Set enable_key_rotation=True on the key.
package uae.enc.kms_rotation

import data.lib

deny contains f if {
	some r in lib.live_of_type("aws:kms/key:Key")
	_symmetric(r.inputs)
	not lib.is_true(object.get(r.inputs, "enableKeyRotation", false))
	f := lib.finding("UAE-ENC-009", r, sprintf("KMS key %q does not have automatic rotation enabled", [r.name]))
}

_symmetric(inputs) if {
	object.get(inputs, "customerMasterKeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
	object.get(inputs, "keySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
	object.get(inputs, "keyUsage", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"
}
