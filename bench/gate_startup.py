"""`python -m bench.gate_startup`: what a pull request's gate costs when it checks several small previews.

A PR gates every stack it touches: `platformctl gate out/preview/*.json`. Before the batch protocol
each preview started its own Checkov worker after its Rego evaluation, so Checkov's import (~1-2 s of
CPU) was paid once per preview and never overlapped anything. Now one worker serves the whole command
and starts first, loading Checkov while the previews are read and Rego runs.

Measures, for the three synthesized stacks and for an independently written Kubernetes-heavy platform
(tests/fixtures/independent) in three environments:
- `cli_*`: the real command line end to end (interpreter start included), wall and CPU seconds;
- `per_preview_workers_*`: the previous strategy (run_checkov per preview, sequential) in-process;
- `batched_*`: run_gate (one worker, started early) in-process.
Writes bench/results/gate_startup.json. Aim (issue 7): a 3-stack PR gate under 5 s on 2 cores.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULT = REPO / "bench" / "results" / "gate_startup.json"
REPEAT = int(os.environ.get("GATE_STARTUP_REPEAT", "3"))  # median of this many runs per figure


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _measure(fn: Callable[[], Any]) -> dict[str, float]:
    walls, cpus = [], []
    for _ in range(REPEAT):
        cpu0, wall0 = _self_cpu() + _children_cpu(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - wall0)
        cpus.append(_self_cpu() + _children_cpu() - cpu0)
    return {"wall_seconds": round(statistics.median(walls), 3), "cpu_seconds": round(statistics.median(cpus), 3)}


def _per_preview_workers(paths: list[str]) -> None:
    """The strategy before issue 7: Rego, then a fresh Checkov worker, preview after preview."""
    from platformctl.gate.engines.checkov import run_checkov
    from platformctl.gate.engines.rego import make_engine
    from platformctl.gate.input.preview import load_preview_file, normalize

    engine = make_engine("regorus")
    for path in paths:
        doc = normalize(load_preview_file(path), source=path)
        engine.evaluate(doc)
        run_checkov(doc, doc["environment"])


def _batched(paths: list[str]) -> None:
    from platformctl.gate.runner import GateOptions, run_gate

    run_gate(paths, GateOptions(today=dt.date.today()))


def _cli(paths: list[str]) -> None:
    completed = subprocess.run(
        [str(REPO / ".venv" / "bin" / "platformctl"), "gate", *paths], capture_output=True, text=True, timeout=600
    )
    if completed.returncode not in (0, 1):
        raise RuntimeError(f"gate exited {completed.returncode}: {completed.stderr[-500:]}")


def _scenario(paths: list[str]) -> dict[str, Any]:
    sizes = [len(json.loads(Path(p).read_text())["steps"]) for p in paths]
    return {
        "previews": len(paths),
        "steps": sizes,
        "cli": _measure(lambda: _cli(paths)),
        "per_preview_workers": _measure(lambda: _per_preview_workers(paths)),
        "batched": _measure(lambda: _batched(paths)),
    }


def _worker_load_seconds() -> float:
    from platformctl.gate.engines.checkov import checkov_python

    script = (
        "import time; t = time.perf_counter(); import sys; sys.path.insert(0, 'policies/checkov'); "
        "import worker; worker.load_fast([str(worker.DEFAULT_CHECKS_DIR)]); print(time.perf_counter() - t)"
    )
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}
    out = subprocess.run([str(checkov_python()), "-c", script], capture_output=True, text=True, cwd=REPO, env=env,
                         check=True, timeout=300)  # fmt: skip
    return round(float(out.stdout.strip().splitlines()[-1]), 3)


def main() -> int:
    from platformctl.synth import synthesize
    from tests.fixtures.independent.platform import build

    with tempfile.TemporaryDirectory(prefix="gate-startup-") as tmp:
        synthesized, independent = [], []
        for stack in ("dev", "staging", "prod"):
            path = Path(tmp) / f"{stack}.json"
            path.write_text(json.dumps(synthesize(stack)))
            synthesized.append(str(path))
            path = Path(tmp) / f"falcon-{stack}.json"
            path.write_text(json.dumps(build(stack).document()))
            independent.append(str(path))
        result = {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "repeat": REPEAT,
            "checkov_worker_load_seconds": _worker_load_seconds(),
            "synthesized_3_stacks": _scenario(synthesized),
            "independent_3_stacks_k8s_heavy": _scenario(independent),
            "load_average_1m": round(os.getloadavg()[0], 2),
        }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
