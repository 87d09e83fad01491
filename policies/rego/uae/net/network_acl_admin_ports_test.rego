package uae.net.network_acl_admin_ports_test

import data.lib.fixtures_test as fx
import data.uae.net.network_acl_admin_ports

_acl(rules) := fx.with_rules(fx.aws("aws:ec2/networkAcl:NetworkAcl", "private", {}), "network_acl", rules)

test_uae_net_006_allows_https_from_internet_and_ssh_from_the_vpc if {
	acl := _acl([fx.net_rule("ingress", "tcp", 443, 443, "internet"), fx.net_rule("ingress", "tcp", 22, 22, "limited")])
	count(network_acl_admin_ports.deny) == 0 with input as fx.prod([acl])
}

test_uae_net_006_denies_all_traffic_from_internet if {
	acl := _acl([fx.net_rule("ingress", "-1", 0, 65535, "internet")])
	count(network_acl_admin_ports.deny) == 2 with input as fx.prod([acl])
}

test_uae_net_006_allows_deny_entries_and_egress if {
	deny_rule := object.union(fx.net_rule("ingress", "tcp", 22, 22, "internet"), {"action": "deny"})
	acl := _acl([deny_rule, fx.net_rule("egress", "-1", 0, 65535, "internet")])
	count(network_acl_admin_ports.deny) == 0 with input as fx.prod([acl])
}

test_uae_net_006_denies_secret_source_on_rdp if {
	acl := _acl([fx.net_rule("ingress", "tcp", 3389, 3389, "secret")])
	f_findings := network_acl_admin_ports.deny with input as fx.prod([acl])
	some f in f_findings
	contains(f.message, "cannot be verified at preview time (secret)")
}
