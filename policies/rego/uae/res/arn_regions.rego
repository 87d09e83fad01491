# METADATA
# title: No ARNs that name another region
# description: >-
#   An ARN in a resource's inputs (a KMS key, a topic, a role session target, a policy resource)
#   whose region field names a region other than me-central-1 points data or control at another
#   region. ARNs inside JSON policy documents count too.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-RES-013
#   severity: high
#   controls: ["UAE-PDPL-Art.22-23", "ISO27001:A.5.23"]
#   remediation: Refer to resources in me-central-1 only.
package uae.res.arn_regions

import data.lib

deny contains f if {
	some r in lib.live_resources
	_maybe_foreign(lib.inputs_text[r.urn])
	walk(r.inputs, [path, value])
	is_string(value)
	contains(value, "arn:")
	some region in data.lib.aws.embedded_arn_regions(value)
	region != lib.home_region
	f := lib.finding("UAE-RES-013", r, sprintf(
		"%s %q input %s refers to an ARN in region %s",
		[r.type, r.name, concat(".", [sprintf("%v", [p]) | some p in path]), region],
	))
}

# A cheap filter before the walk: a foreign-region ARN in the inputs' JSON text. Every ARN in a
# string value appears verbatim in that text (ARN characters are never escaped and a match cannot
# cross a quote), so no finding is lost; the walk then finds the exact input path.
_maybe_foreign(text) if {
	contains(text, "arn:")
	some region in data.lib.aws.embedded_arn_regions(text)
	region != lib.home_region
}
