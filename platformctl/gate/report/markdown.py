"""The Markdown report (the pull-request comment)."""

from __future__ import annotations

from collections import defaultdict

from platformctl.gate.findings import Finding, GateResult
from platformctl.gate.report.common import status_label


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
                f"| {status_label(f)} | `{f.rule_id}` | {f.severity} | `{_md_escape(resource)}` ({_md_escape(f.type)}) | {_md_escape(f.message)} |"
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
