"""A small client for the credit-risk predictor (drift traffic, demos, A/B, canaries).

client = PredictorClient("http://127.0.0.1:8080")
client.wait_ready()
client.predict(frame)                 # DataFrame with the ten features, or rows in FEATURES order -> probabilities
client.predict_entities(["<applicant_id>", ...])   # online features from Feast, server side
client.infer_v2(matrix)               # same scores over the Open Inference Protocol
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import httpx
import numpy as np
import pandas as pd

from workloads.training.config import FEATURES, REGISTERED_MODEL_NAME


class PredictorError(RuntimeError):
    """The predictor answered with an error; `status` is the HTTP status, `reason` its message."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"predictor answered {status}: {reason}")
        self.status = status
        self.reason = reason


def _rows(rows: pd.DataFrame | np.ndarray | Sequence[Sequence[float]]) -> list[list[float]]:
    if isinstance(rows, pd.DataFrame):
        return rows[list(FEATURES)].to_numpy(dtype="float64").tolist()
    return np.asarray(rows, dtype="float64").tolist()


class PredictorClient:
    def __init__(self, url: str, model: str = REGISTERED_MODEL_NAME, timeout_s: float = 30, batch_rows: int = 512):
        self.url = url.rstrip("/")
        self.model = model
        self.batch_rows = batch_rows
        self._http = httpx.Client(timeout=timeout_s)

    def __enter__(self) -> PredictorClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._http.close()

    def _post(self, path: str, body: dict) -> dict:
        response = self._http.post(self.url + path, json=body)
        if response.status_code != 200:
            try:
                reason = response.json().get("error") or str(response.json().get("detail"))
            except ValueError:
                reason = response.text[:300]
            raise PredictorError(response.status_code, reason)
        return response.json()

    def ready(self) -> bool:
        try:
            return self._http.get(f"{self.url}/v2/models/{self.model}/ready").status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.ready():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.url} model {self.model} not ready after {timeout_s} s")
            time.sleep(0.3)

    def predict(self, rows: pd.DataFrame | np.ndarray | Sequence[Sequence[float]]) -> list[float]:
        """v1 predictions for raw feature rows, sent in batches of `batch_rows`."""
        values = _rows(rows)
        out: list[float] = []
        for start in range(0, len(values), self.batch_rows):
            body = {"instances": values[start : start + self.batch_rows]}
            out.extend(self._post(f"/v1/models/{self.model}:predict", body)["predictions"])
        return out

    def predict_entities(self, applicant_ids: Sequence[str]) -> list[float]:
        out: list[float] = []
        ids = list(applicant_ids)
        for start in range(0, len(ids), self.batch_rows):
            body = {"instances": [{"applicant_id": i} for i in ids[start : start + self.batch_rows]]}
            out.extend(self._post(f"/v1/models/{self.model}:predict", body)["predictions"])
        return out

    def infer_v2(self, rows: pd.DataFrame | np.ndarray | Sequence[Sequence[float]]) -> list[float]:
        values = _rows(rows)
        body = {
            "inputs": [{"name": "features", "shape": [len(values), len(FEATURES)], "datatype": "FP64", "data": values}]
        }
        return self._post(f"/v2/models/{self.model}/infer", body)["outputs"][0]["data"]

    def metadata(self) -> dict:
        return self._http.get(f"{self.url}/v1/models/{self.model}/metadata").json()
