package uae.k8s.host_path

import data.lib
import data.lib.k8s

# METADATA
# title: No hostPath volumes
# description: >-
#   hostPath volumes mount the node's filesystem into the pod, bypassing storage encryption and
#   isolation. Also checked in Helm release values (volumes[].hostPath).
# custom:
#   id: UAE-K8S-003
#   severity: high
#   controls: ["UAE-IAS", "ISO27001:A.8.2", "ISO27001:A.8.9"]
#   remediation: Use emptyDir, a PersistentVolumeClaim (EBS/EFS, encrypted) or a projected volume.
deny contains f if {
	some w in k8s.workloads
	some volume in lib.as_array(object.get(w.spec, "volumes", []))
	volume.hostPath
	f := lib.finding("UAE-K8S-003", w.resource, sprintf(
		"%s %q mounts hostPath %v as volume %q",
		[w.resource.type, w.resource.name, object.get(volume.hostPath, "path", "?"), object.get(volume, "name", "?")],
	))
}

deny contains f if {
	some h in k8s.helm_values
	walk(h.values, [path, value])
	count(path) >= 3
	path[count(path) - 1] == "hostPath"
	path[count(path) - 3] == "volumes"
	is_object(value)
	f := lib.finding("UAE-K8S-003", h.resource, sprintf(
		"Helm release %q mounts hostPath %v",
		[h.resource.name, object.get(value, "path", "?")],
	))
}
