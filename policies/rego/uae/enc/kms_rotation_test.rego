package uae.enc.kms_rotation_test

import data.lib.fixtures_test as fx
import data.uae.enc.kms_rotation

test_uae_enc_009_allows_rotating_key_and_asymmetric_key if {
	rotating := fx.aws("aws:kms/key:Key", "data", {"enableKeyRotation": true, "deletionWindowInDays": 30})
	signing := fx.aws("aws:kms/key:Key", "signing", {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"})
	count(kms_rotation.deny) == 0 with input as fx.prod([rotating, signing])
}

test_uae_enc_009_denies_key_without_rotation if {
	key := fx.aws("aws:kms/key:Key", "data", {"deletionWindowInDays": 30})
	count(kms_rotation.deny) == 1 with input as fx.prod([key])
}
