package uae.res.providers_test

import data.lib.fixtures_test as fx
import data.uae.res.providers

_bahrain := object.union(fx.uae_provider, {
	"urn": "urn:pulumi:prod::uae-ml-platform::pulumi:providers:aws::bahrain",
	"name": "bahrain",
	"region": "me-south-1",
	"inputs": {"region": "me-south-1"},
})

_default_unset := object.union(fx.uae_provider, {
	"urn": "urn:pulumi:prod::uae-ml-platform::pulumi:providers:aws::default_7_51_1",
	"name": "default_7_51_1",
	"default": true,
	"op": null,
	"region": null,
	"inputs": {},
})

test_uae_res_001_allows_provider_in_home_region if {
	count(providers.deny) == 0 with input as fx.prod([])
}

test_uae_res_001_denies_provider_in_bahrain if {
	findings := providers.deny with input as object.union(fx.prod([]), {"providers": [fx.uae_provider, _bahrain]})
	{f.urn | some f in findings} == {_bahrain.urn}
}

test_uae_res_001_denies_default_provider_without_region if {
	findings := providers.deny with input as object.union(fx.prod([]), {"providers": [_default_unset]})
	{f.urn | some f in findings} == {_default_unset.urn}
}

test_uae_res_001_allows_kubernetes_provider if {
	k8s := {
		"urn": fx.k8s_provider_urn,
		"name": "eks",
		"package": "kubernetes",
		"default": false,
		"op": "create",
		"region": null,
		"inputs": {},
	}
	count(providers.deny) == 0 with input as object.union(fx.prod([]), {"providers": [fx.uae_provider, k8s]})
}
