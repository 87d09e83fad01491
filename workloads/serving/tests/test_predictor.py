"""The predictor as a real KServe model server subprocess on 127.0.0.1: every malformed request class gets a 4xx
with a reason (never 5xx), valid requests keep working, metadata on v1 and v2, metrics, A/B, SIGTERM."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from workloads.serving.ab import run_ab
from workloads.testing.model_servers import RunningServer, predictor_server, stop
from workloads.training.config import FEATURES, TrainingConfig
from workloads.training.data import load_training_data
from workloads.training.pipeline import train_and_register

ROW = [35, 150000.0, 5.0, 1, 0.3, 0, 12, 150.5, 75000.0, 0.0]
MODEL = "credit-risk"


def _bundle(out_dir: Path, **overrides: object) -> Path:
    settings: dict[str, object] = {"n_applicants": 600, "epochs": 3, "batch_size": 32, **overrides}
    config = TrainingConfig(out_dir=out_dir, **settings)  # type: ignore[arg-type]
    result = train_and_register(config)
    assert result.bundle_dir is not None
    return result.bundle_dir


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bundles")
    return {
        "good": _bundle(root / "good"),
        # An untrained-looking challenger for the A/B comparison.
        "weak": _bundle(root / "weak", epochs=1, learning_rate=1e-6, hidden_sizes=(2,), batch_size=512),
    }


@pytest.fixture(scope="module")
def predictor(bundles: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    log = tmp_path_factory.mktemp("predictor") / "predictor.log"
    args = ["--model-uri", str(bundles["good"]), "--challenger-uri", str(bundles["weak"]), "--max-body-bytes", "65536"]
    with predictor_server(args, log) as server:
        yield server


def _v2(name: str = "features", shape: list | None = None, datatype: str = "FP32", data: object = None) -> dict:
    return {"inputs": [{"name": name, "shape": shape or [1, 10], "datatype": datatype, "data": data or ROW}]}


V1 = f"/v1/models/{MODEL}:predict"
V2 = f"/v2/models/{MODEL}/infer"
JSON = {"content-type": "application/json"}
MALFORMED = {
    "v1 missing instances": (V1, json.dumps({"rows": [ROW]}), JSON),
    "v1 instances not a list": (V1, json.dumps({"instances": "abc"}), JSON),
    "v1 empty instances": (V1, json.dumps({"instances": []}), JSON),
    "v1 wrong row length": (V1, json.dumps({"instances": [ROW[:9]]}), JSON),
    "v1 ragged rows": (V1, json.dumps({"instances": [ROW, ROW + [1.0]]}), JSON),
    "v1 string value": (V1, json.dumps({"instances": [["35", *ROW[1:]]]}), JSON),
    "v1 null value": (V1, json.dumps({"instances": [[None, *ROW[1:]]]}), JSON),
    "v1 boolean value": (V1, json.dumps({"instances": [[True, *ROW[1:]]]}), JSON),
    "v1 NaN literal": (V1, '{"instances": [[NaN, 1, 2, 3, 0.1, 0, 1, 2, 3, 0]]}', JSON),
    "v1 Infinity literal": (V1, '{"instances": [[Infinity, 1, 2, 3, 0.1, 0, 1, 2, 3, 0]]}', JSON),
    "v1 overflow to inf": (V1, '{"instances": [[1e999, 1, 2, 3, 0.1, 0, 1, 2, 3, 0]]}', JSON),
    "v1 negative value": (V1, json.dumps({"instances": [[-1, *ROW[1:]]]}), JSON),
    "v1 fractional integer feature": (V1, json.dumps({"instances": [[35.5, *ROW[1:]]]}), JSON),
    "v1 unknown feature key": (
        V1,
        json.dumps({"instances": [{**dict(zip(FEATURES, ROW, strict=False)), "zip": 1}]}),
        JSON,
    ),
    "v1 missing feature key": (V1, json.dumps({"instances": [{"age": 35}]}), JSON),
    "v1 bad JSON": (V1, '{"instances": [[1, 2', JSON),
    "v1 top-level array": (V1, json.dumps([ROW]), JSON),
    "v1 not JSON content type": (V1, "age=35", {"content-type": "text/plain"}),
    "v1 entity without feature server": (V1, json.dumps({"instances": [{"applicant_id": "abc"}]}), JSON),
    "v1 too many rows": (V1, json.dumps({"instances": [ROW] * 1025}), JSON),
    "oversized body": (V1, json.dumps({"instances": [ROW] * 2000}), JSON),
    "v2 bad JSON": (V2, '{"inputs": [', JSON),
    "v2 missing inputs": (V2, json.dumps({}), JSON),
    "v2 data not a list": (V2, json.dumps(_v2(data="abc")), JSON),
    "v2 wrong datatype": (V2, json.dumps(_v2(datatype="BOOL")), JSON),
    "v2 BYTES for features": (V2, json.dumps(_v2(datatype="BYTES")), JSON),
    "v2 shape vs data mismatch": (V2, json.dumps(_v2(shape=[2, 10])), JSON),
    "v2 wrong feature count": (V2, json.dumps(_v2(shape=[1, 9], data=ROW[:9])), JSON),
    "v2 negative shape": (V2, json.dumps(_v2(shape=[-1, 10])), JSON),
    "v2 ragged nested data": (V2, json.dumps(_v2(shape=[2, 10], data=[ROW, ROW[:9]])), JSON),
    "v2 string in FP32 data": (V2, json.dumps(_v2(data=["x", *ROW[1:]])), JSON),
    "v2 null in data": (V2, json.dumps(_v2(data=[None, *ROW[1:]])), JSON),
    "v2 float in INT64 data": (V2, json.dumps(_v2(datatype="INT64", data=[35, 1.5, *[1] * 8])), JSON),
    "v2 unknown input name": (V2, json.dumps(_v2(name="x")), JSON),
    "v2 two inputs": (V2, json.dumps({"inputs": _v2()["inputs"] * 2}), JSON),
    "v2 entity wrong datatype": (
        V2,
        json.dumps(_v2(name="applicant_id", shape=[1], datatype="FP32", data=[1.0])),
        JSON,
    ),
    "v2 binary without header": (V2, "abc", {"content-type": "application/octet-stream"}),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_request_gets_4xx_with_reason(predictor: RunningServer, case: str) -> None:
    path, body, headers = MALFORMED[case]
    response = httpx.post(predictor.url + path, content=body, headers=headers, timeout=30)
    assert 400 <= response.status_code < 500, (case, response.status_code, response.text)
    reason = response.json()
    assert reason.get("error") or reason.get("detail"), response.text


def test_valid_requests_work_on_both_protocols_after_malformed_ones(predictor: RunningServer) -> None:
    for path, body, headers in MALFORMED.values():
        httpx.post(predictor.url + path, content=body, headers=headers, timeout=30)
    v1 = httpx.post(predictor.url + V1, json={"instances": [ROW, dict(zip(FEATURES, ROW, strict=False))]}, timeout=30)
    assert v1.status_code == 200, v1.text
    predictions = v1.json()["predictions"]
    assert len(predictions) == 2 and predictions[0] == predictions[1] and 0 < predictions[0] < 1
    v2 = httpx.post(predictor.url + V2, json=_v2(shape=[2, 10], datatype="FP64", data=[ROW, ROW]), timeout=30)
    assert v2.status_code == 200, v2.text
    output = v2.json()["outputs"][0]
    assert output["name"] == "default_probability" and output["shape"] == [2]
    assert math.isclose(output["data"][0], predictions[0], abs_tol=1e-5)


def test_metadata_on_both_protocols(predictor: RunningServer) -> None:
    v2 = httpx.get(f"{predictor.url}/v2/models/{MODEL}", timeout=10).json()
    assert {"name": "features", "datatype": "FP32", "shape": [-1, 10]} in v2["inputs"]
    assert {"name": "applicant_id", "datatype": "BYTES", "shape": [-1]} in v2["inputs"]
    assert v2["outputs"] == [{"name": "default_probability", "datatype": "FP32", "shape": [-1]}]
    v1 = httpx.get(f"{predictor.url}/v1/models/{MODEL}/metadata", timeout=10).json()
    assert v1["feature_order"] == list(FEATURES) and v1["inputs"] == v2["inputs"]
    assert httpx.get(f"{predictor.url}/v1/models/{MODEL}", timeout=10).json()["ready"] is True


def test_prometheus_metrics_count_predictions_and_rejections(predictor: RunningServer) -> None:
    httpx.post(predictor.url + V1, json={"instances": [ROW]}, timeout=30)
    httpx.post(predictor.url + V1, json={"rows": []}, timeout=30)
    metrics = httpx.get(predictor.url + "/metrics", timeout=10).text
    assert 'credit_risk_predictions_total{model="credit-risk"' in metrics
    assert 'credit_risk_rejected_requests_total{reason="missing_instances"}' in metrics
    assert "credit_risk_model_seconds_bucket" in metrics


def test_ab_evaluation_prefers_the_trained_model(predictor: RunningServer) -> None:
    traffic = load_training_data(TrainingConfig(seed=11, n_applicants=1500)).holdout
    report = run_ab(predictor.url, MODEL, f"{MODEL}-challenger", traffic)
    assert report["rows"] == len(traffic)
    assert report["auc"]["auc_a"] > report["auc"]["auc_b"]
    assert report["winner"] == "a", report
    assert report["auc"]["p_value"] < 0.05


def test_sigterm_stops_the_server_cleanly(bundles: dict[str, Path], tmp_path: Path) -> None:
    with predictor_server(["--model-uri", str(bundles["good"]), "--precision", "int8"], tmp_path / "p.log") as server:
        ok = httpx.post(server.url + V1, json={"instances": [ROW]}, timeout=30)
        assert ok.status_code == 200 and ok.json()["predictions"][0] > 0
        assert stop(server.process) == 0
        assert "Stopping the model server" in server.log_tail()


def test_client_helpers_score_and_surface_reasons(predictor: RunningServer) -> None:
    from workloads.serving.client import PredictorClient, PredictorError

    with PredictorClient(predictor.url, batch_rows=2) as client:
        client.wait_ready(timeout_s=10)
        scores = client.predict([ROW] * 5)
        assert len(scores) == 5 and len(set(scores)) == 1
        assert client.infer_v2([ROW]) == pytest.approx(scores[:1], abs=1e-5)
        assert client.metadata()["feature_order"] == list(FEATURES)
        with pytest.raises(PredictorError) as rejected:
            client.predict([ROW[:9]])
        assert rejected.value.status == 400 and "expected 10 features" in rejected.value.reason
