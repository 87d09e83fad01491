package uae.iam.msk_client_auth_test

import data.lib.fixtures_test as fx
import data.uae.iam.msk_client_auth

_cluster(auth) := fx.aws("aws:msk/cluster:Cluster", "features", {
	"kafkaVersion": "3.7.x",
	"numberOfBrokerNodes": 3,
	"clientAuthentication": auth,
})

test_uae_iam_004_allows_iam_auth if {
	count(msk_client_auth.deny) == 0 with input as fx.prod([_cluster({"sasl": {"iam": true}})])
}

test_uae_iam_004_denies_unauthenticated if {
	count(msk_client_auth.deny) == 1 with input as fx.prod([_cluster({"sasl": {"iam": true}, "unauthenticated": true})])
}
