package uae.res.subnets_test

import data.lib.fixtures_test as fx
import data.uae.res.subnets

_subnet(inputs) := fx.aws(
	"aws:ec2/subnet:Subnet",
	"private-a",
	object.union({"cidrBlock": "10.42.0.0/19", "vpcId": fx.unknown}, inputs),
)

test_uae_res_004_allows_uae_zones if {
	count(subnets.deny) == 0 with input as fx.prod([
		_subnet({"availabilityZone": "me-central-1a"}),
		_subnet({"availabilityZoneId": "mec1-az3"}),
		_subnet({}),
	])
}

test_uae_res_004_denies_bahrain_zone if {
	count(subnets.deny) == 1 with input as fx.prod([_subnet({"availabilityZone": "me-south-1a"})])
}

test_uae_res_004_denies_foreign_zone_id if {
	count(subnets.deny) == 1 with input as fx.prod([_subnet({"availabilityZoneId": "mes1-az1"})])
}

test_uae_res_004_denies_unknown_zone if {
	count(subnets.deny) == 1 with input as fx.prod([_subnet({"availabilityZone": fx.unknown})])
}
