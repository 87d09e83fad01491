package uae.net.security_group_ingress_test

import data.lib.fixtures_test as fx
import data.uae.net.security_group_ingress

_sg(ingress) := fx.aws("aws:ec2/securityGroup:SecurityGroup", "ingress-alb", {
	"vpcId": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
	"ingress": ingress,
	"egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
})

test_uae_net_001_allows_https_from_internet_and_ssh_from_vpc if {
	sg := _sg([
		{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"], "ipv6CidrBlocks": ["::/0"]},
		{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.42.0.0/16"]},
	])
	count(security_group_ingress.deny) == 0 with input as fx.prod([sg])
}

test_uae_net_001_denies_ssh_range_from_internet if {
	sg := _sg([{"protocol": "tcp", "fromPort": 0, "toPort": 1024, "cidrBlocks": ["0.0.0.0/0"]}])
	count(security_group_ingress.deny) == 1 with input as fx.prod([sg])
}

test_uae_net_001_denies_all_protocols_rule if {
	rule := fx.aws("aws:ec2/securityGroupRule:SecurityGroupRule", "all-in", {"type": "ingress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"], "securityGroupId": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"})
	count(security_group_ingress.deny) == 1 with input as fx.prod([rule])
}

test_uae_net_001_denies_vpc_ingress_rule_ipv6_rdp if {
	rule := fx.aws("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "rdp", {"securityGroupId": "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "cidrIpv6": "::/0", "ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389})
	count(security_group_ingress.deny) == 1 with input as fx.prod([rule])
}

test_uae_net_001_allows_egress_rule if {
	rule := fx.aws("aws:ec2/securityGroupRule:SecurityGroupRule", "all-out", {"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"], "securityGroupId": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"})
	count(security_group_ingress.deny) == 0 with input as fx.prod([rule])
}
