# METADATA
# title: InferenceServices set resource limits and, in prod, at least two replicas
# description: >-
#   Each KServe predictor container (containers or the model/framework spec) needs
#   resources.limits for cpu and memory; in prod predictor.minReplicas must be at least 2 so one
#   replica can be lost (or drained for a node upgrade) without an outage.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-K8S-012
#   severity: medium
#   controls: ["ISO27001:A.8.9"]
#   remediation: Set predictor resources.limits (cpu, memory) and predictor.min_replicas >= 2 in prod.
package uae.k8s.inference_service

import data.lib
import data.lib.k8s

deny contains f if {
	some w in k8s.workload_containers
	w.component == "predictor"
	c := w.container
	some resource in ["cpu", "memory"]
	not lib.has_value(object.get(c, ["resources", "limits", resource], null))
	f := lib.finding("UAE-K8S-012", w.resource, sprintf(
		"InferenceService %q predictor %q has no %s limit",
		[w.resource.name, k8s.container_name(c), resource],
	))
}

deny contains f if {
	lib.prod_like
	some r in lib.live_of_type(k8s.inference_service_type)
	min_replicas := object.get(r.inputs, ["spec", "predictor", "minReplicas"], 1)
	not _at_least_two(min_replicas)
	f := lib.finding("UAE-K8S-012", r, sprintf(
		"InferenceService %q has predictor minReplicas %v in prod (at least 2 required)",
		[r.name, min_replicas],
	))
}

_at_least_two(n) if {
	is_number(n)
	n >= 2
}
