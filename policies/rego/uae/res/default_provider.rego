# METADATA
# title: Every AWS resource resolves to me-central-1 through its provider
# description: >-
#   A resource's region is its provider's (aws and aws-native): an explicit provider's `region`, or
#   for the engine's default provider stack config `aws:region` (`aws-native:region`) or, when
#   unset, the deploying environment. An explicit provider without `region` is "unknown". Each resource
#   created through a provider outside me-central-1 (or whose region is not known) is reported on
#   the resource itself, beside the provider finding (UAE-RES-001).
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-RES-003
#   severity: critical
#   controls: ["UAE-PDPL-Art.22-23", "UAE-ICT-Health-Law", "ISO27001:A.5.23"]
#   remediation: >-
#     Pass an explicit me-central-1 provider to the resource (opts=ResourceOptions(provider=...))
#     and set pulumi:disable-default-providers in the stack config.
package uae.res.default_provider

import data.lib

deny contains f if {
	some r in lib.live_resources
	r.package in data.lib.aws.region_packages
	r.region_source in {"config", "unknown", "provider"}
	region := object.get(r, "region", null)
	region != lib.home_region
	f := lib.finding("UAE-RES-003", r, sprintf(
		"%s %q is created through %s whose region is %v, not %s",
		[r.type, r.name, _via[r.region_source], _shown(region), lib.home_region],
	))
}

_via := {
	"config": "the default AWS provider",
	"unknown": "an AWS provider",
	"provider": "an explicit AWS provider",
}

_shown(region) := "<unset>" if {
	is_null(region)
} else := lib.cannot_verify_text(lib.unverifiable(region)) if {
	lib.unverifiable(region)
} else := region
