# METADATA
# title: No nested region settings or multi-Region constructs outside me-central-1
# description: >-
#   Many AWS resources name a second region inside their inputs: Secrets Manager replicas, RDS
#   and DocumentDB cross-region settings, SSM or Lambda destinations, EventBridge targets and any
#   `...region`/`...regionName` field. Any such value other than me-central-1 moves data or
#   control out of the UAE, whatever the resource type. Multi-Region constructs (RDS and
#   ElastiCache global datastores, S3 Multi-Region Access Points) are egress by design.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-RES-015
#   severity: high
#   controls: ["UAE-PDPL-Art.22-23", "UAE-ICT-Health-Law", "ISO27001:A.5.23"]
#   remediation: >-
#     Keep replicas, destinations and targets in me-central-1; for resilience use the three
#     availability zones and in-region backups instead of another region.
package uae.res.nested_regions

import data.lib

deny contains f if {
	some r in lib.live_resources
	r.package in data.lib.aws.region_packages
	_maybe_foreign(lib.inputs_text[r.urn])
	walk(r.inputs, [path, value])
	is_string(value)
	_region_path(path)
	regex.match(_region_value, lower(value))
	value != lib.home_region
	f := lib.finding("UAE-RES-015", r, sprintf(
		"%s %q input %s names region %s",
		[r.type, r.name, concat(".", [sprintf("%v", [p]) | some p in path]), value],
	))
}

# A region field whose value is unknown or secret: where the data goes cannot be shown (ADR 0006).
deny contains f if {
	some r in lib.live_resources
	r.package in data.lib.aws.region_packages
	_maybe_hidden(lib.inputs_text[r.urn])
	walk(r.inputs, [path, value])
	why := lib.unverifiable(value)
	_region_path(path)
	f := lib.finding("UAE-RES-015", r, sprintf(
		"%s %q input %s: the region %s",
		[r.type, r.name, concat(".", [sprintf("%v", [p]) | some p in path]), lib.cannot_verify_text(why)],
	))
}

deny contains f if {
	some type in _multi_region_types
	some r in lib.live_of_type(type)
	f := lib.finding("UAE-RES-015", r, sprintf("%s %q is a multi-Region construct", [r.type, r.name]))
}

_multi_region_types := {
	"aws:rds/globalCluster:GlobalCluster",
	"aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
	"aws:s3control/multiRegionAccessPoint:MultiRegionAccessPoint",
	"aws:docdb/globalCluster:GlobalCluster",
	"aws:networkmanager/globalNetwork:GlobalNetwork",
}

# Compared lower-cased: "EU-WEST-1" is a region to AWS SDKs and must not slip past the rule.
_region_value := `^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`

# A field whose name says it holds a region, anywhere in the inputs, except the top-level `region`
# (the per-resource override, UAE-RES-002) and tags (labels, not placement).
_region_path(path) if {
	path != ["region"]
	not path[0] in {"tags", "tagsAll"}
	_region_key(path[count(path) - 1])
}

# Region strings in list fields (e.g. `regions: ["eu-west-1"]`) sit one level below the key.
_region_path(path) if {
	count(path) > 1
	is_number(path[count(path) - 1])
	not path[0] in {"tags", "tagsAll"}
	_region_key(path[count(path) - 2])
}

_region_key(key) if {
	is_string(key)
	regex.match(`^([A-Za-z]*[Rr]egion|[A-Za-z]*[Rr]egionName|[A-Za-z]*[Rr]egions)$`, key)
}

# A cheap filter before the walk: a region-like string other than the home region anywhere in the
# inputs' JSON text, in any letter case (region names are never escaped in JSON).
_maybe_foreign(text) if {
	some found in regex.find_n(`"(?i)[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]"`, text, -1)
	found != sprintf("%q", [lib.home_region])
}

# The unknown and secret markers (lib/core.rego) as a regex alternation, and the two places a
# region-like key can hold one: its string value, or an element of its list. Built once.
_opaque_marker := concat("|", [strings.replace_n({"[": `\[`, "]": `\]`}, lib.secret), lib.unknown])

_hidden_region_patterns := [
	sprintf(`(?i)region[a-z]*":\s*"(%s)"`, [_opaque_marker]),
	sprintf(`(?i)regions":\s*\[[^\]]*"(%s)"`, [_opaque_marker]),
]

# The second walk runs only where a region-like key holds the unknown or secret marker.
_maybe_hidden(text) if {
	some pattern in _hidden_region_patterns
	regex.match(pattern, text)
}
