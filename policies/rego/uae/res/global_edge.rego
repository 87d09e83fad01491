# METADATA
# title: No CloudFront or Global Accelerator
# description: >-
#   CloudFront and Global Accelerator are global services that terminate and cache traffic at
#   edge locations worldwide, outside the UAE.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-RES-011
#   severity: high
#   controls: ["UAE-PDPL-Art.22-23", "UAE-ICT-Health-Law", "ISO27001:A.5.23"]
#   remediation: Serve through a regional load balancer or API in me-central-1.
package uae.res.global_edge

import data.lib

deny contains f if {
	some type in lib.live_types
	some prefix in ["aws:cloudfront/", "aws:globalaccelerator/"]
	startswith(type, prefix)
	some r in lib.live_of_type(type)
	f := lib.finding("UAE-RES-011", r, sprintf("%s %q is a global edge service outside the UAE", [r.type, r.name]))
}
