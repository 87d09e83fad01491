# METADATA
# title: GPU node groups are tainted nvidia.com/gpu:NoSchedule
# description: >-
#   EKS node groups with accelerated instance types need the taint nvidia.com/gpu with effect
#   NO_SCHEDULE so that only pods that request GPUs (and tolerate it) land on costly GPU nodes.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-K8S-007
#   severity: medium
#   controls: ["ISO27001:A.8.9"]
#   remediation: >-
#     Add taints=[{key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE"}] to the node group.
package uae.k8s.gpu_taints

import data.lib

deny contains f if {
	some r in lib.live_of_type("aws:eks/nodeGroup:NodeGroup")
	some instance_type in lib.as_array(object.get(r.inputs, "instanceTypes", []))
	split(instance_type, ".")[0] in data.uae_data.instance_families.accelerated_families
	not _tainted(r)
	f := lib.finding("UAE-K8S-007", r, sprintf(
		"GPU node group %q (%s) has no nvidia.com/gpu NO_SCHEDULE taint",
		[r.name, instance_type],
	))
}

_tainted(r) if {
	some taint in lib.as_array(object.get(r.inputs, "taints", []))
	taint.key == "nvidia.com/gpu"
	taint.effect == "NO_SCHEDULE"
}
