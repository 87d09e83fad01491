"""`platformctl gate` end to end, as a user runs it: exit codes, reports, waivers, fail-closed."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from platformctl.synth import synthesize

REPO = Path(__file__).resolve().parents[2]
MULTITOOL = REPO / "tools" / "node_modules" / ".bin" / "sarif-multitool"
TODAY = dt.date.today()


@cache
def _preview_text(stack: str) -> str:
    return json.dumps(synthesize(stack), indent=2)


def write_preview(tmp_path: Path, stack: str, mutate: Any = None) -> Path:
    doc = json.loads(_preview_text(stack))
    if mutate:
        mutate(doc)
    path = tmp_path / f"{stack}.json"
    path.write_text(json.dumps(doc, indent=2))
    return path


def gate(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "platformctl.cli", "gate", *args],
        capture_output=True, text=True, cwd=REPO, timeout=300, env={**os.environ, **(env or {})},
    )  # fmt: skip


def _delete_data_lake_key(doc: dict[str, Any]) -> None:
    for step in doc["steps"]:
        if step["urn"].endswith("aws:kms/key:Key::keys-data-lake"):
            step["op"] = "delete"
            step["oldState"] = step.pop("newState")


def test_synthesized_prod_is_allowed_in_every_format(tmp_path: Path) -> None:
    preview = write_preview(tmp_path, "prod")
    text = gate(str(preview))
    assert text.returncode == 0, text.stdout + text.stderr
    assert "verdict: allow" in text.stdout
    report = json.loads(gate(str(preview), "--format", "json").stdout)
    assert report["verdict"] == "allow" and report["stack"] == "prod"
    assert report["summary"]["checkov_scanned"] > 50 and report["summary"]["resources"] > 40


def test_denied_change_reports_json_with_the_documented_fields(tmp_path: Path) -> None:
    preview = write_preview(tmp_path, "prod", _delete_data_lake_key)
    proc = gate(str(preview), "--format", "json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["verdict"] == "deny"
    finding = next(
        f
        for f in report["findings"]
        if f["urn"].endswith("keys-data-lake") and not f["waived"] and f["engine"] == "rego"
    )
    assert set(finding) >= {
        "rule_id",
        "engine",
        "severity",
        "urn",
        "type",
        "message",
        "remediation",
        "controls",
        "waived",
        "waiver",
    }
    assert finding["type"] == "aws:kms/key:Key" and finding["controls"]


def _waivers(tmp_path: Path, rule_ids: list[str], expires: dt.date) -> Path:
    entries = "".join(
        f"""  - rule: {rule_id}
    urn: "urn:pulumi:prod::uae-ml-platform::*::keys-data-lake"
    owner: security@example.ae
    reason: Key retired after re-encryption of the lake (see ticket).
    ticket: SEC-42
    expires: {expires.isoformat()}
