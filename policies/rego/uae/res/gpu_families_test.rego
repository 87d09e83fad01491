package uae.res.gpu_families_test

import data.lib.fixtures_test as fx
import data.uae.res.gpu_families

_node_group(types) := fx.aws("aws:eks/nodeGroup:NodeGroup", "gpu-training", {
	"clusterName": fx.unknown,
	"instanceTypes": types,
	"scalingConfig": {"minSize": 0, "desiredSize": 0, "maxSize": 8},
	"taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}],
})

test_uae_res_012_allows_offered_gpu_and_cpu_families if {
	template := fx.aws("aws:ec2/launchTemplate:LaunchTemplate", "cpu", {"instanceType": "c7i.2xlarge"})
	count(gpu_families.deny) == 0 with input as fx.prod([
		_node_group(["g6e.xlarge", "g6.12xlarge", "p5en.48xlarge", "m7i.xlarge"]),
		template,
	])
}

test_uae_res_012_denies_p4d_node_group if {
	findings := gpu_families.deny with input as fx.prod([_node_group(["g5.xlarge", "p4d.24xlarge"])])
	count(findings) == 1
}

test_uae_res_012_denies_g4dn_instance if {
	instance := fx.aws("aws:ec2/instance:Instance", "notebook", {
		"instanceType": "g4dn.xlarge",
		"ami": "ami-0abcdef1234567890",
	})
	count(gpu_families.deny) == 1 with input as fx.prod([instance])
}

test_uae_res_012_denies_unknown_instance_type if {
	template := fx.aws("aws:ec2/launchTemplate:LaunchTemplate", "gpu", {
		"instanceType": fx.unknown,
	})
	count(gpu_families.deny) == 1 with input as fx.prod([template])
}

test_uae_res_012_denies_sagemaker_inf2_variant if {
	config := fx.aws("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "llm", {
		"productionVariants": [{"variantName": "main", "instanceType": "ml.inf2.xlarge"}],
	})
	count(gpu_families.deny) == 1 with input as fx.prod([config])
}
