package uae.enc.rds_test

import data.lib.fixtures_test as fx
import data.uae.enc.rds

test_uae_enc_010_allows_encrypted_instance if {
	db := fx.aws("aws:rds/instance:Instance", "mlflow", {
		"engine": "postgres",
		"instanceClass": "db.m7g.large",
		"storageEncrypted": true,
		"kmsKeyId": fx.unknown,
	})
	count(rds.deny) == 0 with input as fx.prod([db])
}

test_uae_enc_010_denies_unencrypted_cluster if {
	db := fx.aws("aws:rds/cluster:Cluster", "registry", {"engine": "aurora-postgresql"})
	count(rds.deny) == 1 with input as fx.prod([db])
}

test_uae_enc_010_denies_unknown_storage_encrypted if {
	db := fx.aws("aws:rds/instance:Instance", "mlflow", {
		"engine": "postgres",
		"storageEncrypted": fx.unknown,
	})
	count(rds.deny) == 1 with input as fx.prod([db])
}
