"""The text report: one block per stack, the fix under each blocking finding, the verdict last."""

from __future__ import annotations

from platformctl.gate.findings import GateResult
from platformctl.gate.report.common import status_label


def render_text(result: GateResult) -> str:
    lines = []
    for stack in result.stacks:
        lines.append(f"stack {stack.stack} ({stack.source}): {stack.resources} resources, "
                     f"{len(stack.findings)} findings, checkov scanned {stack.checkov_scanned}")  # fmt: skip
        for f in sorted(stack.findings, key=lambda f: (not f.blocking, f.rule_id, f.urn)):
            lines.append(f"  [{status_label(f)}] {f.rule_id} {f.severity}: {f.message}")
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
