"""`platformctl record | promote | history | release`: verdicts, promotion and provenance.

Exit codes as everywhere in platformctl (errors.py): 0 done, 1 refused by a rule (gate deny, no
allow verdict, soak time, ancestry), 2 input or configuration error (unknown stack, dirty tree,
malformed bundle, broken ledger). A refusal prints one line and changes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

from platformctl.errors import EXIT_DENY, EXIT_OK
from platformctl.output import emit

REPORT_SUFFIXES = {"text": ".txt", "json": ".json", "markdown": ".md"}


# `--now` moves the clock (tests of soak time); a backdated verdict would fake a soak, so the option
# works only where this variable says the clock may be moved.
CLOCK_OVERRIDE_ENV = "PLATFORMCTL_ALLOW_CLOCK_OVERRIDE"


def _moment(value: str) -> dt.datetime:
    if os.environ.get(CLOCK_OVERRIDE_ENV) != "1":
        raise argparse.ArgumentTypeError(f"--now is for tests (set {CLOCK_OVERRIDE_ENV}=1)")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO-8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _hours(value: str) -> float:
    try:
        hours = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of hours") from None
    if hours < 0 or hours != hours:
        raise argparse.ArgumentTypeError("soak time must be zero or more hours")
    return hours


def _write_reports(reports: dict[str, str], reports_dir: str | None, stem: str) -> None:
    if reports_dir:
        for fmt, text in reports.items():
            emit(text, str(Path(reports_dir) / f"{stem}{REPORT_SUFFIXES[fmt]}"))


def cmd_record(args: argparse.Namespace) -> int:
    from platformctl.release.promotion import Workspace, record_verdict

    ws = Workspace.at(args.repo, args.ledger_dir)
    result = record_verdict(
        ws, args.stack, preview=args.preview, checkov=not args.no_checkov, waivers=args.waivers,
        infra_commit=args.infra_commit, now=args.now,
    )  # fmt: skip
    record = result.record
    _write_reports(result.evidence.reports, args.reports_dir, f"record-{args.stack}")
    print(result.evidence.reports["text"].strip().splitlines()[-1], file=sys.stderr)
    print(
        f"recorded {record['gate']['verdict']} for {args.stack} bundle {record['bundle_digest'][:19]} "
        f"at {record['source_commit'][:12]} -> {ws.ledger_dir / (args.stack + '.jsonl')} (seq {record['seq']})"
    )
    return EXIT_OK if record["gate"]["verdict"] == "allow" else EXIT_DENY


def cmd_promote(args: argparse.Namespace) -> int:
    from platformctl.release.promotion import PromotionRefusedError, Workspace, promote

    ws = Workspace.at(args.repo, args.ledger_dir)
    try:
        result = promote(
            ws, args.source, args.target, dry_run=args.dry_run, soak_hours=args.soak,
            checkov=not args.no_checkov, waivers=args.waivers, preview=args.preview, now=args.now,
        )  # fmt: skip
    except PromotionRefusedError as exc:
        print(f"platformctl promote: refused: {exc}", file=sys.stderr)
        return exc.exit_code
    digest = result.bundle.digest[:19]
    if result.unchanged:
        print(f"{result.target} already runs bundle {digest}: nothing to promote")
        return EXIT_OK
    assert result.evidence is not None
    _write_reports(result.evidence.reports, args.reports_dir, f"promote-{result.target}")
    print(
        f"promote {result.source} -> {result.target}: bundle {digest} (soaked {result.soaked_hours:.1f} h of {result.soak_hours:g} h)"
    )
    print(f"--- stacks/release.{result.target}.yaml")
    print(f"+++ stacks/release.{result.target}.yaml (from {result.source})")
    for line in result.diff:
        print(f"  {line}")
    print(result.evidence.reports["text"].strip().splitlines()[-1])
    if result.dry_run:
        print("dry run: nothing written")
    else:
        assert result.record is not None
        print(f"wrote stacks/release.{result.target}.yaml and provenance record seq {result.record['seq']} "
              f"({result.record['digest'][:19]}) to {ws.ledger_dir / (result.target + '.jsonl')}")  # fmt: skip
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from platformctl.release.promotion import Workspace, history, render_history, render_history_json

    ws = Workspace.at(args.repo, args.ledger_dir)
    records = history(ws, args.stack)
    emit(render_history_json(records) if args.format == "json" else render_history(args.stack, records), args.output)
    return EXIT_OK


def cmd_release_show(args: argparse.Namespace) -> int:
    from platformctl.release.bundle import load_bundle, load_bundle_file

    if args.file:
        bundle = load_bundle_file(args.file)
    else:
        from platformctl.release.promotion import Workspace

        bundle = load_bundle(args.stack, Workspace.at(args.repo).stacks_dir)
    if args.digest:
        print(bundle.digest)
        return EXIT_OK
    if args.field:
        value: Any = {"digest": bundle.digest, **bundle.promotable()}
        for part in args.field.split("."):
            if not isinstance(value, dict) or part not in value:
                from platformctl.release.bundle import BundleError

                raise BundleError(f"the bundle has no field {args.field!r}")
            value = value[part]
        print(value if isinstance(value, str | int) else json.dumps(value, sort_keys=True))
        return EXIT_OK
    print(json.dumps({"digest": bundle.digest, **bundle.document()}, indent=2))
    return EXIT_OK


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", help="the git checkout (default: the one around the current directory)")
    parser.add_argument("--ledger-dir", help="provenance ledger folder (default: releases/provenance in the checkout)")


def _gate_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preview", metavar="PREVIEW.json",
        help="gate this `pulumi preview --json` of the stack instead of synthesizing it offline",
    )  # fmt: skip
    parser.add_argument("--no-checkov", action="store_true", help="gate with Rego only (recorded in the provenance)")
    parser.add_argument("--waivers", help="waivers file (default: policies/waivers.yaml when it exists)")
    parser.add_argument("--reports-dir", help="write the gate's text, JSON and Markdown reports here")
    parser.add_argument("--now", type=_moment, help=argparse.SUPPRESS)


def register(sub: Any) -> None:
    record = sub.add_parser(
        "record", help="gate a stack's current release bundle and append the verdict to its provenance ledger"
    )
    record.add_argument("--stack", required=True)
    record.add_argument(
        "--infra-commit", help="first pin the bundle's infra commit to this one (the deploy of dev records main)"
    )
    _gate_options(record)
    _common(record)
    record.set_defaults(func=cmd_record)

    promote = sub.add_parser(
        "promote", help="carry a release bundle to the next stack; refuses without a verdict, soak or gate allow"
    )
    promote.add_argument("--from", dest="source", required=True, metavar="STACK")
    promote.add_argument("--to", dest="target", required=True, metavar="STACK")
    promote.add_argument("--dry-run", action="store_true", help="check and show the diff; write nothing")
    promote.add_argument(
        "--soak", type=_hours, metavar="HOURS",
        help="hours the bundle must have been verified in the source (default: staging 1, prod 24)",
    )  # fmt: skip
    _gate_options(promote)
    _common(promote)
    promote.set_defaults(func=cmd_promote)

    hist = sub.add_parser("history", help="the provenance records of a stack (hash chain verified)")
    hist.add_argument("stack", metavar="STACK")
    hist.add_argument("--format", choices=("text", "json"), default="text")
    hist.add_argument("--output")
    _common(hist)
    hist.set_defaults(func=cmd_history)

    release = sub.add_parser("release", help="read a release bundle's pins")
    release_sub = release.add_subparsers(dest="release_command", required=True)
    show = release_sub.add_parser("show", help="print a stack's bundle, its digest or one field")
    target = show.add_mutually_exclusive_group(required=True)
    target.add_argument("--stack")
    target.add_argument("--file", help="a bundle file anywhere")
    show.add_argument("--field", help="dotted path, e.g. infra.commit or images.serving")
    show.add_argument("--digest", action="store_true", help="print only the bundle digest")
    show.add_argument("--repo", help=argparse.SUPPRESS)
    show.set_defaults(func=cmd_release_show)


__all__ = ["register"]
