package uae.iam.access_keys_test

import data.lib.fixtures_test as fx
import data.uae.iam.access_keys

test_uae_iam_003_allows_deleting_access_key if {
	key := object.union(fx.aws("aws:iam/accessKey:AccessKey", "legacy-ci", {"user": "ci"}), {"op": "delete"})
	count(access_keys.deny) == 0 with input as fx.prod([key])
}

test_uae_iam_003_denies_access_key if {
	key := fx.aws("aws:iam/accessKey:AccessKey", "ci", {"user": "ci"})
	count(access_keys.deny) == 1 with input as fx.prod([key])
}
