"""Gate orchestration: previews -> normalized input -> Rego + Checkov -> metadata -> waivers.

Fail closed: any error in reading, normalizing or evaluating raises a PlatformError (exit 2).
A finding is only ever dropped by a matching, unexpired waiver, and even then it is reported.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from platformctl.errors import PolicyEngineError, PreviewFormatError
from platformctl.gate.findings import ENFORCED_SEVERITIES, Finding, GateResult, StackResult
from platformctl.gate.preview import load_preview_file, normalize
from platformctl.gate.waivers import Waiver, load_waivers


@dataclass(frozen=True)
class GateOptions:
    stack: str | None = None
    engine: str = "regorus"  # "regorus" (embedded) or "opa" (an OPA server via opa-python-client)
    opa_url: str | None = None
    opa_token: str | None = None  # bearer token for the OPA server (file or PLATFORM_OPA_TOKEN)
    waivers: str | None = None
    checkov: bool = True
    today: dt.date | None = None


def _urn_lines(path: str) -> dict[str, int]:
    """Line of each step's `"urn"` in the preview file, for report locations."""
    lines: dict[str, int] = {}
    if path == "-":
        return lines
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                stripped = line.strip()
                if stripped.startswith('"urn":'):
                    try:
                        urn = json.loads(stripped[len('"urn":') :].rstrip(","))
                    except json.JSONDecodeError:
                        continue
                    if isinstance(urn, str):
                        lines.setdefault(urn, number)
    except OSError:
        pass
    return lines


def make_rego_engine(options: GateOptions) -> Any:
    if options.engine == "regorus":
        from platformctl.gate.rego_engine import make_engine

        return make_engine("regorus")
    if options.engine == "opa":
        if not options.opa_url:
            raise PolicyEngineError("--engine opa needs --opa-url (e.g. http://127.0.0.1:8181)")
        from platformctl.gate.opa_client_engine import OpaServerEngine

        return OpaServerEngine(options.opa_url, token=options.opa_token)
    raise PolicyEngineError(f"unknown engine {options.engine!r} (regorus or opa)")


def _rule_table() -> dict[str, dict[str, Any]]:
    from platformctl.gate.catalogue import load_catalogue

    return {
        rule.rule_id: {
            "title": rule.title,
            "description": rule.description,
            "severity": rule.severity,
            "controls": list(rule.controls),
            "remediation": rule.remediation,
            "engine": "rego",
        }
        for rule in load_catalogue().values()
    }


def _rego_findings(
    engine: Any, doc: dict[str, Any], rules: dict[str, dict[str, Any]], source: str, lines: dict[str, int]
) -> list[Finding]:
    try:
        raw = engine.evaluate(doc)
    except PolicyEngineError:
        raise
    except Exception as exc:  # noqa: BLE001 - an engine failure is never an allow
        raise PolicyEngineError(f"rego evaluation failed: {type(exc).__name__}: {exc}") from exc
    types = {r["urn"]: r["type"] for r in doc["resources"]}
    out = []
    for item in raw:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("rule_id"), str)
            or not isinstance(item.get("urn"), str)
        ):
            raise PolicyEngineError(f"rego returned a malformed finding: {str(item)[:200]}")
        meta = rules.get(item["rule_id"])
        if meta is None:
            raise PolicyEngineError(f"rego finding for {item['rule_id']} has no METADATA in the catalogue")
        out.append(
            Finding(
                rule_id=item["rule_id"],
                engine="rego",
                severity=meta["severity"],
                urn=item["urn"],
                type=types.get(item["urn"], str(item.get("resource_type", ""))),
                message=str(item.get("message", meta["title"])),
                remediation=meta["remediation"],
                controls=list(meta["controls"]),
                title=meta["title"],
                enforced=meta["severity"] in ENFORCED_SEVERITIES,
                stack=doc["stack"],
                source=source,
                line=lines.get(item["urn"], 1),
            )
        )
    return out


def _checkov_findings(doc: dict[str, Any], source: str, lines: dict[str, int]) -> tuple[list[Finding], int, list[str]]:
    from platformctl.gate.checkov_runner import run_checkov

    result = run_checkov(doc, doc["environment"])
    findings = [
        Finding(
            rule_id=f.rule_id,
            engine="checkov",
            severity=f.severity,
            urn=f.urn,
            type=f.resource_type,
            message=f.message,
            remediation=f.remediation,
            controls=list(f.controls),
            title=f.title,
            enforced=f.enforced,
            stack=doc["stack"],
            source=source,
            line=lines.get(f.urn, 1),
        )
        for f in result.findings
    ]
    return findings, result.scanned_count, sorted({u.type for u in result.unmapped if u.type.startswith("aws:")})


def apply_waivers(findings: list[Finding], waivers: list[Waiver], today: dt.date) -> list[str]:
    """Mark findings waived by matching, unexpired waivers. Returns warnings (expired, unused)."""
    warnings = []
    used: set[int] = set()
    for finding in findings:
        for index, waiver in enumerate(waivers):
            if not waiver.matches(finding.rule_id, finding.urn, finding.stack):
                continue
            used.add(index)
            if waiver.expired(today):
                finding.note = f"waiver {waiver.ticket} by {waiver.owner} expired on {waiver.expires.isoformat()}"
                continue
            finding.waived = True
            finding.waiver = waiver.as_dict()
            finding.note = None
            break
    for index, waiver in enumerate(waivers):
        if waiver.expired(today):
            warnings.append(
                f"waiver {waiver.ticket} ({waiver.rule} on {waiver.urn}) expired on {waiver.expires.isoformat()}"
            )
        elif index not in used:
            warnings.append(f"waiver {waiver.ticket} ({waiver.rule} on {waiver.urn}) matched no finding")
    return warnings


def run_gate(paths: Sequence[str], options: GateOptions) -> GateResult:
    if not paths:
        raise PreviewFormatError("no preview document given")
    today = options.today or dt.date.today()
    waivers = load_waivers(options.waivers, today)
    documents = []
    for path in paths:
        raw = load_preview_file(path)
        documents.append((path, normalize(raw, source=str(path), stack=options.stack)))
    rules = _rule_table()
    engine = make_rego_engine(options)
    stacks = []
    for path, doc in documents:
        lines = _urn_lines(path)
        findings = _rego_findings(engine, doc, rules, str(path), lines)
        scanned, unmapped = 0, []
        if options.checkov:
            checkov_findings, scanned, unmapped = _checkov_findings(doc, str(path), lines)
            findings.extend(checkov_findings)
        stacks.append(
            StackResult(
                stack=doc["stack"],
                source=str(path),
                environment=doc["environment"],
                resources=sum(1 for r in doc["resources"] if r["custom"]),
                checkov_scanned=scanned,
                checkov_unmapped=unmapped,
                findings=findings,
            )  # fmt: skip
        )
    all_findings = [f for s in stacks for f in s.findings]
    warnings = apply_waivers(all_findings, waivers, today)
    if not options.checkov:
        warnings.append("checkov was disabled (--no-checkov): only Rego policies were evaluated")
    return GateResult(stacks=stacks, rules=rules, warnings=warnings)
