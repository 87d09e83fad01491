# METADATA
# title: Containers declare CPU and memory requests and limits
# description: >-
#   Every container (ephemeral debug containers excepted, they cannot have resources) needs
#   resources.requests and resources.limits for cpu and memory, so the scheduler can place it and
#   a runaway container cannot starve its neighbours. Pod specs are found in any Kubernetes
#   object (CRDs, *Patch kinds, Lists) by their structure.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-K8S-006
#   severity: medium
#   controls: ["UAE-IAS", "ISO27001:A.8.9"]
#   remediation: Set resources.requests and resources.limits with cpu and memory on each container.
package uae.k8s.resources

import data.lib
import data.lib.k8s

deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	not startswith(c.container_path, "ephemeralContainers")
	missing := [sprintf("%s.%s", [kind, resource]) |
		some kind in ["requests", "limits"]
		some resource in ["cpu", "memory"]
		not lib.has_value(object.get(_resources(c), [kind, resource], null))
	]
	count(missing) > 0
	f := lib.finding("UAE-K8S-006", w.resource, sprintf(
		"%s %q container %q lacks %s",
		[w.resource.type, w.resource.name, k8s.container_name(c), concat(", ", missing)],
	))
}

# A Kubeflow TrainJob trainer states its resources per node.
_resources(c) := c.resources if {
	is_object(c.resources)
} else := object.get(c, "resourcesPerNode", {})
