# METADATA
# title: MSK clusters encrypt in transit and at rest with a customer key
# description: >-
#   An MSK cluster needs encryptionInfo.encryptionInTransit.clientBroker "TLS", inCluster true
#   (the default when absent) and encryptionInfo.encryptionAtRestKmsKeyArn set.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-ENC-007
#   severity: high
#   controls: ["UAE-PDPL-Art.20", "UAE-IAS", "ISO27001:A.8.24"]
#   remediation: >-
#     Set encryption_info with encryption_in_transit client_broker="TLS", in_cluster=True and
#     encryption_at_rest_kms_key_arn of a KMS key.
package uae.enc.msk

import data.lib

deny contains f if {
	some r in lib.live_of_type("aws:msk/cluster:Cluster")
	some problem in _problems(object.get(r.inputs, "encryptionInfo", {}))
	f := lib.finding("UAE-ENC-007", r, sprintf("MSK cluster %q: %s", [r.name, problem]))
}

_problems(info) := {p |
	some check, p in {
		"client_broker": sprintf("clientBroker is %v, not TLS", [
			object.get(info, ["encryptionInTransit", "clientBroker"], "<unset>"),
		]),
		"in_cluster": "inCluster encryption is disabled",
		"at_rest": "encryptionAtRestKmsKeyArn is not set",
	}
	_fails(check, info)
}

_fails("client_broker", info) if object.get(info, ["encryptionInTransit", "clientBroker"], null) != "TLS"

_fails("in_cluster", info) if object.get(info, ["encryptionInTransit", "inCluster"], true) != true

_fails("at_rest", info) if not lib.has_value(object.get(info, "encryptionAtRestKmsKeyArn", null))
