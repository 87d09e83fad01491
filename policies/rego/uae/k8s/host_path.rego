# METADATA
# title: No hostPath volumes
# description: >-
#   hostPath volumes mount the node's filesystem into the pod, bypassing storage encryption and
#   isolation. Checked in every pod spec of any Kubernetes object (volumes unknown or secret at
#   preview time deny) and for any `hostPath` setting in Helm release values.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-K8S-003
#   severity: high
#   controls: ["UAE-IAS", "ISO27001:A.8.2", "ISO27001:A.8.9"]
#   remediation: Use emptyDir, a PersistentVolumeClaim (EBS/EFS, encrypted) or a projected volume.
package uae.k8s.host_path

import data.lib
import data.lib.k8s

deny contains f if {
	some w in k8s.workloads
	some volume in lib.as_array(object.get(w.spec, "volumes", []))
	is_object(volume)
	lib.has_value(object.get(volume, "hostPath", null))
	f := lib.finding("UAE-K8S-003", w.resource, sprintf(
		"%s %q mounts hostPath %v as volume %q",
		[w.resource.type, w.resource.name, object.get(volume, ["hostPath", "path"], "?"), object.get(volume, "name", "?")],
	))
}

deny contains f if {
	some w in k8s.workloads
	some kind in _opaque_volumes(w.spec)
	f := lib.finding("UAE-K8S-003", w.resource, sprintf(
		"%s %q: volumes cannot be verified at preview time (%s)",
		[w.resource.type, w.resource.name, kind],
	))
}

deny contains f if {
	some h in k8s.helm_values
	some [path, value] in k8s.helm_settings(h.values, "hostPath")
	_host_path_value(value)
	f := lib.finding("UAE-K8S-003", h.resource, sprintf(
		"Helm release %q sets hostPath at %s (%v)",
		[h.resource.name, path, object.get(value, "path", value)],
	))
}

# Kinds of unreadable values among the volumes: the list itself, an entry, or an entry's hostPath.
_opaque_volumes(spec) := {kind |
	some value in array.concat([object.get(spec, "volumes", null)], [v |
		some volume in lib.as_array(object.get(spec, "volumes", []))
		some v in [volume, _host_path(volume)]
	])
	kind := lib.opaque_kind(value)
}

_host_path(volume) := object.get(volume, "hostPath", null) if {
	is_object(volume)
} else := null

_host_path_value(value) if is_object(value)

_host_path_value(value) if {
	is_string(value)
	value != ""
	not lib.is_opaque(value)
}
