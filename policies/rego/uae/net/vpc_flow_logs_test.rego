package uae.net.vpc_flow_logs_test

import data.lib.fixtures_test as fx
import data.uae.net.vpc_flow_logs

_vpc := fx.aws("aws:ec2/vpc:Vpc", "ml", {
	"cidrBlock": "10.42.0.0/16",
	"enableDnsHostnames": true,
	"enableDnsSupport": true,
})

test_uae_net_002_allows_vpc_with_flow_log if {
	log := fx.aws_deps(
		"aws:ec2/flowLog:FlowLog",
		"ml-flow",
		{"vpcId": fx.unknown, "trafficType": "ALL", "logDestinationType": "cloud-watch-logs"},
		{"vpcId": [_vpc.urn]},
	)
	count(vpc_flow_logs.deny) == 0 with input as fx.prod([_vpc, log])
}

test_uae_net_002_denies_vpc_without_flow_log if {
	findings := vpc_flow_logs.deny with input as fx.prod([_vpc])
	{f.urn | some f in findings} == {_vpc.urn}
}
