"""Sub-commands beyond synth: gate, residency, controls (registered on the CLI parser)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformctl.errors import EXIT_DENY, EXIT_OK
from platformctl.gate.engines import ENGINES
from platformctl.output import emit

if TYPE_CHECKING:
    from platformctl.gate.findings import StackResult

FORMATS = ("text", "json", "sarif", "junit", "markdown")
REPORT_SUFFIXES = {"text": ".txt", "json": ".json", "sarif": ".sarif", "junit": ".xml", "markdown": ".md"}


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _opa_token(args: argparse.Namespace) -> str | None:
    """The OPA server's bearer token: --opa-token-file, else PLATFORM_OPA_TOKEN (never on argv,
    where other local users could read it from the process list)."""
    from platformctl.gate.engines.opa_server_client import read_token_file, resolve_token

    if args.opa_token_file:
        return read_token_file(args.opa_token_file)
    return resolve_token()


def cmd_gate(args: argparse.Namespace) -> int:
    from platformctl.gate.report import RENDERERS, render_text
    from platformctl.gate.runner import GateOptions, run_gate

    options = GateOptions(
        stack=args.stack, engine=args.engine, opa_url=args.opa_url, opa_token=_opa_token(args),
        waivers=args.waivers, checkov=not args.no_checkov, today=args.today,
    )  # fmt: skip
    result = run_gate(args.previews, options)
    if args.reports_dir:
        # One evaluation, every format: what CI uploads and what `make demo` leaves behind.
        stem = _report_stem(Path(args.reports_dir), result.stack_name.replace(",", "+") or "gate")
        for fmt, suffix in REPORT_SUFFIXES.items():
            emit(RENDERERS[fmt](result), f"{stem}{suffix}")
    emit(RENDERERS[args.format](result), args.output)
    if args.output and args.format != "text":
        # A file report still leaves a human-readable verdict on the terminal.
        sys.stderr.write(render_text(result).splitlines()[-1] + "\n")
    return EXIT_OK if result.verdict == "allow" else EXIT_DENY


def _report_stem(folder: Path, name: str) -> Path:
    """DIR/<stack>: stack names are checked when the preview is read (preview.check_stack_name);
    this keeps the promise that reports land inside DIR even if that check is ever bypassed."""
    from platformctl.errors import PlatformError

    stem = folder / name
    if Path(name).name != name or name in (".", "..") or stem.resolve().parent != folder.resolve():
        raise PlatformError(f"--reports-dir: {name[:80]!r} is not a safe report file name")
    return stem


# Packages whose resources hold data somewhere: AWS (aws, aws-native) by their provider's region,
# Kubernetes objects by their cluster's (docs/gate-input.md). Component packages (awsx, eks) place
# nothing themselves: their children are listed under these packages.
PLACED_PACKAGES = ("aws", "aws-native", "kubernetes")
RESIDENCY_RULE_PREFIX = "UAE-RES-"


def residency_report(stack: StackResult) -> dict[str, Any]:
    """Resident only when every placed resource and provider is shown to be in the home region and
    no residency rule (UAE-RES-*) found an egress path: an unknown region (null) is never resident.
    The findings are the gate's own, from the same reader and engine as `platformctl gate`."""
    doc = stack.document
    assert doc is not None  # run_gate always keeps the normalized input
    rows = [
        {"urn": r["urn"], "type": r["type"], "region": r["region"], "region_source": r["region_source"]}
        for r in doc["resources"]
        if r["package"] in PLACED_PACKAGES and r["custom"]
    ]
    providers = [
        {"urn": p["urn"], "region": p["region"], "default": p["default"]}
        for p in doc["providers"]
        if p["package"] in PLACED_PACKAGES
    ]
    egress = [
        {"rule_id": f.rule_id, "urn": f.urn, "message": f.message, "resource_type": f.type}
        for f in stack.findings
        if f.rule_id.startswith(RESIDENCY_RULE_PREFIX)
    ]
    outside = [r for r in rows if r["region"] != doc["home_region"]] + [
        p for p in providers if p["region"] != doc["home_region"]
    ]
    return {
        "stack": doc["stack"],
        "home_region": doc["home_region"],
        "resident": not egress and not outside,
        "providers": providers,
        "resources": rows,
        "egress": egress,
    }


