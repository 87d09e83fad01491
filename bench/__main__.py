"""`make bench`: synthesis per stack, and the gate on a ~10,000-resource preview.

Writes bench/results/bench.json (and prints a summary). Aims (issue 3 and 4, on 2 cores):
prod synthesis < 15 s; gate on 10,000 resources < 10 s total with Rego < 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


def _timed(fn: Any, repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def bench_synthesis(repeat: int) -> dict[str, Any]:
    from platformctl.synth import synthesize

    out: dict[str, Any] = {}
    # Cold: what a user waits for, interpreter start and imports included.
    started = time.perf_counter()
    subprocess.run([str(REPO / ".venv" / "bin" / "platformctl"), "synth", "--stack", "prod", "--out", os.devnull],
                   check=True, capture_output=True, timeout=300)  # fmt: skip
    out["prod_cold_cli_seconds"] = round(time.perf_counter() - started, 3)
    for stack in ("dev", "staging", "prod"):
        seconds, doc = _timed(lambda stack=stack: synthesize(stack), repeat)
        out[stack] = {"seconds": round(seconds, 3), "steps": len(doc["steps"])}
    return out


def _peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def bench_gate(resources: int, with_cli: bool) -> dict[str, Any]:
    from bench.scale import replicate
    from platformctl.gate.engines.checkov import run_checkov
    from platformctl.gate.engines.rego import make_engine
    from platformctl.gate.input.preview import load_preview_file, normalize
    from platformctl.gate.input.tfplan import build_plan
    from platformctl.gate.runner import GateOptions, run_gate
    from platformctl.synth import synthesize

    big = replicate(synthesize("prod"), resources)
    work = Path(tempfile.mkdtemp(prefix="bench-gate-"))
    preview = work / "preview-10k.json"
    preview.write_text(json.dumps(big))

    started = time.perf_counter()
    result = run_gate([str(preview)], GateOptions())
    total = time.perf_counter() - started

    doc = normalize(load_preview_file(preview))
    engine = make_engine("regorus")
    rego_seconds, findings = _timed(lambda: engine.evaluate(doc), 3)
    opa = make_engine("opa")
    opa_seconds, opa_findings = _timed(lambda: opa.evaluate(doc), 1)
    checkov_seconds, checkov = _timed(lambda: run_checkov(doc, doc["environment"]), 1)

    figures: dict[str, Any] = {
        "resources": len(doc["resources"]),
        "verdict": result.verdict,
        "findings": len(result.findings),
        "gate_total_seconds": round(total, 3),
        "rego_regorus_seconds": round(rego_seconds, 3),
        "rego_opa_library_seconds": round(opa_seconds, 3),
        "rego_engines_agree": findings == opa_findings,
        "checkov_fast_seconds": round(checkov_seconds, 3),
        "checkov_scanned": checkov.scanned_count,
        "peak_rss_mb_gate_process": round(_peak_rss_mb(resource.RUSAGE_SELF), 1),
        "peak_rss_mb_children": round(_peak_rss_mb(resource.RUSAGE_CHILDREN), 1),
    }
    if with_cli:
        plan = work / "plan.json"
        plan.write_text(json.dumps(build_plan(doc).document))
        env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
        checkov_bin = REPO / ".venv-checkov" / "bin" / "checkov"
        cmd = ["/usr/bin/time", "-f", "%M", str(checkov_bin), "-f", str(plan), "--framework", "terraform_plan",
               "--skip-download", "--quiet", "--compact", "-o", "json"]  # fmt: skip
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        cli_seconds = time.perf_counter() - started
        peak_kb = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
        figures["checkov_cli_seconds"] = round(cli_seconds, 2)
        figures["checkov_cli_peak_rss_mb"] = round(int(peak_kb) / 1024, 1) if peak_kb.isdigit() else None
        figures["speedup_vs_checkov_cli"] = round(cli_seconds / total, 1)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-checkov-cli", action="store_true", help="skip the ~60 s Checkov CLI comparison")
    parser.add_argument("--output", default=str(RESULTS / "bench.json"))
    args = parser.parse_args()
    warnings.simplefilter("ignore", DeprecationWarning)
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "synthesis": bench_synthesis(args.repeat),
        "gate": bench_gate(args.resources, with_cli=not args.no_checkov_cli),
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
