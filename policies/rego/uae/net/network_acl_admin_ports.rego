# METADATA
# title: No network ACL allows remote administration ports from the internet
# description: >-
#   A network ACL rule that allows ingress from sources covering the internet (the reader's
#   `network` fact, however the CIDR is spelled) must not include SSH (22) or RDP (3389); an
#   all-protocols rule includes them (CIS AWS Foundations 5.1). Covers NetworkAcl and
#   DefaultNetworkAcl inline rules, NetworkAclRule and aws-native NetworkAclEntry. An action, port
#   or source that is unknown or secret where the verdict depends on it is denied (ADR 0006).
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-NET-006
#   severity: high
#   controls: ["UAE-IAS", "ISO27001:A.8.20", "ISO27001:A.8.22"]
#   remediation: >-
#     Deny 22 and 3389 from 0.0.0.0/0 and ::/0 in the ACL (or allow only the ports the subnet
#     serves); administer nodes through SSM Session Manager.
package uae.net.network_acl_admin_ports

import data.lib

deny contains f if {
	some entry in _allowing_ingress
	entry.rule.exposure == "internet"
	some port in _admin_ports
	_includes(entry.rule, port)
	f := lib.finding("UAE-NET-006", entry.resource, sprintf(
		"%s %q allows ingress to port %d from the internet (%s)",
		[entry.resource.type, entry.resource.name, port, concat(", ", entry.rule.sources)],
	))
}

deny contains f if {
	some entry in _allowing_ingress
	entry.rule.exposure == "internet"
	not _readable_ports(entry.rule)
	f := lib.finding("UAE-NET-006", entry.resource, sprintf(
		"%s %q ingress from the internet: ports %s",
		[entry.resource.type, entry.resource.name, lib.cannot_verify_text("unknown")],
	))
}

deny contains f if {
	some entry in _allowing_ingress
	why := lib.unverifiable(entry.rule.exposure)
	some port in _admin_ports
	_includes(entry.rule, port)
	f := lib.finding("UAE-NET-006", entry.resource, sprintf(
		"%s %q allows ingress to port %d from a source that %s",
		[entry.resource.type, entry.resource.name, port, lib.cannot_verify_text(why)],
	))
}

_admin_ports := [22, 3389]

_allowing_ingress contains {"resource": r, "rule": rule} if {
	some r in lib.live_resources
	r.network.kind == "network_acl"
	some rule in r.network.rules
	rule.direction == "ingress"
	rule.action != "deny"
}

_readable_ports(rule) if rule.protocol == "-1"

_readable_ports(rule) if {
	is_number(rule.from)
	is_number(rule.to)
	not lib.unverifiable(rule.protocol)
}

_includes(rule, _) if rule.protocol == "-1"

_includes(rule, port) if {
	rule.protocol in {"tcp", "udp"}
	is_number(rule.from)
	is_number(rule.to)
	rule.from <= port
	port <= rule.to
}
