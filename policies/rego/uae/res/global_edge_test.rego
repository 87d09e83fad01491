package uae.res.global_edge_test

import data.lib.fixtures_test as fx
import data.uae.res.global_edge

test_uae_res_011_allows_regional_load_balancer if {
	alb := fx.aws("aws:lb/loadBalancer:LoadBalancer", "serving", {"loadBalancerType": "application", "internal": true})
	count(global_edge.deny) == 0 with input as fx.prod([alb])
}

test_uae_res_011_denies_cloudfront_distribution if {
	cdn := fx.aws("aws:cloudfront/distribution:Distribution", "cdn", {"enabled": true})
	count(global_edge.deny) == 1 with input as fx.prod([cdn])
}

test_uae_res_011_denies_global_accelerator if {
	ga := fx.aws("aws:globalaccelerator/accelerator:Accelerator", "edge", {"enabled": true})
	count(global_edge.deny) == 1 with input as fx.prod([ga])
}
