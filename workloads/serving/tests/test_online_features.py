"""Entity ids enriched with online features from the real Feast feature server (Redis behind it); batch scoring."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workloads.serving.batch import score_parquet
from workloads.serving.features import FeatureServerClient
from workloads.testing.model_servers import RunningServer, predictor_server
from workloads.testing.servers import Server
from workloads.training.config import FEATURES, TrainingConfig
from workloads.training.model import load_bundle
from workloads.training.pipeline import train_and_register

MODEL = "credit-risk"
UNKNOWN = "0" * 64  # a well-formed pseudonym nobody has


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = train_and_register(TrainingConfig(out_dir=tmp_path_factory.mktemp("bundle"), n_applicants=400, epochs=2))
    return result.bundle_dir  # type: ignore[return-value]


@pytest.fixture(scope="module")
def known_ids(feature_repo: Path, feature_server: Server) -> list[str]:
    """Applicants the online store holds every feature for (the feature server itself says so)."""
    candidates = pd.read_parquet(feature_repo / "data" / "labels.parquet")["applicant_id"].unique()[:40].tolist()
    client = FeatureServerClient(f"http://{feature_server.address}")
    known = []
    for applicant in candidates:
        try:
            client.fetch_sync([applicant])
            known.append(applicant)
        except Exception:  # noqa: BLE001 - UnknownEntity for applicants outside a view's TTL
            continue
    assert len(known) >= 2, "the materialized repo should hold online features for most applicants"
    return known


@pytest.fixture(scope="module")
def predictor(
    bundle: Path, feature_server: Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    log = tmp_path_factory.mktemp("predictor") / "predictor.log"
    args = ["--model-uri", str(bundle), "--feature-server-url", f"http://{feature_server.address}"]
    with predictor_server(args, log) as server:
        yield server


def test_entity_ids_are_enriched_from_the_feature_server(predictor: RunningServer, known_ids: list[str]) -> None:
    v1 = httpx.post(
        f"{predictor.url}/v1/models/{MODEL}:predict", json={"instances": [{"applicant_id": i} for i in known_ids[:2]]}
    )
    assert v1.status_code == 200, v1.text
    assert len(v1.json()["predictions"]) == 2
    v2 = httpx.post(
        f"{predictor.url}/v2/models/{MODEL}/infer",
        json={"inputs": [{"name": "applicant_id", "shape": [2], "datatype": "BYTES", "data": known_ids[:2]}]},
    )
    assert v2.status_code == 200, v2.text
    assert v2.json()["outputs"][0]["data"] == pytest.approx(v1.json()["predictions"], abs=1e-5)


def test_unknown_entity_is_404_with_reason(predictor: RunningServer, known_ids: list[str]) -> None:
    response = httpx.post(
        f"{predictor.url}/v1/models/{MODEL}:predict",
        json={"instances": [{"applicant_id": known_ids[0]}, {"applicant_id": UNKNOWN}]},
    )
    assert response.status_code == 404, response.text
    assert UNKNOWN in response.json()["error"]
    raw_id = httpx.post(
        f"{predictor.url}/v1/models/{MODEL}:predict", json={"instances": [{"applicant_id": "784-1990"}]}
    )
    assert raw_id.status_code == 400 and "pseudonym" in raw_id.json()["error"]
    again = httpx.post(
        f"{predictor.url}/v1/models/{MODEL}:predict", json={"instances": [{"applicant_id": known_ids[0]}]}
    )
    assert again.status_code == 200


def test_batch_scoring_scores_good_rows_and_rejects_bad_ones(bundle: Path, tmp_path: Path) -> None:
    good = dict(zip(FEATURES, [35, 150000.0, 5.0, 1, 0.3, 0, 12, 150.5, 75000.0, 0.0], strict=True))
    rows = [good, {**good, "age": None}, {**good, "annual_income": float("nan")}, {**good, "existing_loans": -2}, good]
    source = tmp_path / "entities.parquet"
    # Through pyarrow so the missing age stays a real Parquet null (pandas would turn it into NaN).
    pq.write_table(pa.Table.from_pylist(rows), source)
    model, _ = load_bundle(bundle, "int8")
    summary = score_parquet(source, tmp_path / "scores.parquet", model, "test", chunk_rows=2)
    assert (summary.rows, summary.scored, summary.rejected) == (5, 2, 3)
    scores = pd.read_parquet(tmp_path / "scores.parquet")
    assert scores["status"].tolist() == ["scored", "rejected", "rejected", "rejected", "scored"]
    assert scores["default_probability"].isna().tolist() == [False, True, True, True, False]
    assert "null" in scores.loc[1, "reason"] and "finite" in scores.loc[2, "reason"]
    assert ">= 0" in scores.loc[3, "reason"]


def test_batch_scoring_by_entity_uses_online_features(
    bundle: Path, feature_server: Server, known_ids: list[str], tmp_path: Path
) -> None:
    source = tmp_path / "ids.parquet"
    pd.DataFrame({"applicant_id": [known_ids[0], UNKNOWN, known_ids[1], "not-a-pseudonym"]}).to_parquet(source)
    model, _ = load_bundle(bundle, "fp32")
    client = FeatureServerClient(f"http://{feature_server.address}")
    summary = score_parquet(source, tmp_path / "scores.parquet", model, "test", client)
    assert (summary.scored, summary.rejected) == (2, 2)
    scores = pd.read_parquet(tmp_path / "scores.parquet")
    assert scores["status"].tolist() == ["scored", "rejected", "scored", "rejected"]
    assert "unknown" in scores.loc[1, "reason"] and "pseudonym" in scores.loc[3, "reason"]
