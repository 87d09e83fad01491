# METADATA
# title: AWS provider endpoints stay in me-central-1
# description: >-
#   A provider's `endpoints` overrides and its `stsRegion` decide where API calls, and the data
#   in them, are sent. Every custom endpoint must name me-central-1 (a regional or VPC endpoint);
#   a global endpoint (sts.amazonaws.com, s3.amazonaws.com), another region's endpoint, or one
#   not known at preview time is an egress path.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-RES-014
#   severity: critical
#   controls: ["UAE-PDPL-Art.22-23", "UAE-ICT-Health-Law", "ISO27001:A.5.23", "ISO27001:A.8.20"]
#   remediation: >-
#     Remove the endpoint overrides, or point each at a me-central-1 regional or VPC endpoint
#     (https://<service>.me-central-1.amazonaws.com); set sts_region to me-central-1.
package uae.res.provider_endpoints

import data.lib

deny contains f if {
	some p in _aws_providers
	some entry in _endpoint_entries(p)
	some service, url in entry
	not _in_home_region(url)
	f := lib.finding("UAE-RES-014", p, sprintf(
		"AWS provider %q sends %s calls to %v, outside %s",
		[p.name, service, url, lib.home_region],
	))
}

deny contains f if {
	some p in _aws_providers
	region := object.get(p.inputs, "stsRegion", null)
	not is_null(region)
	region != lib.home_region
	f := lib.finding("UAE-RES-014", p, sprintf(
		"AWS provider %q sends STS calls to region %v, not %s",
		[p.name, region, lib.home_region],
	))
}

_aws_providers contains p if {
	some p in input.providers
	p.package == "aws"
	not p.op in lib.removal_ops
}

# Nested provider config reaches the preview as a JSON string; a value that is not JSON is
# reported as one unreadable endpoint rather than skipped.
_endpoint_entries(p) := entries if {
	raw := object.get(p.inputs, "endpoints", [])
	entries := _entries(raw)
}

_entries(raw) := [e | some e in raw; is_object(e)] if {
	is_array(raw)
} else := [e | some e in json.unmarshal(raw); is_object(e)] if {
	is_string(raw)
	json.is_valid(raw)
	is_array(json.unmarshal(raw))
} else := [] if {
	is_string(raw)
	raw == ""
} else := [{"endpoints": raw}]

_in_home_region(url) if {
	is_string(url)
	regex.match(`^https://[A-Za-z0-9.-]*[.]me-central-1[.](amazonaws[.]com|vpce[.]amazonaws[.]com)(:[0-9]+)?(/.*)?$`, url)
}
