package uae.enc.eks_secrets_test

import data.lib.fixtures_test as fx
import data.uae.enc.eks_secrets

_cluster_inputs := {
	"version": "1.33",
	"roleArn": fx.unknown,
	"vpcConfig": {"subnetIds": [fx.unknown], "endpointPrivateAccess": true, "endpointPublicAccess": false},
}

_cluster(extra) := fx.aws("aws:eks/cluster:Cluster", "ml", object.union(_cluster_inputs, extra))

test_uae_enc_006_allows_secrets_encryption_with_key if {
	cluster := _cluster({
		"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": fx.unknown}},
	})
	count(eks_secrets.deny) == 0 with input as fx.prod([cluster])
}

test_uae_enc_006_denies_missing_encryption_config if {
	count(eks_secrets.deny) == 1 with input as fx.prod([_cluster({})])
}

test_uae_enc_006_denies_encryption_config_without_key if {
	cluster := _cluster({"encryptionConfig": {"resources": ["secrets"], "provider": {}}})
	count(eks_secrets.deny) == 1 with input as fx.prod([cluster])
}
