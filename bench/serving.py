"""`python -m bench.serving` -> bench/results/serving.json (run with .venv-workloads; `make bench` does).

Measured in one run, on this machine:
- predictor p50/p99 latency and throughput under `hey` (4 concurrent clients, v1, one feature row per request,
  medians over interleaved rounds) for fp32 and int8, and stock KServe (a plain kserve.Model, no validation or middleware) serving the same fp32
  model as the anchor, with our/stock ratios;
- model compute time fp32 vs int8 at batch 1 and 64, and the int8 accuracy change from the model card;
- training samples/s on CPU; AMP vs fp32 training samples/s on a GPU when one is present ("not measured" otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
ROW = [35, 150000.0, 5.0, 1, 0.3, 0, 12, 150.5, 75000.0, 0.0]


def _train_bundle(out_dir: Path) -> tuple[Path, dict[str, Any]]:
    from workloads.training.config import TrainingConfig
    from workloads.training.pipeline import train_and_register

    config = TrainingConfig(out_dir=out_dir, n_applicants=4000, epochs=5, batch_size=64, checkpoint_every=10_000)
    result = train_and_register(config)
    return result.bundle_dir, result.card  # type: ignore[return-value]


def bench_training_gpu() -> dict[str, Any] | str:
    if not torch.cuda.is_available():
        return "not measured (no GPU on this machine)"
    from workloads.training.config import TrainingConfig
    from workloads.training.data import synthetic_frame
    from workloads.training.train import distributed_context, train_model

    frame = synthetic_frame(200_000, seed=7)
    out: dict[str, Any] = {"device": torch.cuda.get_device_name(0), "rows": len(frame), "batch_size": 4096}
    for label, amp in (("fp32", False), ("amp", True)):
        with tempfile.TemporaryDirectory() as tmp:
            config = TrainingConfig(out_dir=Path(tmp), epochs=3, batch_size=4096, amp=amp, checkpoint_every=10_000,
                                    hidden_sizes=(512, 256), learning_rate=1e-3)  # fmt: skip
            with distributed_context() as ctx:
                _, stats = train_model(config, frame, ctx)
        out[f"{label}_samples_per_second"] = stats.samples_per_second
    out["amp_speedup"] = round(out["amp_samples_per_second"] / out["fp32_samples_per_second"], 3)
    return out


def bench_compute(bundle: Path) -> dict[str, Any]:
    from workloads.training.model import load_bundle

    torch.set_num_threads(1)  # as the servers run (SERVING_NUM_THREADS=1)
    out: dict[str, Any] = {"torch_threads": torch.get_num_threads()}
    for precision in ("fp32", "int8"):
        model, _ = load_bundle(bundle, precision)
        for batch in (1, 64):
            x = torch.tensor([ROW] * batch, dtype=torch.float32)
            with torch.inference_mode():
                for _ in range(50):
                    model(x)
                timings = []
                for _ in range(400):
                    started = time.perf_counter()
                    model(x)
                    timings.append(time.perf_counter() - started)
            out[f"{precision}_batch{batch}_median_us"] = round(statistics.median(timings) * 1e6, 1)
    for batch in (1, 64):
        out[f"int8_vs_fp32_batch{batch}_speedup"] = round(
            out[f"fp32_batch{batch}_median_us"] / out[f"int8_batch{batch}_median_us"], 3
        )
    return out


def _hey(url: str, body: str, duration_s: int, concurrency: int) -> dict[str, Any]:
    hey = shutil.which("hey")
    if hey is None:
        raise SystemExit("bench.serving needs `hey` (apt-get install hey)")
    result = subprocess.run(
        [hey, "-z", f"{duration_s}s", "-c", str(concurrency), "-m", "POST", "-T", "application/json", "-d", body, url],
        capture_output=True, text=True, timeout=duration_s + 60, check=True,
    )  # fmt: skip
    text = result.stdout

    def grab(pattern: str) -> float:
        match = re.search(pattern, text)
        return float(match.group(1)) if match else float("nan")

    codes = dict(re.findall(r"\[(\d{3})\]\s+(\d+) responses", text))
    return {
        "requests_per_second": round(grab(r"Requests/sec:\s+([\d.]+)"), 1),
        "p50_ms": round(grab(r"50%+ in ([\d.]+) secs") * 1000, 3),
        "p99_ms": round(grab(r"99%+ in ([\d.]+) secs") * 1000, 3),
        "status_codes": {code: int(n) for code, n in codes.items()},
    }


def _start(command: list[str], port: int, log: Path) -> Any:
    from workloads.testing.model_servers import RunningServer, _wait_ready

    env = {**os.environ, "PYTHONPATH": str(REPO), "SERVING_NUM_THREADS": "1"}
    with log.open("wb") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, cwd=REPO, env=env)
    server = RunningServer(url=f"http://127.0.0.1:{port}", port=port, process=process, log_path=log)
    _wait_ready(server, "/v2/health/ready", 180)
    return server


def _median_of(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        key: round(statistics.median(r[key] for r in rounds), 3) for key in ("requests_per_second", "p50_ms", "p99_ms")
    }
    codes: dict[str, int] = {}
    for r in rounds:
        for code, n in r["status_codes"].items():
            codes[code] = codes.get(code, 0) + n
    out["status_codes"] = codes
    out["rounds"] = [{k: r[k] for k in ("requests_per_second", "p50_ms", "p99_ms")} for r in rounds]
    return out


def bench_http(bundle: Path, duration_s: int, concurrency: int, log_dir: Path, rounds: int = 3) -> dict[str, Any]:
    """All three servers up at once and loaded in turn, round after round, so a burst of other work on a shared
    machine hits every variant alike; medians over the rounds."""
    from workloads.testing.model_servers import free_port, stop

    out: dict[str, Any] = {"load_generator": "hey", "concurrency": concurrency, "seconds_per_round": duration_s,
                           "rounds": rounds, "request": "v1, 1 feature row", "server_torch_threads": 1}  # fmt: skip
    commands: dict[str, list[str]] = {}
    for precision in ("fp32", "int8"):
        commands[f"predictor_{precision}"] = [sys.executable, "-m", "workloads.serving", "--model-uri", str(bundle),
                                              "--precision", precision, "--http-port"]  # fmt: skip
    commands["stock_kserve_fp32"] = [sys.executable, "-m", "bench.stock_kserve", "--bundle", str(bundle), "--http-port"]
    servers: dict[str, Any] = {}
    try:
        for name, command in commands.items():
            port = free_port()
            servers[name] = _start([*command, str(port)], port, log_dir / f"{name}.log")
        body = json.dumps({"instances": [ROW]})
        urls = {name: f"{server.url}/v1/models/credit-risk:predict" for name, server in servers.items()}
        for url in urls.values():
            _hey(url, body, 2, concurrency)  # warm-up
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
        for _ in range(rounds):
            for name, url in urls.items():
                results[name].append(_hey(url, body, duration_s, concurrency))
    finally:
        for server in servers.values():
            stop(server.process)
    for name, measured in results.items():
        out[name] = _median_of(measured)
    stock = out["stock_kserve_fp32"]
    for precision in ("fp32", "int8"):
        ours = out[f"predictor_{precision}"]
        out[f"ratio_{precision}_vs_stock"] = {
            "throughput": round(ours["requests_per_second"] / stock["requests_per_second"], 3),
            "p99": round(ours["p99_ms"] / stock["p99_ms"], 3),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serving", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per server per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--out", type=Path, default=RESULTS / "serving.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        started = time.perf_counter()
        bundle, card = _train_bundle(Path(tmp) / "training")
        results: dict[str, Any] = {
            "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "torch": torch.__version__},
            "training_cpu": {
                "samples_per_second": card["training"]["samples_per_second"],  # type: ignore[index]
                "rows": card["data_lineage"]["train_rows"],  # type: ignore[index]
                "wall_seconds_with_eval": round(time.perf_counter() - started, 2),
            },
            "training_gpu_amp_vs_fp32": bench_training_gpu(),
            "model_compute": {**bench_compute(bundle), "accuracy": card["cpu_inference"]},
            "http": bench_http(bundle, args.duration, args.concurrency, Path(tmp), args.rounds),
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
