package uae.res.providers

import data.lib

# METADATA
# title: AWS providers are pinned to me-central-1
# description: >-
#   Every AWS provider, explicit or default, must target the home region (me-central-1, the only
#   UAE region). A provider elsewhere, or one whose region is left to the environment, places
#   every resource it manages outside the UAE.
# custom:
#   id: UAE-RES-001
#   severity: critical
#   controls: ["UAE-PDPL-Art.22-23", "UAE-ICT-Health-Law", "UAE-IAS", "ISO27001:A.5.23"]
#   remediation: >-
#     Create providers with region="me-central-1" and set pulumi:disable-default-providers so a
#     forgotten provider fails instead of falling back to another region.
deny contains f if {
	some p in input.providers
	p.package == "aws"
	not p.op in lib.removal_ops
	region := object.get(p, "region", null)
	region != lib.home_region
	f := lib.finding("UAE-RES-001", p, sprintf(
		"AWS provider %q targets region %v, not %s",
		[object.get(p, "name", p.urn), _shown(region), lib.home_region],
	))
}

_shown(region) := "<unset>" if is_null(region)
else := "<unknown at preview>" if lib.is_unknown(region)
else := region
