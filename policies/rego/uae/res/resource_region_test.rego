package uae.res.resource_region_test

import data.lib.fixtures_test as fx
import data.uae.res.resource_region

_bucket(region) := fx.in_region(
	fx.aws("aws:s3/bucket:Bucket", "features", {"bucket": "features", "region": region}),
	region,
)

test_uae_res_002_allows_override_to_home_region if {
	count(resource_region.deny) == 0 with input as fx.prod([_bucket("me-central-1")])
}

test_uae_res_002_denies_override_to_other_region if {
	findings := resource_region.deny with input as fx.prod([_bucket("eu-west-1")])
	{f.urn | some f in findings} == {_bucket("eu-west-1").urn}
}

test_uae_res_002_denies_unknown_override if {
	count(resource_region.deny) == 1 with input as fx.prod([_bucket(fx.unknown)])
}
