# METADATA
# title: EKS API endpoint is private outside dev
# description: >-
#   In staging and prod the EKS API endpoint must not be public (endpointPublicAccess defaults to
#   true when unset). In dev a public endpoint needs publicAccessCidrs naming specific networks;
#   missing publicAccessCidrs means 0.0.0.0/0, which is never allowed.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-NET-004
#   severity: critical
#   controls: ["UAE-IAS", "ISO27001:A.8.20", "ISO27001:A.8.22"]
#   remediation: >-
#     Set vpc_config endpoint_public_access=False and endpoint_private_access=True; in dev, set
#     public_access_cidrs to the office or VPN CIDR.
package uae.net.eks_endpoint

import data.lib

deny contains f if {
	input.environment != "dev"
	some r in lib.live_of_type("aws:eks/cluster:Cluster")
	_public(r)
	f := lib.finding("UAE-NET-004", r, sprintf(
		"EKS cluster %q has a public API endpoint in %s",
		[r.name, input.environment],
	))
}

deny contains f if {
	input.environment == "dev"
	some r in lib.live_of_type("aws:eks/cluster:Cluster")
	_public(r)
	"0.0.0.0/0" in _public_cidrs(r)
	f := lib.finding("UAE-NET-004", r, sprintf(
		"EKS cluster %q exposes its public API endpoint to 0.0.0.0/0",
		[r.name],
	))
}

# The reader's exposure fact reasons about the CIDRs as ranges (0::/0, two /1 halves, a secret or
# unknown list: ADR 0006), beyond the literal 0.0.0.0/0 above.
deny contains f if {
	input.environment == "dev"
	some r in lib.live_of_type("aws:eks/cluster:Cluster")
	not "0.0.0.0/0" in _public_cidrs(r)
	r.network.kind == "api_endpoint"
	some rule in r.network.rules
	rule.exposure != "limited"
	f := lib.finding("UAE-NET-004", r, sprintf(
		"EKS cluster %q public API endpoint %s",
		[r.name, _exposure_text(rule)],
	))
}

_exposure_text(rule) := sprintf("is open to the internet (%s)", [concat(", ", rule.sources)]) if {
	rule.exposure == "internet"
} else := sprintf("sources %s", [lib.cannot_verify_text(lib.unverifiable(rule.exposure))]) if {
	lib.unverifiable(rule.exposure)
} else := sprintf("sources %s are not CIDRs", [concat(", ", rule.sources)])

_public(r) if object.get(r.inputs, ["vpcConfig", "endpointPublicAccess"], true) != false

_public(r) if lib.is_opaque(r.inputs.vpcConfig)

_public_cidrs(r) := cidrs if {
	cidrs := lib.as_array(r.inputs.vpcConfig.publicAccessCidrs)
	count(cidrs) > 0
} else := ["0.0.0.0/0"]
