"""The SARIF 2.1.0 report (GitHub code scanning): one rule per rule id, one result per finding."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import quote

from platformctl import __version__
from platformctl.gate.findings import GateResult, Unchecked
from platformctl.gate.report.common import UNCHECKED_RULE_ID, UNCHECKED_TITLE

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


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
