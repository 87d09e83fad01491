package uae.res.provider_endpoints_test

import data.lib.fixtures_test as fx
import data.uae.res.provider_endpoints

_with_inputs(extra) := object.union(fx.uae_provider, {"inputs": object.union(fx.uae_provider.inputs, extra)})

_doc(provider) := object.union(fx.prod([]), {"providers": [provider]})

test_uae_res_014_allows_regional_and_vpc_endpoints if {
	endpoints := json.marshal([
		{"sts": "https://sts.me-central-1.amazonaws.com"},
		{"s3": "https://bucket.vpce-0a1b2c3d.s3.me-central-1.vpce.amazonaws.com"},
	])
	p := _with_inputs({"endpoints": endpoints, "stsRegion": "me-central-1"})
	count(provider_endpoints.deny) == 0 with input as _doc(p)
}

test_uae_res_014_allows_provider_without_overrides if {
	count(provider_endpoints.deny) == 0 with input as fx.prod([])
}

test_uae_res_014_denies_global_sts_endpoint if {
	p := _with_inputs({"endpoints": json.marshal([{"sts": "https://sts.amazonaws.com"}])})
	findings := provider_endpoints.deny with input as _doc(p)
	{f.urn | some f in findings} == {fx.uae_provider.urn}
}

test_uae_res_014_denies_endpoint_in_another_region if {
	p := _with_inputs({"endpoints": [{"s3": "https://s3.eu-west-1.amazonaws.com"}]})
	count(provider_endpoints.deny) == 1 with input as _doc(p)
}

test_uae_res_014_denies_lookalike_host if {
	p := _with_inputs({"endpoints": json.marshal([{"s3": "https://s3.me-central-1.amazonaws.com.attacker.example"}])})
	count(provider_endpoints.deny) == 1 with input as _doc(p)
}

test_uae_res_014_denies_sts_region_elsewhere if {
	p := _with_inputs({"stsRegion": "us-east-1"})
	count(provider_endpoints.deny) == 1 with input as _doc(p)
}

test_uae_res_014_denies_unreadable_endpoints if {
	p := _with_inputs({"endpoints": fx.unknown})
	count(provider_endpoints.deny) == 1 with input as _doc(p)
}
