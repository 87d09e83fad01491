package uae.k8s.image_registry_test

import data.lib.fixtures_test as fx
import data.uae.k8s.image_registry

_with_image(image) := fx.deployment("ranker", "serving", object.union(fx.good_pod_spec, {
	"containers": [object.union(fx.good_container, {"image": image})],
}))

test_uae_k8s_009_allows_in_region_ecr if {
	count(image_registry.deny) == 0 with input as fx.prod([
		_with_image("123456789012.dkr.ecr.me-central-1.amazonaws.com/ranker:1.4.2"),
	])
}

test_uae_k8s_009_allows_entirely_computed_image if {
	count(image_registry.deny) == 0 with input as fx.prod([_with_image(fx.unknown)])
}

test_uae_k8s_009_allows_computed_digest_on_in_region_host if {
	count(image_registry.deny) == 0 with input as fx.prod([
		_with_image(sprintf("123456789012.dkr.ecr.me-central-1.amazonaws.com/ranker@%s", [fx.unknown])),
	])
}

test_uae_k8s_009_denies_docker_hub if {
	count(image_registry.deny) == 1 with input as fx.prod([_with_image("nginx:1.27")])
}

test_uae_k8s_009_denies_ecr_in_other_region if {
	count(image_registry.deny) == 1 with input as fx.prod([
		_with_image("123456789012.dkr.ecr.eu-west-1.amazonaws.com/ranker:1.4.2"),
	])
}

test_uae_k8s_009_denies_computed_host if {
	count(image_registry.deny) == 1 with input as fx.prod([
		_with_image(sprintf("%s/ranker:1.4.2", [fx.unknown])),
	])
}

test_uae_k8s_009_denies_helm_image_object_from_quay if {
	release := fx.k8s("kubernetes:helm.sh/v3:Release", "kube-state-metrics", {
		"chart": "kube-state-metrics",
		"values": {"image": {"registry": "quay.io", "repository": "prometheus/kube-state-metrics", "tag": "v2.13.0"}},
	})
	count(image_registry.deny) == 1 with input as fx.prod([release])
}

_train_job(image) := fx.k8s("kubernetes:trainer.kubeflow.org/v1alpha1:TrainJob", "ranker-tune", {
	"metadata": {"name": "ranker-tune", "namespace": "training"},
	"spec": {"runtimeRef": {"name": "torch-distributed"}, "trainer": {
		"image": image, "command": ["torchrun", "train.py"], "numNodes": 2,
		"resourcesPerNode": {"requests": {"cpu": "8", "memory": "64Gi"}, "limits": {
			"cpu": "8",
			"memory": "64Gi",
			"nvidia.com/gpu": 1,
		}},
	}},
})

test_uae_k8s_009_allows_trainjob_trainer_from_ecr if {
	count(image_registry.deny) == 0 with input as fx.prod([_train_job(fx.good_container.image)])
}

test_uae_k8s_009_denies_trainjob_trainer_image_from_docker_hub if {
	job := _train_job("docker.io/pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime")
	findings := image_registry.deny with input as fx.prod([job])
	{f.urn | some f in findings} == {job.urn}
}
