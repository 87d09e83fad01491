"""The model half of `make demo` (scripts/demo_model.sh): historical retrieval -> training -> evaluation ->
registration -> quantized model -> predictor -> sample requests -> stop, printing progress per step.

Uses the running data plane when scripts/dataplane.sh wrote out/dataplane/env (its feature repo for training,
its feature server for online features); otherwise generates a small feature repo of its own. MLflow state is
kept in out/mlflow (the same registry `make serve` and the drift demo use); out/model/env records where.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import httpx

from workloads.testing.model_servers import REPO_ROOT, mlflow_server, predictor_server
from workloads.training.config import FEATURES, TrainingConfig
from workloads.training.data import load_training_data
from workloads.training.pipeline import train_and_register

OUT = REPO_ROOT / "out" / "model"
MLFLOW_STATE = REPO_ROOT / "out" / "mlflow"
STEPS = 8
_started = time.monotonic()


def step(number: int, text: str) -> None:
    print(f"[model {number}/{STEPS}] {text} (+{time.monotonic() - _started:.1f} s)", flush=True)


def dataplane_env() -> dict[str, str]:
    path = Path(os.environ.get("PLATFORM_DATAPLANE_DIR", REPO_ROOT / "out" / "dataplane")) / "env"
    if not path.is_file():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def feature_server_url(env: dict[str, str]) -> str | None:
    port = env.get("FEATURE_SERVER_PORT")
    if not port:
        return None
    url = f"http://127.0.0.1:{port}"
    try:
        return url if httpx.get(f"{url}/health", timeout=2).status_code == 200 else None
    except httpx.HTTPError:
        return None


def feature_repo(env: dict[str, str]) -> Path:
    if env.get("FEATURE_REPO") and (Path(env["FEATURE_REPO"]) / "data" / "labels.parquet").is_file():
        return Path(env["FEATURE_REPO"])
    from workloads.features.generate import generate_dataset

    repo = OUT / "repo"
    if not (repo / "data" / "labels.parquet").is_file():
        generate_dataset(repo / "data", seed=7, n_applicants=1000)
    return repo


def main() -> int:
    env = dataplane_env()
    online = feature_server_url(env)
    repo = feature_repo(env)
    OUT.mkdir(parents=True, exist_ok=True)

    step(1, f"historical retrieval through Feast feature service credit_risk_v1 (repo {repo})")
    config = TrainingConfig(
        out_dir=OUT / "training", feature_repo=repo, labels_path=repo / "data" / "labels.parquet", epochs=6
    )
    data = load_training_data(config)
    print(f"    {data.lineage['rows']} labelled rows, point-in-time correct; digest {data.lineage['dataset_digest']}")
    print(f"    feature view versions {data.lineage['feature_view_versions']}")

    step(2, "starting the local MLflow server (state in out/mlflow)")
    with mlflow_server(MLFLOW_STATE) as mlflow:
        config = TrainingConfig(**{**config.__dict__, "tracking_uri": mlflow.url})
        step(3, "training the MLP (seeded, checkpointed), evaluating, gating, registering")
        result = train_and_register(config, data)
        stats = result.stats
        print(f"    {stats.steps} steps on {stats.device} ({stats.backend}), {stats.samples_per_second} samples/s")  # type: ignore[union-attr]

        step(4, "evaluation on the newest 20% of rows")
        metrics = result.metrics
        print(
            f"    auc {metrics['auc']:.3f}, accuracy {metrics['accuracy']:.3f}, demographic parity difference "
            f"{metrics['demographic_parity_difference']:.3f}, equalized odds difference {metrics['equalized_odds_difference']:.3f}"
        )
        top = result.card["top_features_integrated_gradients"]
        print(
            "    top features (integrated gradients): " + ", ".join(f"{t['feature']} {t['share']:.0%}" for t in top[:3])
        )  # type: ignore[index,union-attr]
        print(f"    quality gate: {'passed' if result.gate.passed else 'refused: ' + '; '.join(result.gate.reasons)}")  # type: ignore[union-attr]

        step(5, "registration in the MLflow model registry")
        if result.registered is None:
            print("    not registered (gate refused); serving the current champion instead")
        else:
            print(f"    registered {result.registered.uri} (alias champion), run {result.registered.run_id}")

        step(6, "CPU inference path: pruned + int8 dynamically quantized model (logged with the version)")
        compression = result.card["cpu_inference"]
        print(
            f"    int8 accuracy change {compression['int8_accuracy_change']:+.4f}, "  # type: ignore[index]
            f"AUC change {compression['int8_auc_change']:+.4f} vs fp32"  # type: ignore[index]
        )
        (OUT / "env").write_text(
            f"MLFLOW_STATE_DIR={MLFLOW_STATE}\nMODEL_BUNDLE={result.bundle_dir}\n"
            f"MODEL_VERSION={result.registered.version if result.registered else ''}\n"
        )

        step(7, "starting the KServe predictor on the registered version" + (" with online features" if online else ""))
        args = ["--model-uri", "models:/credit-risk/latest", "--tracking-uri", mlflow.url]
        if online:
            args += ["--feature-server-url", online]
        with predictor_server(args, OUT / "predictor.log") as predictor:
            step(8, f"sample requests to {predictor.url}")
            sample = data.holdout.iloc[:3]
            rows = sample[list(FEATURES)].to_numpy().tolist()
            v1 = httpx.post(f"{predictor.url}/v1/models/credit-risk:predict", json={"instances": rows}, timeout=30)
            print(f"    v1 raw features -> {v1.status_code} {v1.json()}")
            v2_body = {
                "inputs": [{"name": "features", "shape": [len(rows), len(FEATURES)], "datatype": "FP64", "data": rows}]
            }
            v2 = httpx.post(f"{predictor.url}/v2/models/credit-risk/infer", json=v2_body, timeout=30)
            print(f"    v2 raw features -> {v2.status_code} {v2.json()['outputs'][0]['data']}")
            if online:
                ids = sample["applicant_id"].tolist()
                enriched = httpx.post(
                    f"{predictor.url}/v1/models/credit-risk:predict",
                    json={"instances": [{"applicant_id": i} for i in ids]},
                    timeout=30,
                )
                print(f"    v1 applicant ids + online features -> {enriched.status_code} {enriched.text[:200]}")
            else:
                print("    (data plane not running: online-feature requests skipped)")
            bad = httpx.post(f"{predictor.url}/v1/models/credit-risk:predict", json={"instances": [[1, 2]]}, timeout=30)
            print(f"    malformed row -> {bad.status_code} {bad.json()['error'][:100]}")
            if v1.status_code != 200 or v2.status_code != 200 or bad.status_code != 400:
                print("model demo: unexpected predictor answers", file=sys.stderr)
                return 1
    print(f"[model] predictor and MLflow stopped; done in {time.monotonic() - _started:.1f} s")
    print(json.dumps({"registered": result.registered.uri if result.registered else None, "metrics": metrics}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