def cmd_residency(args: argparse.Namespace) -> int:
    from platformctl.gate.runner import GateOptions, run_gate

    # The gate's evaluation (reader, normalization, Rego engine), without Checkov: the residency
    # verdict comes from the placement facts and the residency rules' findings.
    options = GateOptions(
        stack=args.stack, engine=args.engine, opa_url=args.opa_url, opa_token=_opa_token(args), checkov=False
    )
    reports = [residency_report(stack) for stack in run_gate(args.previews, options).stacks]
    if args.format == "json":
        emit(json.dumps(reports if len(reports) > 1 else reports[0], indent=2) + "\n", args.output)
    else:
        lines = []
        for rep in reports:
            lines.append(f"stack {rep['stack']}: home region {rep['home_region']}")
            for p in rep["providers"]:
                lines.append(f"  provider {p['urn']}: {p['region'] or 'UNKNOWN'}{' (default)' if p['default'] else ''}")
            width = max((len(r["type"]) for r in rep["resources"]), default=0)
            for r in rep["resources"]:
                mark = "" if r["region"] == rep["home_region"] else "   <-- outside the UAE"
                lines.append(
                    f"  {r['type']:<{width}}  {r['region'] or 'UNKNOWN':<14} ({r['region_source']})  {r['urn'].rsplit('::', 1)[-1]}{mark}"
                )
            for f in rep["egress"]:
                lines.append(f"  EGRESS {f['rule_id']}: {f['message']} [{f['urn']}]")
            lines.append(
                f"  verdict: {'resident in ' + rep['home_region'] if rep['resident'] else 'DATA OR CONTROL LEAVES ' + rep['home_region']}"
            )
        emit("\n".join(lines) + "\n", args.output)
    return EXIT_OK if all(rep["resident"] for rep in reports) else EXIT_DENY


def cmd_controls(args: argparse.Namespace) -> int:
    from platformctl.gate.policy.controls import controls_matrix, render_controls_markdown

    matrix = controls_matrix()
    text = json.dumps(matrix, indent=2) + "\n" if args.format == "json" else render_controls_markdown(matrix)
    emit(text, args.output)
    return EXIT_OK


def _engine_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="regorus",
        help="Rego engine: regorus (embedded, default), opa (the OPA Go library in-process), "
        "opa-server (an OPA server's Data API at --opa-url)",
    )
    parser.add_argument("--opa-url", help="OPA server for --engine opa-server, e.g. http://127.0.0.1:8181")
    parser.add_argument(
        "--opa-token-file",
        help="file holding the OPA server's bearer token (default: environment variable PLATFORM_OPA_TOKEN)",
    )


def register(sub: Any) -> None:
    """Add the gate-side sub-commands to the parser's subparsers action."""
    gate = sub.add_parser(
        "gate", help="evaluate preview documents with Rego and Checkov; exit 0 allow, 1 deny, 2 error"
    )
    gate.add_argument(
        "previews", nargs="+", metavar="PREVIEW.json", help="`pulumi preview --json` output(s); - reads standard input"
    )
    gate.add_argument("--stack", help="stack name (default: from the URNs)")
    gate.add_argument("--format", choices=FORMATS, default="text")
    gate.add_argument("--output", help="write the report here (default stdout)")
    gate.add_argument("--reports-dir", help="also write every format to DIR/<stack>.{txt,json,sarif,xml,md}")
    gate.add_argument("--waivers", help="waivers YAML file")
    _engine_arguments(gate)
    gate.add_argument("--no-checkov", action="store_true", help="skip Checkov (reported as a warning)")
    gate.add_argument("--today", type=_date, help=argparse.SUPPRESS)
    gate.set_defaults(func=cmd_gate)

    residency = sub.add_parser(
        "residency", help="each resource's effective region and every egress path; exit 1 if anything leaves"
    )
    residency.add_argument("previews", nargs="+", metavar="PREVIEW.json")
    residency.add_argument("--stack")
    residency.add_argument("--format", choices=("text", "json"), default="text")
    residency.add_argument("--output")
    _engine_arguments(residency)
    residency.set_defaults(func=cmd_residency)

    controls = sub.add_parser("controls", help="control id -> rules -> tests, from the policies' METADATA")
    controls.add_argument("--format", choices=("markdown", "json"), default="markdown")
    controls.add_argument("--output")
    controls.set_defaults(func=cmd_controls)


__all__ = ["register"]
