# METADATA
# title: MSK clusters do not allow unauthenticated clients
# description: An MSK cluster must not set clientAuthentication.unauthenticated true.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-IAM-004
#   severity: high
#   controls: ["UAE-IAS", "ISO27001:A.5.15"]
#   remediation: Set client_authentication unauthenticated=False and enable SASL/IAM or mutual TLS.
package uae.iam.msk_client_auth

import data.lib

deny contains f if {
	some r in lib.live_of_type("aws:msk/cluster:Cluster")
	lib.is_true(object.get(r.inputs, ["clientAuthentication", "unauthenticated"], false))
	f := lib.finding("UAE-IAM-004", r, sprintf("MSK cluster %q allows unauthenticated clients", [r.name]))
}

# ADR 0006: unauthenticated access hidden in an unknown or secret setting cannot be ruled out.
deny contains f if {
	some r in lib.live_of_type("aws:msk/cluster:Cluster")
	kind := lib.opaque_along(r.inputs, ["clientAuthentication", "unauthenticated"])
	f := lib.finding("UAE-IAM-004", r, sprintf(
		"MSK cluster %q: clientAuthentication.unauthenticated %s",
		[r.name, lib.cannot_verify_text(kind)],
	))
}
