package uae.net.rds_public_test

import data.lib.fixtures_test as fx
import data.uae.net.rds_public

test_uae_net_005_allows_private_instance if {
	db := fx.aws("aws:rds/instance:Instance", "mlflow", {
		"engine": "postgres",
		"publiclyAccessible": false,
		"storageEncrypted": true,
	})
	count(rds_public.deny) == 0 with input as fx.prod([db])
}

test_uae_net_005_denies_public_cluster_instance if {
	db := fx.aws("aws:rds/clusterInstance:ClusterInstance", "registry-1", {
		"engine": "aurora-postgresql",
		"instanceClass": "db.r7g.large",
		"publiclyAccessible": true,
	})
	count(rds_public.deny) == 1 with input as fx.prod([db])
}
