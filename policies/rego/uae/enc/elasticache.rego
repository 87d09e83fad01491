# METADATA
# title: ElastiCache replication groups encrypt and authenticate
# description: >-
#   A replication group needs transitEncryptionEnabled and atRestEncryptionEnabled true, and an
#   authToken or RBAC user groups so clients must authenticate.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-ENC-008
#   severity: high
#   controls: ["UAE-PDPL-Art.20", "UAE-IAS", "ISO27001:A.8.24", "ISO27001:A.5.15"]
#   remediation: >-
#     Set transit_encryption_enabled=True, at_rest_encryption_enabled=True (with kms_key_id) and
#     auth_token from a secret or user_group_ids.
package uae.enc.elasticache

import data.lib

deny contains f if {
	some r in lib.live_of_type("aws:elasticache/replicationGroup:ReplicationGroup")
	some problem in _problems(r.inputs)
	f := lib.finding("UAE-ENC-008", r, sprintf("ElastiCache replication group %q: %s", [r.name, problem]))
}

_problems(inputs) := {p |
	some check, p in {
		"transit": "transitEncryptionEnabled is not true",
		"at_rest": "atRestEncryptionEnabled is not true",
		"auth": "neither authToken nor userGroupIds is set",
	}
	_fails(check, inputs)
}

_fails("transit", inputs) if not lib.is_true(object.get(inputs, "transitEncryptionEnabled", false))

_fails("at_rest", inputs) if not lib.is_true(object.get(inputs, "atRestEncryptionEnabled", false))

_fails("auth", inputs) if {
	not lib.has_value(object.get(inputs, "authToken", null))
	not lib.has_value(object.get(inputs, "userGroupIds", null))
}
