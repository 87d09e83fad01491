package uae.ops.stateful_deletion_test

import data.lib.fixtures_test as fx
import data.uae.ops.stateful_deletion

_replaced_cluster := object.union(fx.aws("aws:msk/cluster:Cluster", "features", {"kafkaVersion": "3.7.x"}), {
	"op": "replace",
	"replace_reasons": ["kafkaVersion"],
})

test_uae_ops_002_allows_update_in_prod if {
	bucket := object.union(fx.aws("aws:s3/bucket:Bucket", "lake", {}), {"op": "update"})
	count(stateful_deletion.deny) == 0 with input as fx.prod([bucket])
}

test_uae_ops_002_allows_replace_in_dev if {
	count(stateful_deletion.deny) == 0 with input as fx.doc("dev", [_replaced_cluster])
}

test_uae_ops_002_denies_replace_in_prod if {
	findings := stateful_deletion.deny with input as fx.prod([_replaced_cluster])
	{f.urn | some f in findings} == {_replaced_cluster.urn}
}

test_uae_ops_002_denies_delete_in_prod if {
	table := object.union(fx.aws("aws:dynamodb/table:Table", "online", {}), {"op": "delete"})
	count(stateful_deletion.deny) == 1 with input as fx.prod([table])
}

test_uae_ops_002_allows_replace_in_staging if {
	count(stateful_deletion.deny) == 0 with input as fx.doc("staging", [_replaced_cluster])
}

# An environment the platform does not know is judged like prod (fail closed).
test_uae_ops_002_denies_replace_in_unknown_environment if {
	findings := stateful_deletion.deny with input as fx.doc("team-a", [_replaced_cluster])
	{f.urn | some f in findings} == {_replaced_cluster.urn}
}
