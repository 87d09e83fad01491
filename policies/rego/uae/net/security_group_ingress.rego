# METADATA
# title: No security group ingress from the internet except HTTPS
# description: >-
#   Ingress whose sources cover the internet (the reader's `network` fact: 0.0.0.0/0, ::/0, or any
#   set of ranges covering at least a /8 of public IPv4 or a /16 of public IPv6, however spelled) is
#   allowed only for TCP port 443 exactly. All-protocol rules ("-1") and any range that includes SSH
#   (22) or RDP (3389) are always denied. Covers inline SecurityGroup and DefaultSecurityGroup
#   ingress, SecurityGroupRule (type ingress), vpc SecurityGroupIngressRule and the aws-native
#   security group types. A source, port or protocol that is unknown or secret where the verdict
#   depends on it cannot be verified at preview time and is denied (ADR 0006).
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-NET-001
#   severity: critical
#   controls: ["UAE-IAS", "ISO27001:A.8.20", "ISO27001:A.8.22"]
#   remediation: >-
#     Restrict the source to known CIDRs or security groups; reach nodes through SSM Session
#     Manager rather than SSH/RDP.
package uae.net.security_group_ingress

import data.lib

deny contains f if {
	some entry in _ingress
	entry.rule.exposure == "internet"
	not _verifiable_ports(entry.rule)
	f := lib.finding("UAE-NET-001", entry.resource, sprintf(
		"%s %q ingress from %s: protocol or ports %s",
		[entry.resource.type, entry.resource.name, _sources(entry.rule), lib.cannot_verify_text(_port_doubt(entry.rule))],
	))
}

deny contains f if {
	some entry in _ingress
	entry.rule.exposure == "internet"
	_verifiable_ports(entry.rule)
	not _https_only(entry.rule)
	f := lib.finding("UAE-NET-001", entry.resource, sprintf("%s %q allows %s ports %v-%v from the internet (%s)", [
		entry.resource.type,
		entry.resource.name,
		_protocol_name(entry.rule.protocol),
		entry.rule.from,
		entry.rule.to,
		_sources(entry.rule),
	]))
}

# A source that is unknown, secret or not a CIDR decides the verdict unless the rule is HTTPS only.
deny contains f if {
	some entry in _ingress
	entry.rule.exposure in {"unknown", "secret", "invalid"}
	not _https_only(entry.rule)
	f := lib.finding("UAE-NET-001", entry.resource, sprintf(
		"%s %q ingress source %s",
		[entry.resource.type, entry.resource.name, _source_doubt(entry.rule)],
	))
}

_ingress contains {"resource": r, "rule": rule} if {
	some r in lib.live_resources
	r.network.kind == "security_group"
	some rule in r.network.rules
	rule.direction == "ingress"
}

_verifiable_ports(rule) if {
	is_number(rule.from)
	is_number(rule.to)
	not lib.unverifiable(rule.protocol)
	rule.protocol != "invalid"
}

_port_doubt(rule) := "secret" if {
	"secret" in {rule.protocol, rule.from, rule.to}
} else := "unknown"

_source_doubt(rule) := sprintf("%s is not a CIDR", [_sources(rule)]) if {
	rule.exposure == "invalid"
} else := lib.cannot_verify_text(rule.exposure)

_sources(rule) := concat(", ", rule.sources)

_https_only(rule) if {
	rule.protocol == "tcp"
	rule.from == 443
	rule.to == 443
}

_protocol_name(protocol) := "all protocols and" if {
	protocol == "-1"
} else := protocol
