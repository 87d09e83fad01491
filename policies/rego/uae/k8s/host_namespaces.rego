package uae.k8s.host_namespaces

import data.lib
import data.lib.k8s

# METADATA
# title: No host network, PID or IPC namespaces
# description: >-
#   hostNetwork, hostPID and hostIPC let a pod see and reach the node's network stack, processes
#   and shared memory. Also checked in Helm release values.
# custom:
#   id: UAE-K8S-002
#   severity: critical
#   controls: ["UAE-IAS", "ISO27001:A.8.2", "ISO27001:A.8.22"]
#   remediation: Remove hostNetwork, hostPID and hostIPC from the pod spec (or the chart values).
deny contains f if {
	some w in k8s.workloads
	some field in _fields
	w.spec[field] == true
	f := lib.finding("UAE-K8S-002", w.resource, sprintf("%s %q sets %s: true", [w.resource.type, w.resource.name, field]))
}

deny contains f if {
	some h in k8s.helm_values
	walk(h.values, [path, value])
	count(path) > 0
	path[count(path) - 1] in _fields
	value == true
	f := lib.finding("UAE-K8S-002", h.resource, sprintf(
		"Helm release %q sets %s: true",
		[h.resource.name, concat(".", [sprintf("%v", [p]) | some p in path])],
	))
}

_fields := {"hostNetwork", "hostPID", "hostIPC"}
