package uae.res.default_provider

import data.lib

# METADATA
# title: No AWS resource on a default provider outside me-central-1
# description: >-
#   A resource without an explicit provider uses the default provider, whose region comes from
#   stack config `aws:region` or, when unset, from the deploying environment. Its region must be
#   known to be me-central-1.
# custom:
#   id: UAE-RES-003
#   severity: critical
#   controls: ["UAE-PDPL-Art.22-23", "UAE-ICT-Health-Law", "ISO27001:A.5.23"]
#   remediation: >-
#     Pass an explicit me-central-1 provider to the resource (opts=ResourceOptions(provider=...))
#     and set pulumi:disable-default-providers in the stack config.
deny contains f if {
	some r in lib.live_resources
	r.package == "aws"
	r.region_source in {"config", "unknown"}
	region := object.get(r, "region", null)
	region != lib.home_region
	f := lib.finding("UAE-RES-003", r, sprintf(
		"%s %q uses a default AWS provider whose region is %v, not %s",
		[r.type, r.name, _shown(region), lib.home_region],
	))
}

_shown(region) := "<unset>" if is_null(region)
else := region
