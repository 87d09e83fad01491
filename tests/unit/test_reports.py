"""Each report writer on a hand-built GateResult: text, JSON, SARIF 2.1.0, JUnit XML, Markdown."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from platformctl.gate.findings import Finding, GateResult, StackResult, Unchecked
from platformctl.gate.report import RENDERERS
from platformctl.gate.report.markdown import GITHUB_COMMENT_LIMIT, render_markdown

REPO = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = REPO / "tools" / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "sarif-2.1.0.json"
STACK = "prod"
CONTROLS = ["UAE-PDPL-Art.22-23", "ISO27001-A.8.24", "NESA-T5.2.3", "ADHICS-DP.2"]


def urn(name: str, type_: str = "aws:s3/bucket:Bucket") -> str:
    return f"urn:pulumi:{STACK}::uae-ml-platform::{type_}::{name}"


def finding(rule_id: str, name: str, *, severity: str = "high", enforced: bool = True, **extra: object) -> Finding:
    fields: dict[str, object] = {
        "rule_id": rule_id,
        "engine": "rego",
        "severity": severity,
        "urn": urn(name),
        "type": "aws:s3/bucket:Bucket",
        "message": f"bucket {name} is not encrypted with a customer key",
        "remediation": "Set serverSideEncryptionConfiguration with a KMS key in me-central-1.",
        "controls": list(CONTROLS),
        "title": "S3 buckets are encrypted with a customer-managed key",
        "enforced": enforced,
        "stack": STACK,
        "source": "out/preview/prod.json",
        "line": 7,
    }
    fields.update(extra)
    return Finding(**fields)  # type: ignore[arg-type]


WAIVER = {"rule": "UAE-ENC-002", "urn": urn("legacy"), "stacks": [STACK], "owner": "data-team",
          "ticket": "SEC-42", "reason": "migration | in progress", "expires": "2027-01-31"}  # fmt: skip


def result(findings: list[Finding], unchecked: list[Unchecked] | None = None) -> GateResult:
    stack = StackResult(stack=STACK, source="out/preview/prod.json", environment=STACK, resources=120,
                        checkov_scanned=90, checkov_unmapped=[], findings=findings, unchecked=unchecked or [])  # fmt: skip
    rules = {"UAE-ENC-001": {"title": "Buckets encrypted", "severity": "high", "controls": CONTROLS,
                             "remediation": "Encrypt it.", "engine": "rego", "description": "d"}}  # fmt: skip
    return GateResult(stacks=[stack], rules=rules, warnings=["waiver SEC-1 (X on y) matched no finding"])


def mixed() -> GateResult:
    return result(
        [
            finding("UAE-ENC-001", "data-lake"),
            finding("UAE-ENC-002", "legacy", waived=True, waiver=WAIVER),
            finding("CKV_AWS_18", "logs", severity="low", enforced=False, engine="checkov", controls=[]),
        ],
        [Unchecked(urn=urn("odd", "aws:foo/bar:Bar"), type="aws:foo/bar:Bar", reason="no Rego rule")],
    )


def test_text_report_gives_status_fix_and_verdict() -> None:
    text = RENDERERS["text"](mixed())
    assert "[DENY] UAE-ENC-001 high" in text and "fix: Set serverSideEncryptionConfiguration" in text
    assert "[waived] UAE-ENC-002" in text and "waived by data-team (SEC-42) until 2027-01-31" in text
    assert "[advise] CKV_AWS_18" in text and "[unchecked] aws:foo/bar:Bar" in text
    assert text.splitlines()[-1] == "verdict: deny (1 blocking, 1 waived, 1 advisory, 1 unchecked)"
    assert RENDERERS["text"](result([])).splitlines()[-1].startswith("verdict: allow (0 blocking")


def test_json_report_round_trips_the_findings() -> None:
    document = json.loads(RENDERERS["json"](mixed()))
    assert document["verdict"] == "deny" and document["stack"] == STACK
    assert [(f["rule_id"], f["waived"], f["enforced"]) for f in document["findings"]] == [
        ("UAE-ENC-001", False, True), ("UAE-ENC-002", True, True), ("CKV_AWS_18", False, False)
    ]  # fmt: skip
    assert "line" not in document["findings"][0] and document["findings"][1]["waiver"]["ticket"] == "SEC-42"
    assert document["summary"]["blocking"] == 1 and document["summary"]["unchecked"] == 1
    assert document["unchecked"][0]["stack"] == STACK


def test_sarif_report_is_valid_sarif_2_1_0() -> None:
    document = json.loads(RENDERERS["sarif"](mixed()))
    assert SARIF_SCHEMA.exists(), "tools/node_modules (make setup) vendors the SARIF 2.1.0 schema"
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(document)
    run = document["runs"][0]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert [r["ruleId"] for r in run["results"]] == ["UAE-ENC-001", "UAE-ENC-002", "CKV_AWS_18", "UAE-GATE-UNCHECKED"]
    assert all(rule_ids[r["ruleIndex"]] == r["ruleId"] for r in run["results"])
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {
        "UAE-ENC-001": "error",
        "UAE-ENC-002": "error",
        "CKV_AWS_18": "note",
        "UAE-GATE-UNCHECKED": "note",
    }
    assert run["results"][1]["suppressions"][0]["status"] == "accepted"
    assert run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 7
    assert run["properties"]["verdict"] == "deny"


def test_junit_report_parses_and_counts_failures() -> None:
    root = ET.fromstring(RENDERERS["junit"](mixed()).split("\n", 1)[1])
    assert root.tag == "testsuites" and root.get("failures") == "1"
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == f"gate.{STACK}"
    failed = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name", "").split()[0] for c in failed] == ["UAE-ENC-001"]
    skipped = {c.get("name", "").split()[0] for c in suite.iter("testcase") if c.find("skipped") is not None}
    assert skipped == {"UAE-ENC-002", "UAE-GATE-UNCHECKED"}
    assert int(suite.get("tests", "0")) == len(list(suite.iter("testcase")))


def test_markdown_puts_the_verdict_first_and_each_finding_once() -> None:
    markdown = render_markdown(mixed())
    first = markdown.splitlines()[0]
    assert first.startswith("## :no_entry: Policy gate: **deny**")
    assert "**1 blocking**, 1 waived, 1 advisory" in markdown.split("\n\n")[1]
    # One finding with four controls is one row, its controls in a column.
    rows = [line for line in markdown.splitlines() if "`UAE-ENC-001`" in line]
    assert len(rows) == 1 and ", ".join(CONTROLS) in rows[0]
    assert "`data-lake` (aws:s3/bucket:Bucket)" in rows[0] and "Set serverSideEncryptionConfiguration" in rows[0]
    # Waived, advisory and unchecked are folded away, each once.
    details = markdown.split("<details>")
    assert len(details) == 4 and markdown.count("</details>") == 3
    assert markdown.count("`UAE-ENC-002`") == 1 and "Waived findings (1)" in details[1]
    assert "migration \\| in progress" in details[1]
    assert markdown.count("`CKV_AWS_18`") == 1 and "Advisory findings (1)" in details[2]
    assert "`odd` (aws:foo/bar:Bar)" in details[3]


def test_markdown_allow_without_findings() -> None:
    markdown = render_markdown(result([]))
    assert "**allow**" in markdown and "No blocking findings." in markdown and "<details>" not in markdown


def test_markdown_cells_escape_pipes_and_newlines() -> None:
    markdown = render_markdown(result([finding("UAE-ENC-001", "a|b", message="line one\nline | two")]))
    row = next(line for line in markdown.splitlines() if "`UAE-ENC-001`" in line)
    assert "line one line \\| two" in row and "`a\\|b`" in row
    # Every row of the table has the header's number of cells.
    assert len(re.split(r"(?<!\\)\|", row)) == len(
        re.split(r"(?<!\\)\|", markdown.split("### Blocking findings")[1].strip().splitlines()[0])
    )


@pytest.mark.parametrize("count", [3_000])
def test_markdown_stays_under_githubs_comment_limit_and_says_what_it_left_out(count: int) -> None:
    findings = [finding("UAE-ENC-001", f"bucket-{i:05d}-" + "x" * 40) for i in range(count)]
    findings += [finding("CKV_AWS_18", f"adv-{i}", enforced=False, severity="low") for i in range(count)]
    markdown = render_markdown(result(findings))
    assert len(markdown) < GITHUB_COMMENT_LIMIT
    shown = sum(1 for line in markdown.splitlines() if line.startswith("| high | `UAE-ENC-001`"))
    left_out = int(re.search(r"\*\*(\d+) row\(s\) left out\*\*", markdown).group(1))  # type: ignore[union-attr]
    assert 0 < shown < count and shown + left_out == 2 * count
    assert "**3000 blocking**" in markdown  # the counts are the true ones, not the rows shown
