package uae.k8s.non_root

import data.lib
import data.lib.k8s

# METADATA
# title: Containers run as non-root
# description: >-
#   Each container must run with runAsNonRoot true and a runAsUser other than 0, at container
#   level or inherited from the pod securityContext (container level wins).
# custom:
#   id: UAE-K8S-004
#   severity: high
#   controls: ["UAE-IAS", "ISO27001:A.8.2", "ISO27001:A.8.9"]
#   remediation: Set securityContext runAsNonRoot=true and runAsUser to a non-zero UID in the pod or container.
deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	_effective(w.spec, c, "runAsNonRoot") != true
	f := lib.finding("UAE-K8S-004", w.resource, sprintf(
		"%s %q container %q does not set runAsNonRoot: true",
		[w.resource.type, w.resource.name, k8s.container_name(c)],
	))
}

deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	_effective(w.spec, c, "runAsUser") == 0
	f := lib.finding("UAE-K8S-004", w.resource, sprintf(
		"%s %q container %q runs as UID 0",
		[w.resource.type, w.resource.name, k8s.container_name(c)],
	))
}

# Container-level setting wins over the pod's; null when neither sets it.
_effective(spec, container, field) := value if {
	value := object.get(container, ["securityContext", field], null)
	not is_null(value)
} else := object.get(spec, ["securityContext", field], null)
