package uae.enc.elasticache_test

import data.lib.fixtures_test as fx
import data.uae.enc.elasticache

_group_inputs := {
	"description": "Feast online store",
	"engine": "redis",
	"nodeType": "cache.r7g.large",
	"numCacheClusters": 2,
	"automaticFailoverEnabled": true,
	"multiAzEnabled": true,
}

_group(extra) := fx.aws(
	"aws:elasticache/replicationGroup:ReplicationGroup",
	"online-store",
	object.union(_group_inputs, extra),
)

test_uae_enc_008_allows_encrypted_with_auth_token if {
	group := _group({"transitEncryptionEnabled": true, "atRestEncryptionEnabled": true, "authToken": fx.secret})
	count(elasticache.deny) == 0 with input as fx.prod([group])
}

test_uae_enc_008_allows_encrypted_with_user_groups if {
	group := _group({
		"transitEncryptionEnabled": true,
		"atRestEncryptionEnabled": "true",
		"userGroupIds": [fx.unknown],
	})
	count(elasticache.deny) == 0 with input as fx.prod([group])
}

test_uae_enc_008_denies_unencrypted_unauthenticated if {
	findings := elasticache.deny with input as fx.prod([_group({})])
	count(findings) == 3
}

test_uae_enc_008_denies_no_transit_encryption if {
	group := _group({"transitEncryptionEnabled": false, "atRestEncryptionEnabled": true, "authToken": fx.secret})
	count(elasticache.deny) == 1 with input as fx.prod([group])
}
