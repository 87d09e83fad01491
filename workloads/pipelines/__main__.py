"""`python -m workloads.pipelines [STEP ...]`: run lifecycle steps locally, in order (all of them by default).

The same step functions the Airflow DAG `credit_risk_lifecycle` runs. Settings: --set name=value
(work_dir, tracking_uri, redis_address, seed, n_applicants, epochs, ...); tracking_uri defaults to
MLFLOW_TRACKING_URI. Exit codes: 0 all steps passed, 1 a step refused (the reason is printed), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from workloads.pipelines.steps import STEP_ORDER, StepFailedError, run_step


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m workloads.pipelines", description=__doc__.splitlines()[0])
    parser.add_argument("steps", nargs="*", metavar="STEP", help=", ".join(STEP_ORDER))
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    try:
        values = dict(item.split("=", 1) for item in args.set)
    except ValueError:
        parser.error("--set takes NAME=VALUE")
    unknown = [step for step in args.steps if step not in STEP_ORDER]
    if unknown:
        parser.error(f"unknown steps {unknown}; steps: {', '.join(STEP_ORDER)}")
    for step in args.steps or STEP_ORDER:
        try:
            result = run_step(step, values)
        except StepFailedError as exc:
            print(f"pipeline: {step}: {exc}", file=sys.stderr)
            return 1
        print(f"[pipeline] {step}: {json.dumps(result, default=str)[:300]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
