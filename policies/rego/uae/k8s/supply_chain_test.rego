package uae.k8s.supply_chain_test

import data.lib.fixtures_test as fx
import data.uae.k8s.supply_chain

_ecr := "123456789012.dkr.ecr.me-central-1.amazonaws.com"

_release(name, inputs) := fx.k8s("kubernetes:helm.sh/v3:Release", name, object.union({"version": "1.2.3"}, inputs))

_train_job(image) := fx.k8s("kubernetes:trainer.kubeflow.org/v1alpha1:TrainJob", "credit-risk-train", {
	"metadata": {"name": "credit-risk-train", "namespace": "training"},
	"spec": {"runtimeRef": {"name": "torch-distributed-gpu"}, "trainer": {"image": image, "numNodes": 2}},
})

test_uae_k8s_015_allows_in_region_oci_chart if {
	release := _release("kserve", {"chart": sprintf("oci://%s/uae-ml-prod/charts/kserve", [_ecr])})
	count(supply_chain.deny) == 0 with input as fx.prod([release])
}

test_uae_k8s_015_allows_computed_chart_and_local_path if {
	computed := _release("computed", {"chart": fx.unknown})
	local := _release("local", {"chart": "./charts/platform-alerts"})
	count(supply_chain.deny) == 0 with input as fx.prod([computed, local])
}

test_uae_k8s_015_allows_public_chart_in_dev if {
	release := _release("kserve", {"chart": "oci://ghcr.io/kserve/charts/kserve"})
	count(supply_chain.deny) == 0 with input as fx.doc("dev", [release])
}

test_uae_k8s_015_allows_in_region_image_in_custom_resource if {
	count(supply_chain.deny) == 0 with input as fx.prod([
		_cache(sprintf("%s/uae-ml-prod/mirror/cache@sha256:%s", [_ecr, "ab"])),
	])
}

test_uae_k8s_015_denies_oci_chart_outside_ecr if {
	release := _release("kserve", {"chart": "oci://ghcr.io/kserve/charts/kserve"})
	count(supply_chain.deny) == 1 with input as fx.prod([release])
}

test_uae_k8s_015_denies_ecr_chart_in_another_region if {
	release := _release("kserve", {"chart": "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/charts/kserve"})
	count(supply_chain.deny) == 1 with input as fx.prod([release])
}

test_uae_k8s_015_denies_https_repository_and_alias if {
	by_repo := _release("cert-manager", {
		"chart": "cert-manager",
		"repositoryOpts": {"repo": "https://charts.jetstack.io"},
	})
	by_alias := _release("redis", {"chart": "bitnami/redis"})
	count(supply_chain.deny) == 2 with input as fx.prod([by_repo, by_alias])
}

test_uae_k8s_015_denies_unknown_environment_like_prod if {
	release := _release("kserve", {"chart": "https://kserve.github.io/charts/kserve-0.21.0.tgz"})
	count(supply_chain.deny) == 1 with input as fx.doc("qa", [release])
}

# A custom resource that names an image outside any container shape (a model cache warmer).
_cache(image) := fx.k8s("kubernetes:cache.platform.example/v1:ModelCache", "credit-risk-cache", {
	"metadata": {"name": "credit-risk-cache", "namespace": "serving"},
	"spec": {"warmer": {"image": image}, "models": ["credit-risk"]},
})

test_uae_k8s_015_denies_public_image_in_custom_resource if {
	findings := supply_chain.deny with input as fx.prod([_cache("docker.io/library/busybox:1.36")])
	count(findings) == 1
	some f in findings
	contains(f.message, "spec.warmer.image")
}

test_uae_k8s_015_denies_computed_host_in_custom_resource if {
	count(supply_chain.deny) == 1 with input as fx.prod([_cache(sprintf("%s/cache:1", [fx.unknown]))])
}

test_uae_k8s_015_allows_recognised_container_left_to_uae_k8s_009 if {
	job := fx.k8s("kubernetes:trainer.kubeflow.org/v1alpha1:TrainJob", "credit-risk-train", {
		"metadata": {"name": "credit-risk-train", "namespace": "training"},
		"spec": {"trainer": {"image": "docker.io/pytorch/pytorch:2.7.1", "command": ["torchrun"], "numNodes": 2}},
	})
	count(supply_chain.deny) == 0 with input as fx.prod([job])
}
