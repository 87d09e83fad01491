# Shared helpers over the normalized gate input (docs/gate-input.md).
# Package `lib` (file core.rego) so the contract's `data.lib.unknown` resolves.

# METADATA
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
package lib

# The value Pulumi uses for anything not known at preview time (data/sentinels.json, checked
# against the Pulumi SDK by policies/facts.py).
unknown := data.uae_data.sentinels.unknown

home_region := input.home_region if {
	is_string(input.home_region)
	input.home_region != ""
} else := data.uae_data.region.home_region

# The prod-only rules apply to prod and to every environment the platform does not know: an
# unrecognised environment name (a stack of another program, a typo) is judged like prod, never
# like dev (fail closed). `environment` comes from config `<project>:environment`, else the stack.
prod_like if {
	not _relaxed_environments[input.environment]
}

_relaxed_environments := {"dev", "staging"}

# The stack deploys at least one AWS resource: account-level controls (CloudTrail, GuardDuty)
# concern such stacks, not a Kubernetes-only stack.
deploys_aws if {
	some type in live_types
	startswith(type, "aws:")
}

# Each live resource's inputs as JSON text, computed once per evaluation: the cheap pre-filter
# that residency rules run before walking the inputs.
inputs_text := {r.urn: json.marshal(r.inputs) | some r in live_resources}

# Ops after which the resource no longer exists in the desired state.
removal_ops := {"delete", "delete-replaced", "discard", "remove-pending-replace"}

# Ops that destroy a resource's current physical instance.
destructive_ops := {"delete", "replace", "delete-replaced", "create-replacement"}

# Resources that will exist (or keep existing) after the update; reads are data sources.
live_resources contains r if {
	some r in input.resources
	_live(r)
}

_live(r) if {
	not r.op in removal_ops
	r.op != "read"
}

# Live resources grouped by type, computed once per evaluation (functions are not memoized):
# type -> {position in input.resources: resource}. Built in O(n log n): one sort of [type, position]
# pairs, then each type's run is sliced out of the sorted array. (object.union_n over per-resource
# singletons re-copies a type's growing object at each merge, quadratic in resources of one type;
# a comprehension per type rescans every resource once per type.)
_live_positions := sort([[r.type, i] | some i, r in input.resources; _live(r)])

# Where each type's run starts in _live_positions (the first entry, and every change of type).
_type_starts := [k | some k, entry in _live_positions; _starts_run(k, entry)]

_starts_run(0, _) := true

_starts_run(k, entry) if {
	k > 0
	_live_positions[k - 1][0] != entry[0]
}

_run_end(j) := _type_starts[j + 1] if {
	j + 1 < count(_type_starts)
} else := count(_live_positions)

_live_by_type := {_live_positions[start][0]: {entry[1]: input.resources[entry[1]] |
	some entry in array.slice(_live_positions, start, _run_end(j))
} |
	some j, start in _type_starts
}

# Live resources of one type (an object keyed by position): `some r in live_of_type(t)`, `count`.
live_of_type(type) := object.get(_live_by_type, type, {})

live_of_types(types) := [r | some type in types; some r in live_of_type(type)]

# Types with at least one live resource.
live_types := object.keys(_live_by_type)

# True when the value is the unknown sentinel.
is_unknown(value) if value == unknown

# What normalization leaves of a secret value (docs/gate-input.md): the value is never seen.
secret := data.uae_data.sentinels.secret

# "unknown" or "secret" when a value cannot be read at preview time. Where a verdict depends on
# such a value the rules treat it as non-compliant and say "cannot be verified at preview time"
# (docs/adr/0006-unknown-and-secret-values.md).
opaque_kind(value) := "unknown" if value == unknown

opaque_kind(value) := "secret" if value == secret

is_opaque(value) if opaque_kind(value)

# The opaque kind of the first unreadable value met following `path` (non-empty) from `obj`:
# ["securityContext", "privileged"] is opaque when securityContext or privileged is.
opaque_along(obj, path) := kind if {
	some i in numbers.range(1, count(path))
	kind := opaque_kind(object.get(obj, array.slice(path, 0, i), null))
}

# The reader's computed facts (the `network` rules, docs/gate-input.md) spell an unreadable value
# "unknown" or "secret" where raw inputs carry the sentinel or "[secret]": `unverifiable` gives the
# kind for either, and is undefined for a readable value (ADR 0006).
unverifiable(value) := opaque_kind(value) if {
	is_opaque(value)
} else := value if {
	value in {"unknown", "secret"}
}

# The one wording of an ADR 0006 finding: "<what> cannot be verified at preview time (<kind>)".
cannot_verify_text(kind) := sprintf("cannot be verified at preview time (%s)", [kind])

# "Is set" semantics: a computed value counts as set; missing, null, false, "" and empties do not.
has_value(value) if is_unknown(value)

has_value(value) if {
	is_string(value)
	value != ""
}

has_value(value) if is_number(value)

has_value(true) := true

has_value(value) if {
	not is_string(value)
	not is_boolean(value)
	not is_number(value)
	not is_null(value)
	count(value) > 0
}

# Literal truth: only the boolean true (or the string "true", which some schemas use) holds.
is_true(true) := true

is_true("true") := true

# The value as an array: arrays and sets as they are, null/missing empty, anything else wrapped.
as_array(value) := value if {
	is_array(value)
} else := [v | some v in value] if {
	is_set(value)
} else := [] if {
	is_null(value)
} else := [value]

# URNs of the resources a property of `r` depends on.
dependency_urns(r, property) := {u | some u in object.get(r, ["property_dependencies", property], [])}

# An object comprehension: both engines build it faster than the equivalent partial object rule.
resource_by_urn := {r.urn: r | some r in input.resources}

# Resources of one of `types` that `property` of `r` depends on.
dependencies_of_types(r, property, types) := {d |
	some u in dependency_urns(r, property)
	d := resource_by_urn[u]
	d.type in types
}

# The urn that stack-level findings are reported on.
stack_urn := urn if {
	some r in input.resources
	r.type == "pulumi:pulumi:Stack"
	urn := r.urn
} else := input.resources[0].urn if {
	count(input.resources) > 0
} else := sprintf(
	"urn:pulumi:%s::%s::pulumi:pulumi:Stack::%s-%s",
	[input.stack, input.project, input.project, input.stack],
)

finding(rule_id, r, message) := {
	"rule_id": rule_id,
	"urn": r.urn,
	"message": message,
	"resource_type": _type(r),
}

_type(r) := r.type if {
	is_string(r.type)
} else := sprintf("pulumi:providers:%s", [r.package]) if {
	is_string(r.package)
} else := "unknown"
