# METADATA
# title: AWS providers are pinned to me-central-1
# description: >-
#   Every AWS provider (packages aws and aws-native), explicit or default, must target the home
#   region (me-central-1, the only UAE region). A provider elsewhere, or one whose region is left
#   to the environment (an explicit provider without `region` takes AWS_REGION from the deployer),
#   places every resource it manages outside the UAE. A region that is unknown or secret cannot be
#   verified at preview time (ADR 0006).
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-RES-001
#   severity: critical
#   controls: ["UAE-PDPL-Art.22-23", "UAE-ICT-Health-Law", "UAE-IAS", "ISO27001:A.5.23"]
#   remediation: >-
#     Create providers with region="me-central-1" and set pulumi:disable-default-providers so a
#     forgotten provider fails instead of falling back to another region.
package uae.res.providers

import data.lib

deny contains f if {
	some p in input.providers
	p.package in data.lib.aws.region_packages
	not p.op in lib.removal_ops
	region := object.get(p, "region", null)
	region != lib.home_region
	f := lib.finding("UAE-RES-001", p, sprintf(
		"%s provider %q targets region %v, not %s",
		[p.package, object.get(p, "name", p.urn), _shown(region), lib.home_region],
	))
}

_shown(region) := "<unset>" if {
	is_null(region)
} else := sprintf("that %s", [lib.cannot_verify_text(lib.unverifiable(region))]) if {
	lib.unverifiable(region)
} else := region
