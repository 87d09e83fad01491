# METADATA
# title: No host network, PID or IPC namespaces
# description: >-
#   hostNetwork, hostPID and hostIPC let a pod see and reach the node's network stack, processes
#   and shared memory. Checked in every pod spec of any Kubernetes object and anywhere in Helm
#   release values, as true or "true"; a value unknown or secret at preview time denies too.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-K8S-002
#   severity: critical
#   controls: ["UAE-IAS", "ISO27001:A.8.2", "ISO27001:A.8.22"]
#   remediation: Remove hostNetwork, hostPID and hostIPC from the pod spec (or the chart values).
package uae.k8s.host_namespaces

import data.lib
import data.lib.k8s

deny contains f if {
	some w in k8s.workloads
	some field in _fields
	lib.is_true(object.get(w.spec, field, false))
	f := lib.finding("UAE-K8S-002", w.resource, sprintf("%s %q sets %s: true", [
		w.resource.type,
		w.resource.name,
		_where(w, field),
	]))
}

deny contains f if {
	some w in k8s.workloads
	some field in _fields
	kind := lib.opaque_kind(object.get(w.spec, field, null))
	f := lib.finding("UAE-K8S-002", w.resource, sprintf(
		"%s %q: %s cannot be verified at preview time (%s)",
		[w.resource.type, w.resource.name, _where(w, field), kind],
	))
}

deny contains f if {
	some h in k8s.helm_values
	some field in _fields
	some [path, value] in k8s.helm_settings(h.values, field)
	lib.is_true(value)
	f := lib.finding("UAE-K8S-002", h.resource, sprintf("Helm release %q sets %s: true", [h.resource.name, path]))
}

_fields := {"hostNetwork", "hostPID", "hostIPC"}

_where(w, field) := field if {
	w.path == ""
} else := sprintf("%s.%s", [w.path, field])
