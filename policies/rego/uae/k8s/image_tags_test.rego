package uae.k8s.image_tags_test

import data.lib.fixtures_test as fx
import data.uae.k8s.image_tags

_ecr := "123456789012.dkr.ecr.me-central-1.amazonaws.com"

_with_image(image) := fx.deployment("ranker", "serving", object.union(fx.good_pod_spec, {
	"containers": [object.union(fx.good_container, {"image": image})],
}))

test_uae_k8s_010_allows_digest_in_prod if {
	count(image_tags.deny) == 0 with input as fx.prod([
		_with_image(sprintf(
			"%s/ranker:1.4.2@sha256:3f5ad4d7c0e1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7",
			[_ecr],
		)),
	])
}

test_uae_k8s_010_allows_tag_in_dev if {
	count(image_tags.deny) == 0 with input as fx.doc("dev", [_with_image(sprintf("%s/ranker:1.4.2", [_ecr]))])
}

test_uae_k8s_010_denies_latest_in_dev if {
	count(image_tags.deny) == 1 with input as fx.doc("dev", [_with_image(sprintf("%s/ranker:latest", [_ecr]))])
}

test_uae_k8s_010_denies_untagged_in_staging if {
	count(image_tags.deny) == 1 with input as fx.doc("staging", [_with_image(sprintf("%s/ranker", [_ecr]))])
}

test_uae_k8s_010_denies_tag_without_digest_in_prod if {
	findings := image_tags.deny with input as fx.prod([_with_image(sprintf("%s/ranker:1.4.2", [_ecr]))])
	count(findings) == 1
}

_kserve_release(tag) := fx.k8s("kubernetes:helm.sh/v3:Release", "kserve", {
	"chart": "kserve",
	"values": {"kserve": {"controller": {"image": sprintf("%s/mirror/kserve-controller", [_ecr]), "tag": tag}}},
})

test_uae_k8s_010_allows_split_image_whose_tag_carries_the_digest if {
	count(image_tags.deny) == 0 with input as fx.prod([
		_kserve_release("v0.21.0@sha256:3f5ad4d7c0e1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7"),
	])
}

test_uae_k8s_010_denies_split_image_with_tag_only_in_prod if {
	count(image_tags.deny) == 1 with input as fx.prod([_kserve_release("v0.21.0")])
}

_prometheus_release(image) := fx.k8s("kubernetes:helm.sh/v3:Release", "kube-prometheus-stack", {
	"chart": "kube-prometheus-stack",
	"values": {"prometheus": {"prometheusSpec": {"image": image}}},
})

test_uae_k8s_010_allows_helm_image_object_with_sha if {
	image := {
		"registry": _ecr,
		"repository": "mirror/prometheus",
		"tag": "v3.7.3",
		"sha": "3f5ad4d7c0e1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7",
	}
	count(image_tags.deny) == 0 with input as fx.prod([_prometheus_release(image)])
}

test_uae_k8s_010_denies_helm_image_object_without_sha_in_prod if {
	image := {"registry": _ecr, "repository": "mirror/prometheus", "tag": "v3.7.3"}
	count(image_tags.deny) == 1 with input as fx.prod([_prometheus_release(image)])
}
