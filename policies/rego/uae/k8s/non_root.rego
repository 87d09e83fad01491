# METADATA
# title: Containers run as non-root
# description: >-
#   Each container must run with runAsNonRoot true and a runAsUser other than 0, at container
#   level or inherited from the pod securityContext (container level wins). Pod specs are found in
#   any Kubernetes object; a setting unknown or secret at preview time cannot be verified and
#   denies. Helm values that set runAsUser 0 or runAsNonRoot false anywhere deny too.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-K8S-004
#   severity: high
#   controls: ["UAE-IAS", "ISO27001:A.8.2", "ISO27001:A.8.9"]
#   remediation: Set securityContext runAsNonRoot=true and runAsUser to a non-zero UID in the pod or container.
package uae.k8s.non_root

import data.lib
import data.lib.k8s

deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	c.pod_settings_here
	not k8s.opaque_setting(w.spec, c, "runAsNonRoot")
	not lib.is_true(k8s.effective(w.spec, c, "runAsNonRoot"))
	f := lib.finding("UAE-K8S-004", w.resource, sprintf(
		"%s %q container %q does not set runAsNonRoot: true",
		[w.resource.type, w.resource.name, k8s.container_name(c)],
	))
}

deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	_root_uid(k8s.effective(w.spec, c, "runAsUser"))
	f := lib.finding("UAE-K8S-004", w.resource, sprintf(
		"%s %q container %q runs as UID 0",
		[w.resource.type, w.resource.name, k8s.container_name(c)],
	))
}

deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	some field in ["runAsNonRoot", "runAsUser"]
	kind := k8s.opaque_setting(w.spec, c, field)
	f := lib.finding("UAE-K8S-004", w.resource, sprintf(
		"%s %q container %q: securityContext.%s cannot be verified at preview time (%s)",
		[w.resource.type, w.resource.name, k8s.container_name(c), field, kind],
	))
}

deny contains f if {
	some h in k8s.helm_values
	some [path, value] in k8s.helm_settings(h.values, "runAsUser")
	_root_uid(value)
	f := lib.finding("UAE-K8S-004", h.resource, sprintf("Helm release %q sets %s: 0 (root)", [h.resource.name, path]))
}

deny contains f if {
	some h in k8s.helm_values
	some [path, value] in k8s.helm_settings(h.values, "runAsNonRoot")
	value in {false, "false"}
	f := lib.finding("UAE-K8S-004", h.resource, sprintf("Helm release %q sets %s: false", [h.resource.name, path]))
}

_root_uid(0) := true

_root_uid("0") := true
