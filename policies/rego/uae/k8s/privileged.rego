package uae.k8s.privileged

import data.lib
import data.lib.k8s

# METADATA
# title: No privileged containers
# description: >-
#   A privileged container has every host capability and device; it can take over the node. Also
#   checked in Helm release values (any securityContext.privileged true).
# custom:
#   id: UAE-K8S-001
#   severity: critical
#   controls: ["UAE-IAS", "ISO27001:A.8.2", "ISO27001:A.8.9"]
#   remediation: Remove securityContext.privileged (or set it false) and add only the capabilities needed.
deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	c.securityContext.privileged == true
	f := lib.finding("UAE-K8S-001", w.resource, sprintf("%s %q container %q is privileged", [w.resource.type, w.resource.name, k8s.container_name(c)]))
}

deny contains f if {
	some h in k8s.helm_values
	some path in k8s.helm_paths_with(h.values, "securityContext", "privileged", true)
	f := lib.finding("UAE-K8S-001", h.resource, sprintf("Helm release %q sets %s: true", [h.resource.name, path]))
}
