# METADATA
# title: Taggable AWS resources carry environment, owner and data-classification tags
# description: >-
#   Every AWS resource whose type accepts tags (data/aws_taggable_types.json, generated from
#   pulumi-aws) needs non-empty `environment`, `owner` and `data-classification` in its effective
#   tags (provider default tags overlaid with the resource's own). A computed value counts as set.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-OPS-001
#   severity: medium
#   controls: ["UAE-PDPL-Art.20", "UAE-IAS", "ISO27001:A.8.9"]
#   remediation: Set the tags once, in the provider's default_tags or the stack's tagging transform.
package uae.ops.required_tags

import data.lib

deny contains f if {
	some type in lib.live_types
	type in _taggable
	some r in lib.live_of_type(type)
	r.package == "aws"
	not _fully_tagged(object.get(r, "tags", {}))
	missing := [tag |
		some tag in _required
		not lib.has_value(object.get(object.get(r, "tags", {}), tag, null))
	]
	count(missing) > 0
	f := lib.finding("UAE-OPS-001", r, sprintf("%s %q lacks tags %v", [r.type, r.name, missing]))
}

_required := ["environment", "owner", "data-classification"]

# Fast path for the common case, before the per-tag lib.has_value checks: every required tag is a
# non-empty string (which lib.has_value accepts, the unknown sentinel included).
_fully_tagged(tags) if {
	_non_empty_string(tags.environment)
	_non_empty_string(tags.owner)
	_non_empty_string(tags["data-classification"])
}

_non_empty_string(value) if {
	is_string(value)
	value != ""
}

_taggable := {t | some t in data.uae_data.aws_taggable_types.types}
