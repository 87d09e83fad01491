package uae.net.security_group_ingress

import data.lib

# METADATA
# title: No security group ingress from the internet except HTTPS
# description: >-
#   Ingress from 0.0.0.0/0 or ::/0 is allowed only for TCP port 443 exactly. All-protocol rules
#   ("-1") and any range that includes SSH (22) or RDP (3389) are always denied. Covers inline
#   SecurityGroup ingress, SecurityGroupRule (type ingress) and vpc SecurityGroupIngressRule.
# custom:
#   id: UAE-NET-001
#   severity: critical
#   controls: ["UAE-IAS", "ISO27001:A.8.20", "ISO27001:A.8.22"]
#   remediation: >-
#     Restrict the source to known CIDRs or security groups; reach nodes through SSM Session
#     Manager rather than SSH/RDP.
deny contains f if {
	some rule in _open_rules
	not _https_only(rule)
	f := lib.finding("UAE-NET-001", rule.resource, sprintf(
		"%s %q allows %s ports %v-%v from %s",
		[rule.resource.type, rule.resource.name, _protocol_name(rule.protocol), rule.from, rule.to, rule.cidr],
	))
}

_open_cidrs := {"0.0.0.0/0", "::/0"}

_open_rules contains rule if {
	some r in lib.live_of_type("aws:ec2/securityGroup:SecurityGroup")
	some ingress in lib.as_array(object.get(r.inputs, "ingress", []))
	some cidr in _cidrs(ingress, ["cidrBlocks", "ipv6CidrBlocks"])
	rule := _rule(r, ingress, cidr)
}

_open_rules contains rule if {
	some r in lib.live_of_type("aws:ec2/securityGroupRule:SecurityGroupRule")
	r.inputs.type == "ingress"
	some cidr in _cidrs(r.inputs, ["cidrBlocks", "ipv6CidrBlocks"])
	rule := _rule(r, r.inputs, cidr)
}

_open_rules contains rule if {
	some r in lib.live_of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	some cidr in _cidrs(r.inputs, ["cidrIpv4", "cidrIpv6"])
	rule := _rule(r, r.inputs, cidr)
}

_cidrs(rule, keys) := {c | some key in keys; some c in lib.as_array(object.get(rule, key, [])); c in _open_cidrs}

_rule(r, rule, cidr) := {
	"resource": r,
	"cidr": cidr,
	"protocol": lower(sprintf("%v", [object.get(rule, "ipProtocol", object.get(rule, "protocol", "-1"))])),
	"from": object.get(rule, "fromPort", 0),
	"to": object.get(rule, "toPort", 65535),
}

_https_only(rule) if {
	rule.protocol in {"tcp", "6"}
	rule.from == 443
	rule.to == 443
}

_protocol_name(protocol) := "all protocols and" if protocol in {"-1", "all"}
else := protocol
