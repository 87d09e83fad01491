package uae.res.backup_copy_test

import data.lib.fixtures_test as fx
import data.uae.res.backup_copy

_vault(region) := fx.in_region(
	fx.aws("aws:backup/vault:Vault", sprintf("vault-%s", [region]), {"kmsKeyArn": fx.unknown}),
	region,
)

_copy_rule(arn) := {
	"ruleName": "daily",
	"targetVaultName": "primary",
	"schedule": "cron(0 1 * * ? *)",
	"copyActions": [{"destinationVaultArn": arn}],
}

_plan(arn, vault_urns) := fx.aws_deps(
	"aws:backup/plan:Plan",
	"daily",
	{"rules": [_copy_rule(arn)]},
	{"rules": vault_urns},
)

test_uae_res_009_allows_copy_to_home_vault_arn if {
	count(backup_copy.deny) == 0 with input as fx.prod([
		_plan("arn:aws:backup:me-central-1:123456789012:backup-vault:secondary", []),
	])
}

test_uae_res_009_allows_copy_to_home_vault_resource if {
	count(backup_copy.deny) == 0 with input as fx.prod([
		_vault("me-central-1"),
		_plan(fx.unknown, [_vault("me-central-1").urn]),
	])
}

test_uae_res_009_denies_copy_to_other_region_arn if {
	count(backup_copy.deny) == 1 with input as fx.prod([
		_plan("arn:aws:backup:eu-west-1:123456789012:backup-vault:dr", []),
	])
}

test_uae_res_009_denies_copy_to_other_region_vault_resource if {
	count(backup_copy.deny) == 1 with input as fx.prod([
		_vault("me-south-1"),
		_plan(fx.unknown, [_vault("me-south-1").urn]),
	])
}
