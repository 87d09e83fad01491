"""`python -m workloads.features validate|materialize|lineage --repo DIR`: the batch steps of the data plane.

validate     pandera checks on every batch source (exit 1 with the reasons when a batch fails)
materialize  validate, then load both batch views into the online store (nothing is loaded on failure)
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workloads.features", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("validate", "materialize"))
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--profile", choices=("local", "aws"), default="local")
    parser.add_argument("--end", type=datetime.fromisoformat, default=None, help="ISO time (default: today 00:00 UTC)")
    args = parser.parse_args(argv)

    from workloads.features.generate import default_as_of
    from workloads.features.names import PROFILE_TTL
    from workloads.features.store import MaterializationRefusedError, materialize, open_store, validate_sources

    end = args.end.replace(tzinfo=args.end.tzinfo or UTC) if args.end else default_as_of()
    store = open_store(args.repo, args.profile)
    try:
        if args.command == "validate":
            rows = validate_sources(store, end - PROFILE_TTL - timedelta(days=1), end)
            print(f"valid: {', '.join(f'{name} {count} rows' for name, count in rows.items())}")
        else:
            report = materialize(store, end=end)  # validates first; refuses to load anything on failure
            print(f"valid: {', '.join(f'{name} {count} rows' for name, count in report.rows.items())}")
            print(f"materialized up to {end.isoformat()}: {', '.join(f'{n} {c} rows' for n, c in report.rows.items())}"
                  f"; withdrawn subjects purged again: {report.purged_withdrawn}")  # fmt: skip
    except MaterializationRefusedError as refused:
        print(f"refused: {refused}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
