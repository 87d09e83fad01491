# METADATA
# title: Pods that request GPUs tolerate the GPU taint
# description: >-
#   A pod whose containers request nvidia.com/gpu must tolerate nvidia.com/gpu:NoSchedule,
#   otherwise it can never be scheduled on the tainted GPU node groups.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-K8S-008
#   severity: low
#   controls: ["ISO27001:A.8.9"]
#   remediation: >-
#     Add tolerations [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}] to the pod spec.
package uae.k8s.gpu_tolerations

import data.lib
import data.lib.k8s

deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	_requests_gpu(c)
	not _tolerates(w.spec)
	f := lib.finding("UAE-K8S-008", w.resource, sprintf(
		"%s %q container %q requests nvidia.com/gpu but the pod does not tolerate the GPU taint",
		[w.resource.type, w.resource.name, k8s.container_name(c)],
	))
}

_requests_gpu(c) if {
	some kind in ["limits", "requests"]
	lib.has_value(object.get(c, ["resources", kind, "nvidia.com/gpu"], null))
}

_tolerates(spec) if {
	some t in lib.as_array(object.get(spec, "tolerations", []))
	_matches_key(t)
	object.get(t, "effect", "") in {"", "NoSchedule"}
}

_matches_key(t) if t.key == "nvidia.com/gpu"

_matches_key(t) if {
	object.get(t, "key", "") == ""
	t.operator == "Exists"
}
