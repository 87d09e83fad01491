package uae.enc.msk_test

import data.lib.fixtures_test as fx
import data.uae.enc.msk

_cluster(info) := fx.aws("aws:msk/cluster:Cluster", "features", {
	"kafkaVersion": "3.7.x",
	"numberOfBrokerNodes": 3,
	"brokerNodeGroupInfo": {"instanceType": "kafka.m7g.large", "clientSubnets": [fx.unknown]},
	"encryptionInfo": info,
	"clientAuthentication": {"sasl": {"iam": true}, "unauthenticated": false},
})

test_uae_enc_007_allows_tls_and_cmk if {
	info := {
		"encryptionInTransit": {"clientBroker": "TLS"},
		"encryptionAtRestKmsKeyArn": fx.unknown,
	}
	count(msk.deny) == 0 with input as fx.prod([_cluster(info)])
}

test_uae_enc_007_denies_plaintext_client_broker if {
	info := {
		"encryptionInTransit": {"clientBroker": "TLS_PLAINTEXT", "inCluster": true},
		"encryptionAtRestKmsKeyArn": fx.unknown,
	}
	count(msk.deny) == 1 with input as fx.prod([_cluster(info)])
}

test_uae_enc_007_denies_missing_encryption_info if {
	findings := msk.deny with input as fx.prod([_cluster({})])
	count(findings) == 2
}

test_uae_enc_007_denies_in_cluster_disabled if {
	info := {
		"encryptionInTransit": {"clientBroker": "TLS", "inCluster": false},
		"encryptionAtRestKmsKeyArn": "arn:aws:kms:me-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
	}
	count(msk.deny) == 1 with input as fx.prod([_cluster(info)])
}
