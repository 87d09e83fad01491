# METADATA
# title: Containers add no node-level Linux capabilities
# description: >-
#   Adding SYS_ADMIN, ALL, NET_ADMIN, SYS_PTRACE, SYS_MODULE, SYS_RAWIO, BPF or DAC_READ_SEARCH
#   (with or without the CAP_ prefix, any case) gives a container near-root power over the node.
#   Checked in every pod spec of any Kubernetes object (Checkov only sees the built-in workload
#   kinds) and in capabilities.add lists anywhere in Helm values; an add list that is unknown or
#   secret at preview time cannot be verified and denies.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-K8S-013
#   severity: critical
#   controls: ["UAE-IAS", "ISO27001:A.8.2", "ISO27001:A.8.9"]
#   remediation: Drop ALL capabilities and add back only narrow ones (e.g. NET_BIND_SERVICE).
package uae.k8s.capabilities

import data.lib
import data.lib.k8s

deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	some cap in _dangerous_added(object.get(c, ["securityContext", "capabilities", "add"], []))
	f := lib.finding("UAE-K8S-013", w.resource, sprintf(
		"%s %q container %q adds capability %s",
		[w.resource.type, w.resource.name, k8s.container_name(c), cap],
	))
}

deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	kind := lib.opaque_along(c, ["securityContext", "capabilities", "add"])
	f := lib.finding("UAE-K8S-013", w.resource, sprintf(
		"%s %q container %q: securityContext.capabilities.add cannot be verified at preview time (%s)",
		[w.resource.type, w.resource.name, k8s.container_name(c), kind],
	))
}

deny contains f if {
	some h in k8s.helm_values
	walk(h.values, [path, added])
	count(path) >= 2
	path[count(path) - 1] == "add"
	path[count(path) - 2] == "capabilities"
	some cap in _dangerous_added(added)
	f := lib.finding("UAE-K8S-013", h.resource, sprintf(
		"Helm release %q adds capability %s at %s",
		[h.resource.name, cap, concat(".", [sprintf("%v", [p]) | some p in path])],
	))
}

_dangerous := {"SYS_ADMIN", "ALL", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO", "BPF", "DAC_READ_SEARCH"}

_dangerous_added(added) := {cap |
	some raw in lib.as_array(added)
	is_string(raw)
	cap := trim_prefix(upper(raw), "CAP_")
	cap in _dangerous
}
