"""Network exposure facts: each ingress/egress rule's sources reasoned about as address ranges.

Security group and network ACL rules name their peers as CIDR strings. Comparing strings misses
`0::/0`, `0.0.0.0/1` plus `128.0.0.0/1`, `0.0.0.1/0` and every other spelling of "the internet",
so the reader turns each rule into a fact with the sources parsed by `ipaddress` and a verdict on
how much of the public address space they cover. The Rego rules (UAE-NET-001, UAE-NET-006) read
only the fact, never the strings.

`exposure` of a rule is one of:
- "internet": the rule's sources, merged, cover at least INTERNET_WIDE_V4 public IPv4 addresses
  (a /16 worth) or INTERNET_WIDE_V6 public IPv6 addresses (a /32, an ISP allocation). 0.0.0.0/0
  and ::/0 do, and so do two /1 halves; an office egress /32, a partner's /24 or a site's IPv6 /48
  do not. Private, loopback, link-local, CGNAT, multicast and reserved ranges never count.
- "limited": sources are private, narrow, or other security groups / prefix lists only.
- "unknown" / "secret": a source that decides the verdict is not known at preview time, or is
  secret (ADR 0006: cannot be verified at preview time, judged non-compliant).
- "invalid": a source that is not a CIDR; a deploy would fail, the gate does not guess.
Ports: `from`/`to` are ints (all protocols: 0-65535), or "unknown"/"secret"/"invalid" when they
cannot be read; `protocol` is lower-case ("-1" means all protocols, numbers 6/17 become tcp/udp).
Exposure describes the sources only: whether an unreadable port matters is the rule's decision.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_TEXT = "[secret]"
INTERNET_WIDE_V4 = 1 << 16
INTERNET_WIDE_V6 = 1 << 96
_ALL_PROTOCOLS = {"-1", "all", "any"}
_PROTOCOL_NUMBERS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}

# Address space that is not reachable from the internet: subtracted before measuring coverage.
_NON_PUBLIC = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
        "::/8", "fc00::/7", "fe80::/10", "ff00::/8",
    )
]  # fmt: skip

IPV4_KEYS = ("cidrBlocks", "cidrBlock", "cidrIpv4", "cidrIp")
IPV6_KEYS = ("ipv6CidrBlocks", "ipv6CidrBlock", "cidrIpv6")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _public_addresses(networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> tuple[int, int]:
    """Public IPv4 and IPv6 addresses covered by the union of `networks`."""
    totals = [0, 0]
    for version, index in ((4, 0), (6, 1)):
        merged = list(ipaddress.collapse_addresses(n for n in networks if n.version == version))
        blocked = [n for n in _NON_PUBLIC if n.version == version]
        for net in merged:
            size = net.num_addresses
            for private in blocked:
                if net.overlaps(private):
                    size -= min(net, private, key=lambda n: n.num_addresses).num_addresses
            totals[index] += max(size, 0)
    return totals[0], totals[1]


def classify_sources(values: Iterable[Any]) -> tuple[str, list[str]]:
    """The exposure of one rule's CIDR sources, and the sources as written (for messages)."""
    shown: list[str] = []
    networks = []
    doubt = None
    for value in values:
        if value in (None, ""):
            continue
        if value == UNKNOWN:
            doubt = doubt or "unknown"
            shown.append("<unknown>")
            continue
        if value == SECRET_TEXT:
            doubt = doubt or "secret"
            shown.append("<secret>")
            continue
        if not isinstance(value, str):
            doubt = doubt or "invalid"
            shown.append(str(value)[:60])
            continue
        shown.append(value[:60])
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            doubt = doubt or "invalid"
    v4, v6 = _public_addresses(networks)
    if v4 >= INTERNET_WIDE_V4 or v6 >= INTERNET_WIDE_V6:
        return "internet", shown
    return (doubt or "limited"), shown


def _port(value: Any, default: int) -> int | str:
    if value is None or value == "":
        return default
    if value in (UNKNOWN, SECRET_TEXT):
        return "unknown" if value == UNKNOWN else "secret"
    if isinstance(value, bool):
        return "invalid"
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return "invalid"


def _protocol(value: Any) -> str:
    if value in (None, ""):
        return "-1"
    if value == UNKNOWN:
        return "unknown"
    if value == SECRET_TEXT:
        return "secret"
    text = str(value).strip().lower()
    if text in _ALL_PROTOCOLS:
        return "-1"
    return _PROTOCOL_NUMBERS.get(text, text)


