"""Gate orchestration: previews -> normalized input -> Rego + Checkov -> metadata -> waivers.

Fail closed: any error in reading, normalizing or evaluating raises a PlatformError (exit 2).
A finding is only ever dropped by a matching, unexpired waiver, and even then it is reported.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from platformctl import schemas
from platformctl.errors import PolicyEngineError, PreviewFormatError
from platformctl.gate.engines import ENGINES
from platformctl.gate.findings import ENFORCED_SEVERITIES, Finding, GateResult, StackResult, Unchecked
from platformctl.gate.input.preview import load_preview_file, normalize
from platformctl.gate.policy.waivers import Waiver, load_waivers


@dataclass(frozen=True)
class GateOptions:
    stack: str | None = None
    # "regorus" (embedded, the default), "opa" (the OPA Go library in-process) or "opa-server"
    # (an OPA server over its REST Data API, through opa-python-client): ENGINES.
    engine: str = "regorus"
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
    if options.engine in ("regorus", "opa"):
        from platformctl.gate.engines.rego import make_engine

        return make_engine(options.engine)  # type: ignore[arg-type]
    if options.engine == "opa-server":
        if not options.opa_url:
            raise PolicyEngineError("--engine opa-server needs --opa-url (e.g. http://127.0.0.1:8181)")
        from platformctl.gate.engines.opa_server_client import OpaServerEngine

        return OpaServerEngine(options.opa_url, token=options.opa_token)
    raise PolicyEngineError(f"unknown engine {options.engine!r} ({', '.join(ENGINES)})")


def _rule_table() -> dict[str, dict[str, Any]]:
    from platformctl.gate.policy.catalogue import load_catalogue

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
        schemas.check("rego-finding", item, PolicyEngineError, "rego returned a malformed finding")
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


def _checkov_findings(result: Any, source: str, lines: dict[str, int]) -> list[Finding]:
    """Checkov's findings (already the gate's Finding type) placed in the preview file they came from."""
    return [dataclasses.replace(f, source=source, line=lines.get(f.urn, 1)) for f in result.findings]


def _unjudged(engine: Any, doc: dict[str, Any]) -> set[str] | None:
    """URNs the Rego rules do not judge, or None when the engine cannot say (then Checkov alone decides)."""
    method = getattr(engine, "unjudged", None)
    if method is None:
        return None
    try:
        return set(method(doc))
    except PolicyEngineError:
        raise
    except Exception as exc:  # noqa: BLE001 - an engine failure is never an allow
        raise PolicyEngineError(f"rego evaluation failed: {type(exc).__name__}: {exc}") from exc


def unchecked_resources(doc: dict[str, Any], rego_unjudged: set[str] | None, checkov: Any | None) -> list[Unchecked]:
    """Live custom resources that neither engine judges: Rego says it has no rule for them and
    Checkov has no check for their type or kind (or could not translate them)."""
    checkov_unchecked: set[str] | None = None
    reasons: dict[str, str] = {}
    if checkov is not None:
        checkov_unchecked = set(checkov.unchecked)
        for urn in checkov.unchecked:
            reasons[urn] = "no Rego rule and no Checkov check for this type"
        for unmapped in checkov.unmapped:
            checkov_unchecked.add(unmapped.urn)
            reasons[unmapped.urn] = f"no Rego rule; Checkov cannot read it ({unmapped.reason})"
    out = []
    for resource in doc["resources"]:
        urn = resource["urn"]
        if not resource.get("custom") or resource.get("op") in _GONE_OPS:
            continue
        if rego_unjudged is not None and urn not in rego_unjudged:
            continue
        if checkov_unchecked is not None and urn not in checkov_unchecked:
            continue
        if rego_unjudged is None and checkov_unchecked is None:
            continue
        reason = reasons.get(urn) or (
            "no Rego rule for this type (Checkov was disabled)"
            if checkov is None
            else "no Checkov check; the Rego engine in use cannot list what its rules judge"
        )
        out.append(Unchecked(urn=urn, type=str(resource["type"]), reason=reason))
    return out


# Steps after which the resource is gone or only read: nothing to judge.
_GONE_OPS = frozenset({"delete", "delete-replaced", "discard", "discard-replaced", "read", "read-discard",
                       "remove-pending-replace"})  # fmt: skip


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
    worker = None
    if options.checkov:
        from platformctl.gate.engines.checkov import WorkerProcess

        # Start Checkov first: it loads (the costly part) while the previews are read and Rego runs.
        worker = WorkerProcess()
    try:
        return _run_gate(paths, options, today, worker)
    finally:
        if worker is not None:
            worker.close()


def _run_gate(paths: Sequence[str], options: GateOptions, today: dt.date, worker: Any) -> GateResult:
    waivers = load_waivers(options.waivers, today)
    documents = []
    for path in paths:
        raw = load_preview_file(path)
        documents.append((path, normalize(raw, source=str(path), stack=options.stack)))
    rules = _rule_table()
    engine = make_rego_engine(options)
    evaluated = []
    for path, doc in documents:
        lines = _urn_lines(path)
        findings = _rego_findings(engine, doc, rules, str(path), lines)
        evaluated.append((path, doc, lines, findings, _unjudged(engine, doc)))
    checkov_results: list[Any] = [None] * len(documents)
    if worker is not None:
        from platformctl.gate.engines.checkov import run_checkov_batch

        # Every preview of this command in one worker process: Checkov's import is paid once.
        checkov_results = run_checkov_batch([doc for _, doc in documents], worker=worker)
    stacks = []
    for (path, doc, lines, findings, unjudged), checkov in zip(evaluated, checkov_results, strict=True):
        scanned, unmapped = 0, []
        if checkov is not None:
            findings.extend(_checkov_findings(checkov, str(path), lines))
            scanned = checkov.scanned_count
            unmapped = sorted({u.type for u in checkov.unmapped if u.type.startswith("aws:")})
        stacks.append(
            StackResult(
                stack=doc["stack"],
                source=str(path),
                environment=doc["environment"],
                resources=sum(1 for r in doc["resources"] if r["custom"]),
                checkov_scanned=scanned,
                checkov_unmapped=unmapped,
                findings=findings,
                unchecked=unchecked_resources(doc, unjudged, checkov),
                document=doc,
            )  # fmt: skip
        )
    all_findings = [f for s in stacks for f in s.findings]
    warnings = apply_waivers(all_findings, waivers, today)
    if not options.checkov:
        warnings.append("checkov was disabled (--no-checkov): only Rego policies were evaluated")
    return GateResult(stacks=stacks, rules=rules, warnings=warnings)
