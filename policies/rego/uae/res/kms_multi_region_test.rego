package uae.res.kms_multi_region_test

import data.lib.fixtures_test as fx
import data.uae.res.kms_multi_region

_key(extra) := fx.aws(
	"aws:kms/key:Key",
	"data",
	object.union({"description": "data at rest", "enableKeyRotation": true}, extra),
)

test_uae_res_007_allows_single_region_key if {
	count(kms_multi_region.deny) == 0 with input as fx.prod([_key({}), _key({"multiRegion": false})])
}

test_uae_res_007_denies_multi_region_key if {
	count(kms_multi_region.deny) == 1 with input as fx.prod([_key({"multiRegion": true})])
}

test_uae_res_007_denies_replica_key if {
	replica := fx.aws("aws:kms/replicaKey:ReplicaKey", "data-replica", {
		"primaryKeyArn": fx.unknown,
	})
	count(kms_multi_region.deny) == 1 with input as fx.prod([replica])
}
