"""Network exposure facts: CIDR sources reasoned about as address ranges, not strings."""

from __future__ import annotations

import pytest

from platformctl.gate.input.exposure import UNKNOWN, classify_sources, network_rules


@pytest.mark.parametrize(
    "sources",
    [
        ["0.0.0.0/0"],
        ["::/0"],
        ["0::/0"],
        ["0.0.0.0/1", "128.0.0.0/1"],
        ["0.0.0.1/0"],  # host bits set: AWS normalizes it to the whole space
        ["11.0.0.0/8"],  # a /8 of public addresses
        ["64.0.0.0/9"],
        ["2000::/3"],
        [" 0.0.0.0/0 "],
        ["10.0.0.0/8", "0.0.0.0/0", UNKNOWN],  # the internet whatever the unknown one is
    ],
)
def test_internet_wide_sources(sources: list[str]) -> None:
    assert classify_sources(sources)[0] == "internet"


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        (["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"], "limited"),
        (["203.0.113.7/32", "198.51.100.0/24"], "limited"),
        (["64.0.0.0/17", "64.0.128.0/17"], "internet"),  # two halves of a public /16
        (["64.0.0.0/17"], "limited"),  # below the /16 threshold
        (["2001:db8:1234::/48"], "limited"),  # one site's IPv6 allocation
        ([], "limited"),
        ([UNKNOWN], "unknown"),
        (["[secret]"], "secret"),
        (["10.0.0.0/8", "[secret]"], "secret"),
        (["not-a-cidr"], "invalid"),
        (["300.1.1.1/32"], "invalid"),
    ],
)
def test_other_sources(sources: list[str], expected: str) -> None:
    assert classify_sources(sources)[0] == expected


def test_security_group_inline_rules_and_protocol_spellings() -> None:
    facts = network_rules(
        "aws:ec2/securityGroup:SecurityGroup",
        {
            "ingress": [
                {"protocol": "6", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/1", "128.0.0.0/1"]},
                {"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["0::/0"]},
            ],
            "egress": [{"protocol": "all", "cidrBlocks": ["0.0.0.0/0"]}],
        },
    )
    assert facts is not None and facts["kind"] == "security_group"
    ssh, everything, out = facts["rules"]
    assert (ssh["direction"], ssh["protocol"], ssh["from"], ssh["to"], ssh["exposure"]) == (
        "ingress", "tcp", 22, 22, "internet",
    )  # fmt: skip
    assert (everything["protocol"], everything["from"], everything["to"]) == ("-1", 0, 65535)
    assert out["direction"] == "egress" and out["exposure"] == "internet"


def test_secret_or_unknown_rule_lists_are_facts_not_silence() -> None:
    facts = network_rules("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", {"ingress": "[secret]"})
    assert facts is not None and facts["rules"][0]["exposure"] == "secret"
    facts = network_rules("aws:ec2/securityGroupRule:SecurityGroupRule", {"type": "ingress", "protocol": "tcp", "fromPort": UNKNOWN,
                                                                          "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]})  # fmt: skip
    assert facts is not None and facts["rules"][0]["from"] == "unknown"


def test_network_acls_and_aws_native_types() -> None:
    acl = network_rules("aws:ec2/networkAclRule:NetworkAclRule", {"egress": False, "protocol": "tcp", "ruleAction": "allow",
                                                                  "cidrBlock": "0.0.0.0/0", "fromPort": 22, "toPort": 22})  # fmt: skip
    assert acl is not None and acl["kind"] == "network_acl" and acl["rules"][0]["direction"] == "ingress"
    entry = network_rules("aws-native:ec2:NetworkAclEntry", {"egress": True, "protocol": -1, "ruleAction": "allow",
                                                            "ipv6CidrBlock": "::/0", "portRange": {"from": 1, "to": 2}})  # fmt: skip
    assert (
        entry is not None and entry["rules"][0]["direction"] == "egress" and entry["rules"][0]["exposure"] == "internet"
    )
    native = network_rules("aws-native:ec2:SecurityGroup", {"securityGroupIngress": [{"ipProtocol": "tcp", "fromPort": 22,
                                                            "toPort": 22, "cidrIp": "0.0.0.0/0"}]})  # fmt: skip
    assert native is not None and native["rules"][0]["exposure"] == "internet"
    assert network_rules("aws:s3/bucket:Bucket", {}) is None
