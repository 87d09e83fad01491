package uae.k8s.gpu_taints_test

import data.lib.fixtures_test as fx
import data.uae.k8s.gpu_taints

_node_group(types, taints) := fx.aws("aws:eks/nodeGroup:NodeGroup", "gpu-training", {
	"clusterName": fx.unknown,
	"instanceTypes": types,
	"scalingConfig": {"minSize": 0, "desiredSize": 0, "maxSize": 8},
	"taints": taints,
})

test_uae_k8s_007_allows_tainted_gpu_and_untainted_cpu if {
	gpu := _node_group(["g6e.xlarge"], [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}])
	cpu := object.union(_node_group(["c7i.2xlarge"], []), {
		"name": "cpu",
		"urn": fx.urn("aws:eks/nodeGroup:NodeGroup", "cpu"),
	})
	count(gpu_taints.deny) == 0 with input as fx.prod([gpu, cpu])
}

test_uae_k8s_007_denies_untainted_gpu_group if {
	count(gpu_taints.deny) == 1 with input as fx.prod([_node_group(["g6.12xlarge"], [])])
}

test_uae_k8s_007_denies_prefer_no_schedule_taint if {
	count(gpu_taints.deny) == 1 with input as fx.prod([
		_node_group(["p5en.48xlarge"], [{"key": "nvidia.com/gpu", "effect": "PREFER_NO_SCHEDULE"}]),
	])
}