"""
        for rule_id in rule_ids
    )
    path = tmp_path / "waivers.yaml"
    path.write_text("waivers:\n" + entries)
    return path


def test_waivers_allow_but_stay_visible_and_expire(tmp_path: Path) -> None:
    preview = write_preview(tmp_path, "prod", _delete_data_lake_key)
    denied = json.loads(gate(str(preview), "--format", "json").stdout)
    rule_ids = sorted(
        {f["rule_id"] for f in denied["findings"] if f["urn"].endswith("keys-data-lake") and f["enforced"]}
    )
    assert rule_ids
    waived = gate(
        str(preview), "--format", "json", "--waivers", str(_waivers(tmp_path, rule_ids, TODAY + dt.timedelta(days=30)))
    )
    assert waived.returncode == 0, waived.stdout
    report = json.loads(waived.stdout)
    lake = [f for f in report["findings"] if f["urn"].endswith("keys-data-lake") and f["rule_id"] in rule_ids]
    assert lake and all(f["waived"] and f["waiver"]["ticket"] == "SEC-42" for f in lake)
    expired = gate(
        str(preview), "--format", "json", "--waivers", str(_waivers(tmp_path, rule_ids, TODAY - dt.timedelta(days=1)))
    )
    assert expired.returncode == 1
    assert any("expired" in w for w in json.loads(expired.stdout)["warnings"])


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty", b""),
        ("truncated", b'{"steps": [{"op": "create", "urn": "urn:pulu'),
        ("not-a-preview", b'{"format_version": "1.2", "resource_changes": []}'),
        ("binary", bytes(range(256)) * 4),
        ("json-list", b"[1, 2, 3]"),
        ("unknown-op", json.dumps({"steps": [{"op": "teleport", "urn": "urn:pulumi:a::b::pulumi:pulumi:Stack::b-a", "newState": {}}]}).encode()),
    ],
)  # fmt: skip
def test_malformed_input_exits_2_with_one_line(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / f"{name}.json"
    path.write_bytes(content)
    for fmt in ("text", "json"):
        proc = gate(str(path), "--format", fmt)
        assert proc.returncode == 2, (name, proc.stdout, proc.stderr)
        assert proc.stdout == "" and "allow" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_missing_file_malformed_waivers_and_engine_errors_exit_2(tmp_path: Path) -> None:
    preview = write_preview(tmp_path, "dev")
    assert gate(str(tmp_path / "nope.json")).returncode == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("waivers:\n  - rule: UAE-OPS-001\n")
    proc = gate(str(preview), "--waivers", str(bad))
    assert proc.returncode == 2 and "missing" in proc.stderr
    assert gate(str(preview), "--engine", "opa-server").returncode == 2  # no --opa-url
    proc = gate(str(preview), "--engine", "opa-server", "--opa-url", "http://127.0.0.1:9")  # nothing listens there
    assert proc.returncode == 2 and "allow" not in proc.stdout
    proc = gate(str(preview), env={"PLATFORM_CHECKOV_PYTHON": str(tmp_path / "no-python")})
    assert proc.returncode == 2 and "allow" not in proc.stdout


def test_sarif_is_valid_for_the_sarif_multitool(tmp_path: Path) -> None:
    preview = write_preview(tmp_path, "prod", _delete_data_lake_key)
    sarif = tmp_path / "gate.sarif"
    assert gate(str(preview), "--format", "sarif", "--output", str(sarif)).returncode == 1
    document = json.loads(sarif.read_text())
    run = document["runs"][0]
    assert document["version"] == "2.1.0" and run["results"]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    assert MULTITOOL.exists(), "tools/node_modules is installed by make setup"
    out = tmp_path / "validation.sarif"
    proc = subprocess.run([str(MULTITOOL), "validate", str(sarif), "-o", str(out)],
                          capture_output=True, text=True, timeout=180)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    validation = json.loads(out.read_text())
    errors = [r for run in validation["runs"] for r in run.get("results", []) if r.get("level") == "error"]
    assert errors == [], errors


def test_junit_and_markdown_reports(tmp_path: Path) -> None:
    preview = write_preview(tmp_path, "prod", _delete_data_lake_key)
    junit = tmp_path / "gate.xml"
    assert gate(str(preview), "--format", "junit", "--output", str(junit)).returncode == 1
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites" and int(root.get("failures", "0")) >= 1
    failures = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert any("keys-data-lake" in (c.find("failure").text or "") for c in failures)
    markdown = gate(str(preview), "--format", "markdown").stdout
    assert "Policy gate: **deny**" in markdown and "keys-data-lake" in markdown
    assert "### Blocking findings" in markdown


def test_stack_comes_from_the_urns_and_a_different_stack_flag_is_an_error(tmp_path: Path) -> None:
    preview = write_preview(tmp_path, "staging")
    assert json.loads(gate(str(preview), "--format", "json").stdout)["stack"] == "staging"
    assert json.loads(gate(str(preview), "--format", "json", "--stack", "staging").stdout)["stack"] == "staging"
    # Judging a prod preview as dev would apply dev-only waivers and dev enforcement.
    mismatch = gate(str(preview), "--stack", "dev")
    assert mismatch.returncode == 2 and "does not match the preview" in mismatch.stderr
    assert len(mismatch.stderr.strip().splitlines()) == 1


def test_several_previews_in_one_run(tmp_path: Path) -> None:
    dev = write_preview(tmp_path, "dev")
    prod = write_preview(tmp_path, "prod", _delete_data_lake_key)
    proc = gate(str(dev), str(prod), "--format", "json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["stack"] == "dev,prod"


def test_secrets_are_never_printed(tmp_path: Path) -> None:
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "s3cr3t-value-xyz"}

    def add_secret(doc: dict[str, Any]) -> None:
        for step in doc["steps"]:
            if step["urn"].endswith("::keys-logs"):
                step["newState"]["inputs"]["description"] = secret

    preview = write_preview(tmp_path, "prod", add_secret)
    for fmt in ("text", "json", "sarif", "junit", "markdown"):
        proc = gate(str(preview), "--format", fmt)
        assert "s3cr3t-value-xyz" not in proc.stdout + proc.stderr


def residency(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "platformctl.cli", "residency", *args],
                          capture_output=True, text=True, cwd=REPO, timeout=300)  # fmt: skip


def test_residency_lists_every_region_and_egress_path(tmp_path: Path) -> None:
    resident = residency(str(write_preview(tmp_path, "prod")), "--format", "json")
    assert resident.returncode == 0, resident.stderr
    report = json.loads(resident.stdout)
    assert report["resident"] and report["egress"] == []
    assert report["resources"] and {r["region"] for r in report["resources"]} == {"me-central-1"}

    def escape(doc: dict[str, Any]) -> None:
        for step in doc["steps"]:
            if step["urn"].endswith("aws:s3/bucket:Bucket::audit-trail"):
                step["newState"]["inputs"]["region"] = "eu-west-1"

    leaking = residency(str(write_preview(tmp_path, "prod", escape)))
    assert leaking.returncode == 1
    line = next(line for line in leaking.stdout.splitlines() if "audit-trail" in line and "eu-west-1" in line)
    assert "outside the UAE" in line
    assert "EGRESS UAE-RES-" in leaking.stdout and "LEAVES me-central-1" in leaking.stdout


def test_reports_dir_writes_every_format_from_one_evaluation(tmp_path: Path) -> None:
    preview = write_preview(tmp_path, "dev")
    reports = tmp_path / "reports"
    assert gate(str(preview), "--reports-dir", str(reports)).returncode == 0
    assert sorted(p.name for p in reports.iterdir()) == ["dev.json", "dev.md", "dev.sarif", "dev.txt", "dev.xml"]
    assert json.loads((reports / "dev.json").read_text())["verdict"] == "allow"


def test_engine_opa_server_gives_the_same_verdicts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from platformctl.cli import main
    from platformctl.gate.engines.rego import POLICY_ROOT
    from tests.support.opa_server import serve_in_thread

    denied = write_preview(tmp_path, "prod", _delete_data_lake_key)
    reports = {}
    with serve_in_thread(POLICY_ROOT) as server:
        token_file = tmp_path / "opa-token"
        token_file.write_text(server.token + "\n")
        for engine in ("regorus", "opa", "opa-server"):
            code = main(["gate", str(denied), "--format", "json", "--no-checkov", "--engine", engine,
                         "--opa-url", server.url, "--opa-token-file", str(token_file)])  # fmt: skip
            reports[engine] = (code, json.loads(capsys.readouterr().out))
        # Without the token the server refuses, and the gate says so (exit 2), never allow.
        refused = main(["gate", str(denied), "--no-checkov", "--engine", "opa-server", "--opa-url", server.url])
        assert refused == 2 and "HTTP 401" in capsys.readouterr().err
    assert reports["regorus"][0] == reports["opa"][0] == reports["opa-server"][0] == 1
    assert reports["regorus"][1]["findings"] == reports["opa"][1]["findings"] == reports["opa-server"][1]["findings"]


def test_gate_reads_a_preview_from_standard_input(tmp_path: Path) -> None:
    preview = write_preview(tmp_path, "dev").read_text()
    proc = subprocess.run([sys.executable, "-m", "platformctl.cli", "gate", "-", "--format", "json"],
                          input=preview, capture_output=True, text=True, cwd=REPO, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["stack"] == "dev"
    empty = subprocess.run([sys.executable, "-m", "platformctl.cli", "gate", "-"],
                           input="", capture_output=True, text=True, cwd=REPO, timeout=300)  # fmt: skip
    assert empty.returncode == 2 and "empty input" in empty.stderr


def _independent(tmp_path: Path, name: str, change: Any) -> Path:
    from tests.fixtures.independent.platform import build

    platform = build("prod")
    change(platform)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(platform.document(), indent=2))
    return path


def test_kubernetes_only_preview_is_allowed_and_lists_unchecked_in_every_format(tmp_path: Path) -> None:
    """Regression (issue 7): Checkov has no check for Namespace/NetworkPolicy; the gate exited 2."""

    def namespaces_only(platform: Any) -> None:
        platform.remove(*(k for k in list(platform.urns) if not k.startswith(("ns-", "np-"))))
        platform.config["falcon-ml:kubernetesClusterRegion"] = "me-central-1"  # the cluster's stack is elsewhere

    preview = _independent(tmp_path, "k8s", namespaces_only)
    reports = tmp_path / "reports"
    proc = gate(str(preview), "--reports-dir", str(reports))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    stem = "uae-prod"
    text = (reports / f"{stem}.txt").read_text()
    assert "[unchecked] kubernetes:core/v1:Namespace" in text and "4 unchecked" in text
    report = json.loads((reports / f"{stem}.json").read_text())
    assert report["verdict"] == "allow" and report["summary"]["unchecked"] == 4
    assert {u["type"] for u in report["unchecked"]} == {"kubernetes:core/v1:Namespace"}
    sarif = json.loads((reports / f"{stem}.sarif").read_text())
    notes = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "UAE-GATE-UNCHECKED"]
    assert len(notes) == 4 and {n["level"] for n in notes} == {"note"}
    junit = ET.parse(reports / f"{stem}.xml").getroot()
    skipped = [c for c in junit.iter("testcase") if c.find("skipped") is not None and "UNCHECKED" in c.get("name", "")]
    assert len(skipped) == 4 and int(junit.find("testsuite").get("skipped", "0")) >= 4
    markdown = (reports / f"{stem}.md").read_text()
    assert "Not checked by any engine" in markdown and "kubernetes:core/v1:Namespace" in markdown
    out = tmp_path / "validation.sarif"
    proc = subprocess.run([str(MULTITOOL), "validate", str(reports / f"{stem}.sarif"), "-o", str(out)],
                          capture_output=True, text=True, timeout=180)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    validation = json.loads(out.read_text())
    assert [r for run in validation["runs"] for r in run.get("results", []) if r.get("level") == "error"] == []


def test_secret_wrapped_security_context_is_denied_not_crashed(tmp_path: Path) -> None:
    """Regression (issue 7): the Checkov worker raised AttributeError and the gate exited 2."""
    from tests.fixtures.independent.platform import secret

    def hide(platform: Any) -> None:
        spec = platform.inputs("deploy-features")["spec"]["template"]["spec"]
        spec["containers"][0]["securityContext"] = secret({"privileged": True})

    proc = gate(str(_independent(tmp_path, "hidden", hide)), "--format", "json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    blocking = {f["rule_id"] for f in findings if f["enforced"] and "feature-server" in f["urn"]}
    assert "UAE-K8S-001" in blocking
    assert any("cannot be verified at preview time (secret)" in f["message"] for f in findings)
