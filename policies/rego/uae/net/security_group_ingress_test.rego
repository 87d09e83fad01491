package uae.net.security_group_ingress_test

import data.lib.fixtures_test as fx
import data.uae.net.security_group_ingress

_sg(rules) := fx.with_rules(
	fx.aws("aws:ec2/securityGroup:SecurityGroup", "ingress-alb", {"vpcId": fx.unknown}),
	"security_group",
	array.concat(rules, [fx.net_rule("egress", "-1", 0, 65535, "internet")]),
)

test_uae_net_001_allows_https_from_internet_and_ssh_from_vpc if {
	sg := _sg([fx.net_rule("ingress", "tcp", 443, 443, "internet"), fx.net_rule("ingress", "tcp", 22, 22, "limited")])
	count(security_group_ingress.deny) == 0 with input as fx.prod([sg])
}

test_uae_net_001_denies_ssh_range_from_internet if {
	sg := _sg([fx.net_rule("ingress", "tcp", 0, 1024, "internet")])
	count(security_group_ingress.deny) == 1 with input as fx.prod([sg])
}

test_uae_net_001_denies_all_protocols_rule if {
	rule := fx.with_rules(
		fx.aws("aws:ec2/securityGroupRule:SecurityGroupRule", "all-in", {"type": "ingress"}),
		"security_group", [fx.net_rule("ingress", "-1", 0, 65535, "internet")],
	)
	count(security_group_ingress.deny) == 1 with input as fx.prod([rule])
}

test_uae_net_001_allows_egress_rule if {
	rule := fx.with_rules(
		fx.aws("aws:ec2/securityGroupRule:SecurityGroupRule", "all-out", {"type": "egress"}),
		"security_group", [fx.net_rule("egress", "-1", 0, 65535, "internet")],
	)
	count(security_group_ingress.deny) == 0 with input as fx.prod([rule])
}

test_uae_net_001_denies_unverifiable_source_unless_https_only if {
	secret_ssh := _sg([fx.net_rule("ingress", "tcp", 22, 22, "secret")])
	unknown_https := _sg([fx.net_rule("ingress", "tcp", 443, 443, "unknown")])
	count(security_group_ingress.deny) == 0 with input as fx.prod([unknown_https])
	f_findings := security_group_ingress.deny with input as fx.prod([secret_ssh])
	some f in f_findings
	contains(f.message, "cannot be verified at preview time (secret)")
}

test_uae_net_001_denies_internet_rule_with_unknown_ports if {
	sg := _sg([fx.net_rule("ingress", "tcp", "unknown", "unknown", "internet")])
	f_findings := security_group_ingress.deny with input as fx.prod([sg])
	some f in f_findings
	contains(f.message, "cannot be verified at preview time (unknown)")
}
