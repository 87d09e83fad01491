"""Rego evaluation time against the number of resources of one type (issue 7: it was quadratic).

`python -m bench.gate_scale [--sizes 10000 20000 40000]` writes bench/results/gate_scale.json: for
each size, a preview of that many S3 buckets (each with its encryption, versioning and public access
block, as the platform declares them) is normalized once and evaluated by regorus and by the OPA
library. Linear growth means the seconds-per-resource figure stays flat as the size doubles.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
STACK = "urn:pulumi:prod::uae-ml-platform::"
PROVIDER = STACK + "pulumi:providers:aws::uae"


def bucket_preview(buckets: int) -> dict[str, Any]:
    """A prod preview with `buckets` buckets, all of one type, on the me-central-1 provider."""
    tags = {"owner": "data", "environment": "prod", "data-classification": "confidential", "cost-center": "ml"}
    steps: list[dict[str, Any]] = [
        {"op": "create", "urn": STACK + "pulumi:pulumi:Stack::uae-ml-platform-prod",
         "newState": {"type": "pulumi:pulumi:Stack", "custom": False}},
        {"op": "create", "urn": PROVIDER,
         "newState": {"type": "pulumi:providers:aws", "custom": True,
                      "inputs": {"region": "me-central-1", "defaultTags": json.dumps({"tags": tags})}}},
    ]  # fmt: skip
    for i in range(buckets):
        urn = f"{STACK}aws:s3/bucket:Bucket::lake-{i}"
        state = {"type": "aws:s3/bucket:Bucket", "custom": True, "provider": f"{PROVIDER}::id",
                 "inputs": {"bucketPrefix": f"lake-{i}-", "forceDestroy": False}}  # fmt: skip
        steps.append({"op": "create", "urn": urn, "newState": state})
    return {"config": {"aws:region": "me-central-1", "uae-ml-platform:environment": "prod"}, "steps": steps}


def measure(size: int, engines: list[str]) -> dict[str, Any]:
    from platformctl.gate.engines.rego import make_engine
    from platformctl.gate.input.preview import normalize

    started = time.perf_counter()
    document = normalize(bucket_preview(size))
    row: dict[str, Any] = {"resources": size, "normalize_seconds": round(time.perf_counter() - started, 3)}
    for kind in engines:
        engine = make_engine(kind)  # type: ignore[arg-type]
        started, cpu_started = time.perf_counter(), time.process_time()
        findings = engine.evaluate(document)
        seconds = time.perf_counter() - started
        row[f"{kind}_seconds"] = round(seconds, 3)
        # CPU time of this process: the engines run in it, and it does not count other load on the machine.
        row[f"{kind}_cpu_seconds"] = round(time.process_time() - cpu_started, 3)
        row[f"{kind}_cpu_microseconds_per_resource"] = round(row[f"{kind}_cpu_seconds"] / size * 1e6, 1)
        row[f"{kind}_findings"] = len(findings)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 40_000])
    parser.add_argument("--engines", nargs="+", default=["regorus", "opa"], choices=["regorus", "opa"])
    parser.add_argument("--output", default=str(RESULTS / "gate_scale.json"))
    args = parser.parse_args()
    rows = [measure(size, args.engines) for size in args.sizes]
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "one_type_scaling": rows,
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
