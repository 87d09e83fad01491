"""Waivers: owned, expiring, scoped exceptions; malformed files are errors, never 'no waivers'."""

from __future__ import annotations

import datetime as dt

import pytest

from platformctl.errors import WaiverError
from platformctl.gate.findings import Finding
from platformctl.gate.policy.waivers import parse_waivers
from platformctl.gate.runner import apply_waivers

TODAY = dt.date(2026, 11, 25)
URN = "urn:pulumi:prod::uae-ml-platform::uae:data:Lake$aws:s3/bucket:Bucket::legacy"


def waiver_yaml(**overrides: str) -> str:
    fields = {
        "rule": "UAE-OPS-002",
        "urn": '"urn:pulumi:prod::uae-ml-platform::*::legacy"',
        "owner": "data-platform@example.ae",
        "reason": "Migration to the new lake is tracked in the ticket.",
        "ticket": "PLAT-1234",
        "expires": "2027-01-31",
    }
    fields.update(overrides)
    body = "\n".join(f"    {k}: {v}" for k, v in fields.items() if v is not None)
    return "waivers:\n  -\n" + body + "\n"


def finding(rule_id: str = "UAE-OPS-002", urn: str = URN, stack: str = "prod") -> Finding:
    return Finding(rule_id=rule_id, engine="rego", severity="high", urn=urn, type="aws:s3/bucket:Bucket",
                   message="m", remediation="r", controls=[], title="t", enforced=True, stack=stack, source="p.json")  # fmt: skip


def test_matching_waiver_waives_but_keeps_the_finding() -> None:
    waivers = parse_waivers(waiver_yaml(), TODAY)
    f = finding()
    assert apply_waivers([f], waivers, TODAY) == []
    assert f.waived and not f.blocking
    assert f.waiver and f.waiver["ticket"] == "PLAT-1234" and f.waiver["owner"] == "data-platform@example.ae"


def test_expired_waiver_stops_waiving_and_says_so() -> None:
    waivers = parse_waivers(waiver_yaml(expires="2026-11-24"), TODAY)
    f = finding()
    warnings = apply_waivers([f], waivers, TODAY)
    assert f.blocking and not f.waived
    assert f.note and "expired on 2026-11-24" in f.note
    assert any("expired" in w for w in warnings)


def test_waiver_is_valid_through_its_expiry_day() -> None:
    f = finding()
    apply_waivers([f], parse_waivers(waiver_yaml(expires="2026-11-25"), TODAY), TODAY)
    assert f.waived


@pytest.mark.parametrize(
    ("f", "why"),
    [
        (finding(rule_id="UAE-OPS-003"), "other rule"),
        (finding(urn=URN.replace("legacy", "legacy2")), "other resource"),
        (finding(stack="dev", urn=URN.replace(":prod:", ":dev:")), "other stack"),
    ],
)
def test_waiver_is_scoped(f: Finding, why: str) -> None:
    warnings = apply_waivers([f], parse_waivers(waiver_yaml(), TODAY), TODAY)
    assert f.blocking, why
    assert any("matched no finding" in w for w in warnings)


def test_stack_scoped_waiver() -> None:
    waivers = parse_waivers(waiver_yaml(stacks="[staging]"), TODAY)
    f = finding()
    apply_waivers([f], waivers, TODAY)
    assert f.blocking


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("waivers: [", "not valid YAML"),
        ("- rule: x", "single 'waivers:' list"),
        ("waivers: {}", "must be a list"),
        ("waivers:\n  - 3", "must be a mapping"),
        (waiver_yaml(owner=None), "missing owner"),
        (waiver_yaml(reason=None), "missing reason"),
        (waiver_yaml(ticket=None), "missing ticket"),
        (waiver_yaml(expires=None), "missing expires"),
        (waiver_yaml(expires="next-year"), "not a date"),
        (waiver_yaml(expires="2030-01-01"), "more than 366 days"),
        (waiver_yaml(rule="everything"), "not a rule id"),
        (waiver_yaml(urn='"*"'), "URN pattern"),
        (waiver_yaml(urn='"urn:pulumi:*"'), "URN pattern"),
        (waiver_yaml(urn='"urn:pulumi:?*"'), "URN pattern"),
        (waiver_yaml(urn='"urn:pulumi:*::uae-ml-platform::*::legacy"'), "stack segment"),
        (waiver_yaml(urn='"urn:pulumi:pro?::uae-ml-platform::*::legacy"'), "stack segment"),
        (waiver_yaml(urn='"urn:pulumi:prod::*::*::legacy"'), "project segment"),
        (waiver_yaml(urn='"urn:pulumi:prod::uae-ml-platform::*::*"'), "type or a resource name"),
        (waiver_yaml(urn='"urn:pulumi:prod::uae-ml-platform::*$*::?*"'), "type or a resource name"),
        (waiver_yaml(urn='"urn:pulumi:prod::uae-ml-platform::[a-z]*::*"'), "type or a resource name"),
        (waiver_yaml() + "    expires: 2026-12-31\n", "duplicate key 'expires'"),
        (waiver_yaml().replace("waivers:", "waivers: []\nwaivers:"), "duplicate key 'waivers'"),
        (waiver_yaml(reason="because"), "explain"),
        (waiver_yaml(approver="me"), "unknown field"),
        (waiver_yaml(stacks="prod"), "list of stack names"),
    ],
)
def test_malformed_waivers_are_errors(text: str, message: str) -> None:
    with pytest.raises(WaiverError, match=message):
        parse_waivers(text, TODAY)


@pytest.mark.parametrize(
    "pattern",
    [
        "urn:pulumi:prod::uae-ml-platform::*::legacy",
        "urn:pulumi:prod::uae-ml-platform::*$aws:s3/bucket:Bucket::*",
        "urn:pulumi:prod::uae-ml-platform::uae:data:Lake$aws:s3/bucket:Bucket::leg*",
    ],
)
def test_concrete_waiver_patterns_are_accepted_and_match(pattern: str) -> None:
    waivers = parse_waivers(waiver_yaml(urn=f'"{pattern}"'), TODAY)
    f = finding()
    apply_waivers([f], waivers, TODAY)
    assert f.waived


def test_a_waiver_never_reaches_another_stack_through_its_pattern() -> None:
    waivers = parse_waivers(waiver_yaml(urn='"urn:pulumi:dev::uae-ml-platform::*::legacy"'), TODAY)
    f = finding()
    apply_waivers([f], waivers, TODAY)
    assert f.blocking


def test_empty_file_means_no_waivers() -> None:
    assert parse_waivers("", TODAY) == []
    assert parse_waivers("waivers: []", TODAY) == []


def test_checkov_ids_can_be_waived() -> None:
    waivers = parse_waivers(waiver_yaml(rule="CKV_AWS_144"), TODAY)
    f = finding(rule_id="CKV_AWS_144")
    apply_waivers([f], waivers, TODAY)
    assert f.waived