def _rule(direction: str, spec: Any, *, action: Any = "allow", port_range: Any = None) -> dict[str, Any]:
    """One normalized rule from a security group or NACL rule object (any of the AWS spellings)."""
    if spec in (UNKNOWN, SECRET_TEXT) or not isinstance(spec, dict):
        doubt = "secret" if spec == SECRET_TEXT else "unknown" if spec == UNKNOWN else "invalid"
        return {"direction": direction, "protocol": doubt, "from": 0, "to": 65535, "exposure": doubt,
                "sources": [f"<{doubt}>"], "action": "allow"}  # fmt: skip
    sources = [v for key in (*IPV4_KEYS, *IPV6_KEYS) for v in _as_list(spec.get(key))]
    exposure, shown = classify_sources(sources)
    protocol = _protocol(spec.get("protocol", spec.get("ipProtocol")))
    if isinstance(port_range, dict):
        low, high = _port(port_range.get("from"), 0), _port(port_range.get("to"), 65535)
    else:
        low, high = _port(spec.get("fromPort"), 0), _port(spec.get("toPort"), 65535)
    if protocol == "-1":
        low, high = 0, 65535  # all protocols: every port, whatever fromPort/toPort say
    return {
        "direction": direction,
        "protocol": protocol,
        "from": low,
        "to": high,
        "exposure": exposure,
        "sources": shown,
        "action": _action(action),
    }


def _action(value: Any) -> str:
    if value in (UNKNOWN, SECRET_TEXT):
        return "unknown"
    return str(value).strip().lower() if value not in (None, "") else "allow"


def _inline(inputs: dict[str, Any], key: str, direction: str, **kwargs: Any) -> list[dict[str, Any]]:
    value = inputs.get(key)
    if value in (UNKNOWN, SECRET_TEXT):
        return [_rule(direction, value)]
    return [_rule(direction, spec, **kwargs) for spec in _as_list(value)]


def _sg_inline(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    return _inline(inputs, "ingress", "ingress") + _inline(inputs, "egress", "egress")


def _sg_rule(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    kind = inputs.get("type")
    direction = kind if kind in ("ingress", "egress") else "ingress"  # unknown type: judged as ingress
    return [_rule(direction, inputs)]


def _nacl(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    rules = []
    for key, direction in (("ingress", "ingress"), ("egress", "egress")):
        value = inputs.get(key)
        if value in (UNKNOWN, SECRET_TEXT):
            rules.append(_rule(direction, value))
            continue
        for spec in _as_list(value):
            action = spec.get("action", spec.get("ruleAction")) if isinstance(spec, dict) else None
            rules.append(_rule(direction, spec, action=action))
    return rules


def _nacl_rule(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    egress = inputs.get("egress")
    direction = "egress" if egress is True or egress == "true" else "ingress"
    return [_rule(direction, inputs, action=inputs.get("ruleAction"), port_range=inputs.get("portRange"))]


def _native_sg(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    return _inline(inputs, "securityGroupIngress", "ingress") + _inline(inputs, "securityGroupEgress", "egress")


def _eks_endpoint(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """The EKS API endpoint as one HTTPS ingress rule from publicAccessCidrs (none when private)."""
    vpc = inputs.get("vpcConfig")
    if vpc in (UNKNOWN, SECRET_TEXT):
        return [_rule("ingress", vpc)]
    vpc = vpc if isinstance(vpc, dict) else {}
    public = vpc.get("endpointPublicAccess", True)
    if public is False or public == "false":
        return []
    cidrs = vpc.get("publicAccessCidrs")
    if cidrs in (None, []):
        cidrs = ["0.0.0.0/0"]  # AWS's default for a public endpoint
    return [_rule("ingress", {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": cidrs})]


# Resource type -> (kind, how to read its rules). `kind` is what the Rego rules key on.
RULE_READERS: dict[str, tuple[str, Any]] = {
    "aws:ec2/securityGroup:SecurityGroup": ("security_group", _sg_inline),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("security_group", _sg_inline),
    "aws:ec2/securityGroupRule:SecurityGroupRule": ("security_group", _sg_rule),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "security_group", lambda i: [_rule("ingress", i)]),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("security_group", lambda i: [_rule("egress", i)]),
    "aws:ec2/networkAcl:NetworkAcl": ("network_acl", _nacl),
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": ("network_acl", _nacl),
    "aws:ec2/networkAclRule:NetworkAclRule": ("network_acl", _nacl_rule),
    "aws-native:ec2:SecurityGroup": ("security_group", _native_sg),
    "aws-native:ec2:SecurityGroupIngress": ("security_group", lambda i: [_rule("ingress", i)]),
    "aws-native:ec2:SecurityGroupEgress": ("security_group", lambda i: [_rule("egress", i)]),
    "aws-native:ec2:NetworkAclEntry": ("network_acl", _nacl_rule),
    "aws:eks/cluster:Cluster": ("api_endpoint", _eks_endpoint),
}  # fmt: skip


def network_rules(type_: str, inputs: dict[str, Any]) -> dict[str, Any] | None:
    """`{"kind": "security_group"|"network_acl", "rules": [...]}` for types that carry CIDR rules."""
    reader = RULE_READERS.get(type_)
    if reader is None:
        return None
    kind, read = reader
    return {"kind": kind, "rules": read(inputs)}
