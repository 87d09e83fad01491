"""The Markdown report: the pull-request comment, written the way a reviewer reads it.

Verdict and counts first; then each blocking finding once, as a table row (severity, rule,
resource, finding, controls, fix); waived findings, advisory findings and resources no engine
checks folded in `<details>`. GitHub refuses a comment over 65,536 characters, so rows stop
before that limit and the comment says how many were left out (the JSON and SARIF reports keep
every finding).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from platformctl.gate.findings import SEVERITIES, Finding, GateResult, Unchecked

# GitHub's limit on an issue or pull-request comment body, in characters.
GITHUB_COMMENT_LIMIT = 65_536
# Room kept for the closing lines (truncation notice, warnings) and anything a workflow prepends.
_RESERVED = 4_000
_MAX_WARNINGS = 20
_SEVERITY_ORDER = {severity: rank for rank, severity in enumerate(SEVERITIES)}


def cell(text: object) -> str:
    """One table cell: no pipe ends the cell early, no newline ends the row."""
    value = str(text).replace("\\", "\\\\").replace("|", "\\|")
    return " ".join(value.split()) or " "


def code(text: object) -> str:
    """Inline code in a cell; a backtick inside would end it, so such text stays plain."""
    value = cell(text)
    return f"`{value}`" if "`" not in value else value


def resource(urn: str, type_: str) -> str:
    """The URN's short name and the resource type, e.g. `data-lake` (aws:s3/bucket:Bucket)."""
    return f"{code(urn.rsplit('::', 1)[-1])} ({cell(type_)})"


def _order(f: Finding) -> tuple[int, str, str]:
    return (_SEVERITY_ORDER.get(f.severity, len(SEVERITIES)), f.rule_id, f.urn)


@dataclass
class _Budget:
    """Characters left for table rows, and the rows that did not fit."""

    left: int
    omitted: int = 0

    def take(self, line: str) -> bool:
        if self.omitted or len(line) + 1 > self.left:
            self.omitted += 1
            return False
        self.left -= len(line) + 1
        return True


def _table(header: Sequence[str], rows: Sequence[str], budget: _Budget) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    budget.left -= sum(len(line) + 1 for line in lines)
    kept = [row for row in rows if budget.take(row)]
    return [*lines, *kept] if kept else []


def _finding_rows(findings: Sequence[Finding], *, stacks: bool, fix: bool) -> list[str]:
    rows = []
    for f in sorted(findings, key=_order):
        last = cell(f.remediation) if fix else _waiver_text(f)
        where = f"{cell(f.stack)} | " if stacks else ""
        controls = ", ".join(f.controls) or "-"
        rows.append(
            f"| {where}{cell(f.severity)} | {code(f.rule_id)} | {resource(f.urn, f.type)} | {cell(f.message)}"
            f"{' (' + cell(f.note) + ')' if f.note else ''} | {cell(controls)} | {last} |"
        )
    return rows


def _waiver_text(f: Finding) -> str:
    if not f.waiver:
        return "-"
    return cell(f"{f.waiver['owner']} ({f.waiver['ticket']}) until {f.waiver['expires']}: {f.waiver['reason']}")


def _unchecked_rows(unchecked: Sequence[tuple[str, Unchecked]], *, stacks: bool) -> list[str]:
    return [
        f"| {cell(stack) + ' | ' if stacks else ''}{resource(u.urn, u.type)} | {cell(u.reason)} |"
        for stack, u in unchecked
    ]


def _header(stacks: bool, last: str) -> list[str]:
    return [*(["stack"] if stacks else []), "severity", "rule", "resource", "finding", "controls", last]


def render_markdown(result: GateResult, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    s = result.summary()
    findings = result.findings
    blocking = [f for f in findings if f.blocking]
    waived = [f for f in findings if f.waived]
    advisory = [f for f in findings if not f.enforced and not f.waived]
    unchecked = [(stack.stack, u) for stack in result.stacks for u in stack.unchecked]
    several = len(result.stacks) > 1
    icon = ":white_check_mark:" if result.verdict == "allow" else ":no_entry:"
    lines = [
        f"## {icon} Policy gate: **{result.verdict}** ({cell(result.stack_name)})",
        "",
        f"**{s['blocking']} blocking**, {s['waived']} waived, {s['advisory']} advisory finding(s); "
        f"{s['unchecked']} resource(s) not checked by any engine. {s['resources']} resources in "
        f"{s['previews']} preview(s); Checkov scanned {s['checkov_scanned']}.",
        "",
    ]
    budget = _Budget(limit - _RESERVED - sum(len(line) + 1 for line in lines))
    if blocking:
        lines += ["### Blocking findings", ""]
        lines += _table(_header(several, "fix"), _finding_rows(blocking, stacks=several, fix=True), budget)
        lines.append("")
    else:
        lines += ["No blocking findings.", ""]
    folded = [
        (f"Waived findings ({len(waived)})", _header(several, "waiver"), _finding_rows(waived, stacks=several, fix=False)),
        (f"Advisory findings ({len(advisory)})", _header(several, "fix"), _finding_rows(advisory, stacks=several, fix=True)),
        (
            f"Resources not checked by any engine ({len(unchecked)})",
            [*(["stack"] if several else []), "resource", "why"],
            _unchecked_rows(unchecked, stacks=several),
        ),
    ]  # fmt: skip
    for summary, header, rows in folded:
        if not rows:
            continue
        budget.left -= len(summary) + 40
        table = _table(header, rows, budget)
        if table:
            lines += ["<details>", f"<summary>{summary}</summary>", "", *table, "", "</details>", ""]
    if budget.omitted:
        lines += [
            f"> **{budget.omitted} row(s) left out** to stay under GitHub's {limit:,}-character comment "
            "limit; the JSON and SARIF reports list every finding.",
            "",
        ]
    for w in result.warnings[:_MAX_WARNINGS]:
        lines.append(f"> warning: {cell(w)[:500]}")
    if len(result.warnings) > _MAX_WARNINGS:
        lines.append(f"> ... and {len(result.warnings) - _MAX_WARNINGS} more warning(s)")
    return "\n".join(lines).rstrip() + "\n"
