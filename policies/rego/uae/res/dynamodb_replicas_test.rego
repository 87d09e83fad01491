package uae.res.dynamodb_replicas_test

import data.lib.fixtures_test as fx
import data.uae.res.dynamodb_replicas

_table_inputs := {
	"billingMode": "PAY_PER_REQUEST",
	"hashKey": "entity_id",
	"attributes": [{"name": "entity_id", "type": "S"}],
	"pointInTimeRecovery": {"enabled": true},
}

_table(extra) := fx.aws("aws:dynamodb/table:Table", "online-features", object.union(_table_inputs, extra))

test_uae_res_006_allows_single_region_table if {
	count(dynamodb_replicas.deny) == 0 with input as fx.prod([_table({})])
}

test_uae_res_006_denies_table_with_replicas if {
	count(dynamodb_replicas.deny) == 1 with input as fx.prod([_table({"replicas": [{"regionName": "me-south-1"}]})])
}

test_uae_res_006_denies_table_replica_resource if {
	replica := fx.aws("aws:dynamodb/tableReplica:TableReplica", "features-bahrain", {
		"globalTableArn": fx.unknown,
	})
	count(dynamodb_replicas.deny) == 1 with input as fx.prod([_table({}), replica])
}
