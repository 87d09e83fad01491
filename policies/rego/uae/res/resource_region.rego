# METADATA
# title: No per-resource region override outside me-central-1
# description: >-
#   pulumi-aws v7 accepts a `region` input on each resource, which bypasses the provider's
#   region. A resource-level region must be literally me-central-1; a computed (unknown) region
#   cannot be shown to stay in the UAE.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-RES-002
#   severity: critical
#   controls: ["UAE-PDPL-Art.22-23", "UAE-ICT-Health-Law", "ISO27001:A.5.23"]
#   remediation: Remove the resource's `region` argument or set it to "me-central-1".
package uae.res.resource_region

import data.lib

deny contains f if {
	some r in lib.live_resources
	r.region_source == "resource"
	region := object.get(r, "region", null)
	region != lib.home_region
	f := lib.finding("UAE-RES-002", r, sprintf(
		"%s %q overrides its region to %v (must be %s)",
		[r.type, r.name, _shown(region), lib.home_region],
	))
}

_shown(region) := sprintf("a value that %s", [
	lib.cannot_verify_text(lib.unverifiable(region)),
]) if {
	lib.unverifiable(region)
} else := region
