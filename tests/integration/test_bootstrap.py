"""The first-deploy program (bootstrap/) synthesizes offline and the gate allows it, as prod."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from bootstrap.config import BootstrapConfigError, parse_config
from platformctl.cli import main
from platformctl.synth import synthesize

REPO = Path(__file__).resolve().parents[2]
STACK_FILE = REPO / "bootstrap" / "Pulumi.account.yaml"
# The bootstrap waiver (UAE-OPS-004) expires 2027-11-30; the gate is asked about a day it covers.
TODAY = "2026-12-01"

pytestmark = pytest.mark.integration


@cache
def preview() -> dict[str, Any]:
    return synthesize("account", program="bootstrap")


def resources(type_: str) -> list[dict[str, Any]]:
    return [s["newState"] for s in preview()["steps"] if s["newState"]["type"] == type_]


def gate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`platformctl gate ...` in-process: the exit code and what it printed."""
    capsys.readouterr()
    code = main(["gate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_gate_allows_the_bootstrap_with_checkov(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bootstrap.json"
    assert main(["synth", "--program", "bootstrap", "--stack", "account", "--out", str(path)]) == 0
    assert json.loads(path.read_text()) == preview()  # the CLI writes what the API synthesizes
    waivers = str(REPO / "bootstrap" / "waivers.yaml")
    code, out, err = gate(capsys, str(path), "--format", "json", "--waivers", waivers, "--today", TODAY)
    assert code == 0, out[-3000:] + err
    report = json.loads(out)
    assert report["verdict"] == "allow" and report["stack"] == "account"
    assert report["summary"]["checkov_scanned"] >= 30
    waived = [f["rule_id"] for f in report["findings"] if f["waived"]]
    assert waived == ["UAE-OPS-004"]  # the one documented waiver, nothing else


def test_without_its_waiver_the_bootstrap_is_held_to_prod_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bootstrap.json"
    path.write_text(json.dumps(preview()))
    code, out, _ = gate(capsys, str(path), "--no-checkov")
    assert code == 1 and "UAE-OPS-004" in out


def test_the_state_bucket_is_hardened_and_encrypted_with_its_key() -> None:
    buckets = {b["urn"].rsplit("::", 1)[-1]: b for b in resources("aws:s3/bucket:Bucket")}
    assert set(buckets) == {"state-state", "audit-trail"}
    assert all(b["protect"] for b in buckets.values())
    for type_, check in {
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": lambda i: i["rules"][
            0
        ]["applyServerSideEncryptionByDefault"]["sseAlgorithm"]
        == "aws:kms",
        "aws:s3/bucketVersioning:BucketVersioning": lambda i: i["versioningConfiguration"]["status"] == "Enabled",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": lambda i: all(
            i[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        ),
    }.items():
        configured = resources(type_)
        assert len(configured) == 2 and all(check(r["inputs"]) for r in configured), type_
    for policy in resources("aws:s3/bucketPolicy:BucketPolicy"):
        statements = json.loads(policy["inputs"]["policy"])["Statement"]
        tls = [s for s in statements if s.get("Sid") == "DenyInsecureTransport"]
        assert tls and tls[0]["Effect"] == "Deny" and tls[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    aliases = sorted(a["inputs"]["name"] for a in resources("aws:kms/alias:Alias"))
    assert aliases == ["alias/uae-ml-pulumi/secrets", "alias/uae-ml-pulumi/state"]
    assert all(
        k["inputs"]["enableKeyRotation"] and not k["inputs"]["multiRegion"] for k in resources("aws:kms/key:Key")
    )
    (provider,) = resources("pulumi:providers:aws")
    assert provider["inputs"]["region"] == "me-central-1"


def test_ci_roles_trust_only_their_repository_and_environment() -> None:
    stack = yaml.safe_load(STACK_FILE.read_text())["config"]
    repository = stack["uae-ml-bootstrap:githubRepository"]
    (oidc,) = resources("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc["inputs"]["url"] == "https://token.actions.githubusercontent.com"
    assert oidc["inputs"]["clientIdLists"] == ["sts.amazonaws.com"]
    roles = {r["inputs"]["name"]: r["inputs"] for r in resources("aws:iam/role:Role")}
    expected = {}
    for env in stack["uae-ml-bootstrap:environments"]:
        expected[f"uae-ml-github-deploy-{env}"] = f"repo:{repository}:environment:{env}"
        expected[f"uae-ml-github-preview-{env}"] = f"repo:{repository}:environment:{env}-preview"
    assert set(roles) == set(expected)
    for name, sub in expected.items():
        (statement,) = json.loads(roles[name]["assumeRolePolicy"])["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        condition = statement["Condition"]
        assert list(condition) == ["StringEquals"], name  # exact match: no StringLike wildcards
        assert condition["StringEquals"] == {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": sub,
        }
        assert roles[name]["maxSessionDuration"] == stack["uae-ml-bootstrap:roleSessionHours"] * 3600


def test_preview_roles_cannot_write_state_and_deploy_roles_stay_in_the_uae() -> None:
    policies = {
        p["urn"].rsplit("::", 1)[-1]: json.loads(p["inputs"]["policy"])
        for p in resources("aws:iam/rolePolicy:RolePolicy")
    }
    for name, document in policies.items():
        statements = {s["Sid"]: s for s in document["Statement"]}
        if "-preview-" in name:
            assert statements["ReadStateAndTakeLocks"]["Action"] == ["s3:GetObject"]
            assert statements["StackLocks"]["Resource"].endswith("/.pulumi/locks/*")
            assert not any("Encrypt" in a for a in statements["StateAndSecretsKeys"]["Action"])
        else:
            regional = statements["PlatformServicesInTheUaeOnly"]
            assert regional["Condition"] == {"StringEquals": {"aws:RequestedRegion": "me-central-1"}}
            assert statements["NoSelfEscalation"]["Effect"] == "Deny"
            assert "iam:CreateAccessKey" in statements["NoLongLivedCredentials"]["Action"]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("uae-ml-bootstrap:githubRepository", "example-org", "is not owner/name"),
        ("uae-ml-bootstrap:environments", ["prod", "prod"], "none listed twice"),
        ("uae-ml-bootstrap:environments", ["prod-preview"], "is not an environment name"),
        ("uae-ml-bootstrap:roleSessionHours", 13, "from 1 to 12"),
        ("aws:region", "me-south-1", "must be me-central-1"),
        ("uae-ml-bootstrap:roleSessionHours", "13", "from 1 to 12"),
        ("uae-ml-bootstrap:githubRepo", "example-org/x", "githubRepo: is not a known key"),
        ("uae-ml-bootstrap:dataClassification", "secret", "is not one of public, internal"),
        ("pulumi:disable-default-providers", '["aws"]', r"must be \["),
    ],
)
def test_bad_bootstrap_config_fails_with_the_key(key: str, value: Any, message: str) -> None:
    raw = dict(yaml.safe_load(STACK_FILE.read_text())["config"])
    raw[key] = value
    with pytest.raises(BootstrapConfigError, match=message):
        parse_config("account", raw)


def test_session_hours_arrive_as_pulumi_strings_and_the_stack_file_fits_the_schema() -> None:
    raw = dict(yaml.safe_load(STACK_FILE.read_text())["config"])
    assert parse_config("account", {**raw, "uae-ml-bootstrap:roleSessionHours": "12"}).role_session_hours == 12
    assert (
        parse_config("account", {k: v for k, v in raw.items() if "roleSessionHours" not in k}).role_session_hours == 2
    )
    schema = json.loads((REPO / "schemas" / "bootstrap-config.schema.json").read_text())
    assert [e.message for e in Draft7Validator(schema).iter_errors(raw)] == []


def test_every_stack_file_names_the_bootstraps_kms_secrets_provider() -> None:
    from bootstrap.program import KEY_ALIAS_PREFIX

    expected = f"awskms://alias/{KEY_ALIAS_PREFIX}/secrets?region=me-central-1"
    for path in [*sorted((REPO / "stacks").glob("Pulumi.*.yaml")), STACK_FILE]:
        assert yaml.safe_load(path.read_text())["secretsprovider"] == expected, path.name
