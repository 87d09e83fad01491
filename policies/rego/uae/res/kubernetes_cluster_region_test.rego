package uae.res.kubernetes_cluster_region_test

import data.lib.fixtures_test as fx
import data.uae.res.kubernetes_cluster_region

_k8s_provider(region, clusters) := {
	"urn": fx.k8s_provider_urn,
	"name": "eks",
	"package": "kubernetes",
	"default": false,
	"op": "create",
	"region": region,
	"inputs": {},
	"default_tags": {},
	"clusters": clusters,
}

_with_provider(doc, provider) := object.union(doc, {"providers": array.concat(doc.providers, [provider])})

_namespace := fx.k8s("kubernetes:core/v1:Namespace", "features", {"metadata": {"name": "features"}})

test_uae_res_016_allows_objects_on_a_home_cluster if {
	doc := _with_provider(fx.prod([_namespace]), _k8s_provider("me-central-1", [fx.urn("aws:eks/cluster:Cluster", "ml")]))
	count(kubernetes_cluster_region.deny) == 0 with input as doc
}

test_uae_res_016_denies_objects_on_an_unknown_cluster if {
	doc := _with_provider(fx.prod([_namespace]), _k8s_provider(null, []))
	f_findings := kubernetes_cluster_region.deny with input as doc
	some f in f_findings
	f.urn == fx.k8s_provider_urn
	contains(f.message, "region unknown")
}

test_uae_res_016_denies_objects_on_a_foreign_cluster if {
	doc := _with_provider(fx.prod([_namespace]), _k8s_provider("eu-west-1", [fx.urn("aws:eks/cluster:Cluster", "ml")]))
	f_findings := kubernetes_cluster_region.deny with input as doc
	some f in f_findings
	contains(f.message, "eu-west-1")
}

test_uae_res_016_allows_a_provider_without_objects if {
	doc := _with_provider(fx.prod([]), _k8s_provider(null, []))
	count(kubernetes_cluster_region.deny) == 0 with input as doc
}
