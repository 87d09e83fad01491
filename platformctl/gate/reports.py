"""Render a GateResult as text, JSON, SARIF 2.1.0, JUnit XML or Markdown (for a PR comment)."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from platformctl import __version__
from platformctl.gate.findings import Finding, GateResult, Unchecked

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
# Resources no engine judges appear in every format under this id (never as a pass, never blocking).
UNCHECKED_RULE_ID = "UAE-GATE-UNCHECKED"
UNCHECKED_TITLE = "Resource not checked by any policy engine"


def _status(f: Finding) -> str:
    if f.waived:
        return "waived"
    return "DENY" if f.enforced else "advise"


def render_text(result: GateResult) -> str:
    lines = []
    for stack in result.stacks:
        lines.append(f"stack {stack.stack} ({stack.source}): {stack.resources} resources, "
                     f"{len(stack.findings)} findings, checkov scanned {stack.checkov_scanned}")  # fmt: skip
        for f in sorted(stack.findings, key=lambda f: (not f.blocking, f.rule_id, f.urn)):
            lines.append(f"  [{_status(f)}] {f.rule_id} {f.severity}: {f.message}")
            lines.append(f"      resource: {f.urn}")
            if f.waived and f.waiver:
                lines.append(f"      waived by {f.waiver['owner']} ({f.waiver['ticket']}) until {f.waiver['expires']}")
            if f.note:
                lines.append(f"      note: {f.note}")
            if f.blocking:
                lines.append(f"      fix: {f.remediation}")
        for u in stack.unchecked:
            lines.append(f"  [unchecked] {u.type}: {u.reason}")
            lines.append(f"      resource: {u.urn}")
    lines.extend(f"warning: {w}" for w in result.warnings)
    s = result.summary()
    lines.append(
        f"verdict: {result.verdict} ({s['blocking']} blocking, {s['waived']} waived, {s['advisory']} advisory, "
        f"{s['unchecked']} unchecked)"
    )
    return "\n".join(lines) + "\n"


def render_json(result: GateResult) -> str:
    return json.dumps(result.as_dict(), indent=2, sort_keys=False) + "\n"


def _rule_meta(result: GateResult, rule_id: str) -> dict:
    return result.rules.get(rule_id, {})


def _artifact_uri(source: str) -> str:
    """SARIF wants a URI: relative paths stay relative (GitHub resolves them against the repo)."""
    path = Path(source)
    return path.resolve().as_uri() if path.is_absolute() else quote(path.as_posix())


def render_sarif(result: GateResult) -> str:
    used = sorted({f.rule_id for f in result.findings})
    rules = []
    for rule_id in used:
        meta = _rule_meta(result, rule_id)
        sample = next(f for f in result.findings if f.rule_id == rule_id)
        title = meta.get("title") or sample.title
        remediation = meta.get("remediation") or sample.remediation
        controls = meta.get("controls") or sample.controls
        severity = meta.get("severity") or sample.severity
        rules.append(
            {
                "id": rule_id,
                "name": "".join(w.capitalize() for w in title.split()[:8] if w.isalnum()) or rule_id,
                "shortDescription": {"text": title},
                "fullDescription": {"text": meta.get("description") or title},
                "help": {
                    "text": f"{remediation}\nControls: {', '.join(controls)}",
                    "markdown": f"**Remediation:** {remediation}\n\n**Controls:** {', '.join(controls)}",
                },
                "defaultConfiguration": {"level": _LEVEL.get(severity, "warning")},
                "properties": {
                    "tags": ["security", "uae-residency", *controls],
                    "security-severity": _SECURITY_SEVERITY.get(severity, "5.5"),
                    "engine": meta.get("engine") or sample.engine,
                },
            }
        )
    unchecked = [(stack.source, stack.stack, u) for stack in result.stacks for u in stack.unchecked]
    if unchecked:
        rules.append(
            {
                "id": UNCHECKED_RULE_ID,
                "name": "ResourceNotChecked",
                "shortDescription": {"text": UNCHECKED_TITLE},
                "fullDescription": {
                    "text": "Neither the Rego rules nor Checkov have a check for this kind of resource; "
                    "it was read but not judged. Review it by hand or add a rule."
                },
                "defaultConfiguration": {"level": "note"},
                "properties": {"tags": ["coverage"], "engine": "gate"},
            }
        )
    index = {rule_id: i for i, rule_id in enumerate([*used, UNCHECKED_RULE_ID])}
    results = []
    for f in result.findings:
        entry = {
            "ruleId": f.rule_id,
            "ruleIndex": index[f.rule_id],
            "level": _LEVEL.get(f.severity, "warning") if f.enforced else "note",
            "message": {"text": f"{f.message} [{f.urn}]"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _artifact_uri(f.source)},
                        "region": {"startLine": max(1, f.line)},
                    },
                    "logicalLocations": [{"fullyQualifiedName": f.urn, "kind": "resource"}],
                }
            ],
            "partialFingerprints": {
                "primaryLocationLineHash": hashlib.sha256(f"{f.rule_id}|{f.urn}".encode()).hexdigest()[:32]
            },
            "properties": {"stack": f.stack, "resourceType": f.type, "controls": f.controls, "engine": f.engine},
        }
        if f.waived and f.waiver:
            entry["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": f"{f.waiver['reason']} (owner {f.waiver['owner']}, "
                    f"ticket {f.waiver['ticket']}, expires {f.waiver['expires']})",
                }
            ]
        results.append(entry)
    for source, stack_name, u in unchecked:
        results.append(_sarif_unchecked(source, stack_name, u, index[UNCHECKED_RULE_ID]))
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "platformctl-gate",
                        "version": __version__,
                        "informationUri": "https://github.com/uae-ml-platform/uae-ml-platform",
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"platformctl-gate/{result.stack_name}/"},
                "results": results,
                "properties": {"verdict": result.verdict},
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def _sarif_unchecked(source: str, stack: str, u: Unchecked, rule_index: int) -> dict:
    return {
        "ruleId": UNCHECKED_RULE_ID,
        "ruleIndex": rule_index,
        "level": "note",
        "message": {"text": f"not checked: {u.type}: {u.reason} [{u.urn}]"},
        "locations": [
            {
                "physicalLocation": {"artifactLocation": {"uri": _artifact_uri(source)}, "region": {"startLine": 1}},
                "logicalLocations": [{"fullyQualifiedName": u.urn, "kind": "resource"}],
            }
        ],
        "partialFingerprints": {
            "primaryLocationLineHash": hashlib.sha256(f"{UNCHECKED_RULE_ID}|{u.urn}".encode()).hexdigest()[:32]
        },
        "properties": {"stack": stack, "resourceType": u.type, "engine": "gate"},
    }


def render_junit(result: GateResult) -> str:
    suites = ET.Element("testsuites", name="platformctl-gate")
    total_failures = total_tests = 0
    for stack in result.stacks:
        by_rule: dict[str, list[Finding]] = defaultdict(list)
        for f in stack.findings:
            by_rule[f.rule_id].append(f)
        rule_ids = sorted(set(result.rules) | set(by_rule))
        suite = ET.SubElement(suites, "testsuite", name=f"gate.{stack.stack}", file=stack.source)
        failures = skipped = 0
        for rule_id in rule_ids:
            found = by_rule.get(rule_id, [])
            meta = result.rules.get(rule_id, {})
            case = ET.SubElement(
                suite, "testcase", classname=f"gate.{stack.stack}", name=f"{rule_id} {meta.get('title', '')}".strip()
            )
            blocking = [f for f in found if f.blocking]
            if blocking:
                failures += 1
                failure = ET.SubElement(
                    case, "failure", message=f"{len(blocking)} resource(s) violate {rule_id}", type=blocking[0].severity
                )
                failure.text = "\n".join(f"{f.urn}: {f.message}" for f in blocking)
            elif found and all(f.waived for f in found if f.enforced) and any(f.waived for f in found):
                skipped += 1
                ET.SubElement(
                    case,
                    "skipped",
                    message="waived: " + "; ".join(f"{f.urn} ({f.waiver['ticket']})" for f in found if f.waiver),
                )
            elif found:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(f"advisory: {f.urn}: {f.message}" for f in found)
        for u in stack.unchecked:
            skipped += 1
            case = ET.SubElement(
                suite, "testcase", classname=f"gate.{stack.stack}.unchecked", name=f"{UNCHECKED_RULE_ID} {u.urn}"
            )
            properties = ET.SubElement(case, "properties")
            ET.SubElement(properties, "property", name="resource_type", value=u.type)
            ET.SubElement(case, "skipped", message=f"not checked by any engine: {u.reason}")
        suite.set("tests", str(len(rule_ids) + len(stack.unchecked)))
        suite.set("failures", str(failures))
        suite.set("skipped", str(skipped))
        suite.set("errors", "0")
        total_failures += failures
        total_tests += len(rule_ids) + len(stack.unchecked)
    suites.set("tests", str(total_tests))
    suites.set("failures", str(total_failures))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(result: GateResult) -> str:
    s = result.summary()
    icon = ":white_check_mark:" if result.verdict == "allow" else ":no_entry:"
    lines = [
        f"## {icon} Policy gate: **{result.verdict}** ({result.stack_name})",
        "",
        f"{s['resources']} resources in {s['previews']} preview(s); {s['blocking']} blocking, "
        f"{s['waived']} waived, {s['advisory']} advisory finding(s); Checkov scanned {s['checkov_scanned']}; "
        f"{s['unchecked']} resource(s) not checked by any engine.",
        "",
    ]
    by_control: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        for control in f.controls or ["(no control)"]:
            by_control[control].append(f)
    for control in sorted(by_control):
        lines += [f"### {control}", "", "| status | rule | severity | resource | finding |", "|---|---|---|---|---|"]
        for f in sorted(by_control[control], key=lambda f: (not f.blocking, f.rule_id, f.urn)):
            resource = f.urn.rsplit("::", 1)[-1]
            lines.append(
                f"| {_status(f)} | `{f.rule_id}` | {f.severity} | `{_md_escape(resource)}` ({_md_escape(f.type)}) | {_md_escape(f.message)} |"
            )
        lines.append("")
    if not by_control:
        lines.append("No findings.")
    unchecked = [(stack.stack, u) for stack in result.stacks for u in stack.unchecked]
    if unchecked:
        lines += ["", "### Not checked by any engine", "", "| stack | resource | type | why |", "|---|---|---|---|"]
        for stack_name, u in unchecked:
            name = u.urn.rsplit("::", 1)[-1]
            lines.append(
                f"| {_md_escape(stack_name)} | `{_md_escape(name)}` | {_md_escape(u.type)} | {_md_escape(u.reason)} |"
            )
        lines.append("")
    for w in result.warnings:
        lines.append(f"> warning: {_md_escape(w)}")
    return "\n".join(lines).rstrip() + "\n"


RENDERERS: dict[str, Callable[[GateResult], str]] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "junit": render_junit,
    "markdown": render_markdown,
}
