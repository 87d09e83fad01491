package uae.res.default_provider_test

import data.lib.fixtures_test as fx
import data.uae.res.default_provider

_on_default(region, source) := object.union(fx.aws("aws:sqs/queue:Queue", "events", {}), {
	"provider": "urn:pulumi:prod::uae-ml-platform::pulumi:providers:aws::default_7_51_1",
	"region": region,
	"region_source": source,
})

test_uae_res_003_allows_default_provider_configured_for_home if {
	count(default_provider.deny) == 0 with input as fx.prod([_on_default("me-central-1", "config")])
}

test_uae_res_003_denies_default_provider_without_region if {
	findings := default_provider.deny with input as fx.prod([_on_default(null, "unknown")])
	{f.urn | some f in findings} == {_on_default(null, "unknown").urn}
}

test_uae_res_003_denies_default_provider_in_other_region if {
	count(default_provider.deny) == 1 with input as fx.prod([_on_default("us-east-1", "config")])
}

_on_explicit(region) := object.union(fx.aws("aws:s3/bucket:Bucket", "shadow", {}), {
	"provider": "urn:pulumi:prod::uae-ml-platform::pulumi:providers:aws::ireland",
	"region": region,
	"region_source": "provider",
})

test_uae_res_003_allows_resource_on_explicit_home_provider if {
	count(default_provider.deny) == 0 with input as fx.prod([_on_explicit("me-central-1")])
}

test_uae_res_003_denies_resource_on_explicit_provider_elsewhere if {
	findings := default_provider.deny with input as fx.prod([_on_explicit("eu-west-1")])
	{f.urn | some f in findings} == {_on_explicit("eu-west-1").urn}
}
