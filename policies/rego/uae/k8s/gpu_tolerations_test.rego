package uae.k8s.gpu_tolerations_test

import data.lib.fixtures_test as fx
import data.uae.k8s.gpu_tolerations

_gpu_container := object.union(fx.good_container, {"resources": {
	"requests": {"cpu": "4", "memory": "32Gi", "nvidia.com/gpu": 1},
	"limits": {"cpu": "8", "memory": "64Gi", "nvidia.com/gpu": 1},
}})

_job(tolerations) := fx.k8s("kubernetes:batch/v1:Job", "finetune", {
	"metadata": {"name": "finetune", "namespace": "training"},
	"spec": {"backoffLimit": 2, "template": {
		"spec": object.union(fx.good_pod_spec, {
			"containers": [_gpu_container],
			"restartPolicy": "Never",
			"tolerations": tolerations,
		}),
	}},
})

test_uae_k8s_008_allows_gpu_job_with_toleration if {
	count(gpu_tolerations.deny) == 0 with input as fx.prod([
		_job([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]),
	])
}

test_uae_k8s_008_denies_gpu_job_without_toleration if {
	count(gpu_tolerations.deny) == 1 with input as fx.prod([_job([])])
}
