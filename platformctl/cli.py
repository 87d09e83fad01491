"""platformctl: the one command line of the platform.

Every sub-command maps user-fixable errors (PlatformError) to exit code 2 with a one-line reason
on stderr; a policy denial is exit 1; success is 0. No failure path prints "allow".
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from platformctl.errors import EXIT_ERROR, EXIT_OK, PlatformError
from platformctl.output import emit
from platformctl.synth.stackfile import STACKS_DIR


def summarize_preview(document: dict[str, Any]) -> str:
    types = Counter(step["newState"]["type"] for step in document["steps"] if "newState" in step)
    resources = sum(n for t, n in types.items() if not t.startswith("pulumi:"))
    providers = [
        f"{step['newState']['type'].rsplit(':', 1)[-1]}({step['newState']['inputs'].get('region', '-')})"
        for step in document["steps"]
        if step.get("newState", {}).get("type", "").startswith("pulumi:providers:")
    ]
    return f"{resources} resources, {len(types)} types, providers: {', '.join(providers)}"


def cmd_synth(args: argparse.Namespace) -> int:
    from platformctl.synth import synthesize
    from platformctl.synth.engine import PROGRAMS
    from platformctl.synth.stackfile import available_stacks

    stacks_dir = Path(args.stacks_dir) if args.stacks_dir else PROGRAMS[args.program][1]
    stacks = available_stacks(stacks_dir) if args.all else [args.stack]
    if not args.all and not args.stack:
        raise PlatformError("synth needs --stack NAME or --all")
    if len(stacks) > 1 and args.out:
        raise PlatformError("--out takes one stack; use --out-dir with --all")
    for stack in stacks:
        started = time.perf_counter()
        document = synthesize(stack, stacks_dir, program=args.program)
        elapsed = time.perf_counter() - started
        text = json.dumps(document, indent=2) + "\n"
        if args.out_dir:
            out = str(Path(args.out_dir) / f"{stack}.json")
        else:
            out = args.out
        if out:
            emit(text, out)
            print(f"synth {stack}: {summarize_preview(document)} -> {out} ({elapsed:.1f}s)", file=sys.stderr)
        else:
            emit(text, None)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="platformctl", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    synth = sub.add_parser("synth", help="synthesize a stack's `pulumi preview --json` document offline")
    synth.add_argument("--stack", help="stack name (dev, staging, prod)")
    synth.add_argument("--all", action="store_true", help="every stack in stacks/")
    synth.add_argument(
        "--stacks-dir",
        help=f"folder of Pulumi.<stack>.yaml files (default: {STACKS_DIR.name}/, bootstrap/ for --program bootstrap)",
    )
    synth.add_argument(
        "--program", choices=("platform", "bootstrap"), default="platform",
        help="platform (infra/, the default) or bootstrap (bootstrap/: state bucket, keys, CI roles)",
    )  # fmt: skip
    synth.add_argument("--out", help="write the document here instead of stdout")
    synth.add_argument("--out-dir", help="with --all: write <dir>/<stack>.json")
    synth.set_defaults(func=cmd_synth)

    from platformctl import commands

    commands.register(sub)
    from platformctl.release import commands as release_commands

    release_commands.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse's usage errors exit 2 already; keep its code
        return int(exc.code) if isinstance(exc.code, int) else EXIT_ERROR
    try:
        return int(args.func(args))
    except PlatformError as exc:
        print(f"platformctl {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - fail closed: an internal error is never an allow
        print(f"platformctl {args.command}: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
