package uae.net.eks_endpoint_test

import data.lib.fixtures_test as fx
import data.uae.net.eks_endpoint

_cluster(vpc_config) := fx.aws("aws:eks/cluster:Cluster", "ml", {
	"version": "1.33",
	"roleArn": fx.unknown,
	"vpcConfig": object.union({"subnetIds": [fx.unknown]}, vpc_config),
})

test_uae_net_004_allows_private_endpoint_in_prod if {
	count(eks_endpoint.deny) == 0 with input as fx.prod([
		_cluster({"endpointPrivateAccess": true, "endpointPublicAccess": false}),
	])
}

test_uae_net_004_allows_named_cidr_in_dev if {
	cluster := _cluster({"endpointPublicAccess": true, "publicAccessCidrs": ["203.0.113.0/24"]})
	count(eks_endpoint.deny) == 0 with input as fx.doc("dev", [cluster])
}

test_uae_net_004_denies_default_public_endpoint_in_prod if {
	count(eks_endpoint.deny) == 1 with input as fx.prod([_cluster({})])
}

test_uae_net_004_denies_public_endpoint_with_cidrs_in_staging if {
	cluster := _cluster({"endpointPublicAccess": true, "publicAccessCidrs": ["203.0.113.0/24"]})
	count(eks_endpoint.deny) == 1 with input as fx.doc("staging", [cluster])
}

test_uae_net_004_denies_open_endpoint_in_dev if {
	count(eks_endpoint.deny) == 1 with input as fx.doc("dev", [_cluster({"endpointPublicAccess": true})])
}
