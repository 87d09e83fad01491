package uae.res.ecr_replication_test

import data.lib.fixtures_test as fx
import data.uae.res.ecr_replication

_replication(regions) := fx.aws("aws:ecr/replicationConfiguration:ReplicationConfiguration", "registry", {
	"replicationConfiguration": {"rules": [
		{"destinations": [{"region": region, "registryId": "210987654321"} | some region in regions]},
	]},
})

test_uae_res_008_allows_cross_account_same_region if {
	count(ecr_replication.deny) == 0 with input as fx.prod([_replication(["me-central-1"])])
}

test_uae_res_008_denies_other_region_destination if {
	count(ecr_replication.deny) == 1 with input as fx.prod([_replication(["me-central-1", "eu-central-1"])])
}
