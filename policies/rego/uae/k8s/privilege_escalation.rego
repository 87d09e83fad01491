# METADATA
# title: Containers disallow privilege escalation
# description: >-
#   Each container must set securityContext.allowPrivilegeEscalation false; the default (true)
#   lets setuid binaries gain privileges. Pod specs are found in any Kubernetes object; a value
#   unknown or secret at preview time cannot be verified and denies. Helm values that set
#   allowPrivilegeEscalation true (or "true") anywhere deny too.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-K8S-005
#   severity: high
#   controls: ["UAE-IAS", "ISO27001:A.8.2"]
#   remediation: Set securityContext.allowPrivilegeEscalation=false on every container.
package uae.k8s.privilege_escalation

import data.lib
import data.lib.k8s

deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	_must_set(c)
	not lib.opaque_along(c, ["securityContext", "allowPrivilegeEscalation"])
	not object.get(c, ["securityContext", "allowPrivilegeEscalation"], true) in {false, "false"}
	f := lib.finding("UAE-K8S-005", w.resource, sprintf(
		"%s %q container %q does not set allowPrivilegeEscalation: false",
		[w.resource.type, w.resource.name, k8s.container_name(c)],
	))
}

deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	kind := lib.opaque_along(c, ["securityContext", "allowPrivilegeEscalation"])
	f := lib.finding("UAE-K8S-005", w.resource, sprintf(
		"%s %q container %q: securityContext.allowPrivilegeEscalation cannot be verified at preview time (%s)",
		[w.resource.type, w.resource.name, k8s.container_name(c), kind],
	))
}

deny contains f if {
	some h in k8s.helm_values
	some [path, value] in k8s.helm_settings(h.values, "allowPrivilegeEscalation")
	lib.is_true(value)
	f := lib.finding("UAE-K8S-005", h.resource, sprintf("Helm release %q sets %s: true", [h.resource.name, path]))
}

# Containers that define their own pod must set it; one found by shape only (its pod settings live
# in a runtime elsewhere) is judged when it says something.
_must_set(c) if c.pod_settings_here

_must_set(c) if object.get(c, ["securityContext", "allowPrivilegeEscalation"], null) != null
