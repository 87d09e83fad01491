# METADATA
# title: No privileged containers
# description: >-
#   A privileged container has every host capability and device; it can take over the node. Pod
#   specs are found in any Kubernetes object (CRDs included); Helm values are searched for any
#   `privileged` setting (securityContext, containerSecurityContext, ...), true or "true". A
#   privileged setting that is unknown or secret at preview time cannot be verified and denies.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-K8S-001
#   severity: critical
#   controls: ["UAE-IAS", "ISO27001:A.8.2", "ISO27001:A.8.9"]
#   remediation: Remove securityContext.privileged (or set it false) and add only the capabilities needed.
package uae.k8s.privileged

import data.lib
import data.lib.k8s

deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	lib.is_true(object.get(c, ["securityContext", "privileged"], false))
	f := lib.finding("UAE-K8S-001", w.resource, sprintf("%s %q container %q is privileged", [
		w.resource.type,
		w.resource.name,
		k8s.container_name(c),
	]))
}

deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	kind := lib.opaque_along(c, ["securityContext", "privileged"])
	f := lib.finding("UAE-K8S-001", w.resource, sprintf(
		"%s %q container %q: securityContext.privileged cannot be verified at preview time (%s)",
		[w.resource.type, w.resource.name, k8s.container_name(c), kind],
	))
}

deny contains f if {
	some h in k8s.helm_values
	some [path, value] in k8s.helm_settings(h.values, "privileged")
	lib.is_true(value)
	f := lib.finding("UAE-K8S-001", h.resource, sprintf("Helm release %q sets %s: true", [h.resource.name, path]))
}
