"""Online feature enrichment: applicant ids -> credit_risk_v1 feature rows from the Feast feature server (HTTP)."""

from __future__ import annotations

import math

import httpx
import numpy as np

from workloads.features.names import FEATURE_SERVICE
from workloads.serving.validation import ENTITY_KEY, RequestRejected, UnknownEntity, feature_value
from workloads.training.config import FEATURES

MISSING_STATUSES = {"NOT_FOUND", "NULL_VALUE", "OUTSIDE_MAX_AGE"}


class FeatureStoreUnavailableError(RuntimeError):
    """The feature server did not answer or answered with an error; the caller's request was fine (HTTP 503)."""


class FeatureServerClient:
    def __init__(self, url: str, timeout_s: float = 2.0) -> None:
        self.url = url.rstrip("/")
        self._timeout = timeout_s
        self._client: httpx.AsyncClient | None = None

    def _body(self, ids: list[str]) -> dict[str, object]:
        return {"feature_service": FEATURE_SERVICE, "entities": {ENTITY_KEY: ids}, "full_feature_names": False}

    async def fetch(self, ids: list[str]) -> np.ndarray:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        try:
            response = await self._client.post(f"{self.url}/get-online-features", json=self._body(ids))
        except httpx.HTTPError as exc:
            raise FeatureStoreUnavailableError(f"feature server {self.url} unreachable: {exc}") from exc
        return self._rows(response, ids)

    def fetch_sync(self, ids: list[str]) -> np.ndarray:
        try:
            response = httpx.post(f"{self.url}/get-online-features", json=self._body(ids), timeout=self._timeout * 5)
        except httpx.HTTPError as exc:
            raise FeatureStoreUnavailableError(f"feature server {self.url} unreachable: {exc}") from exc
        return self._rows(response, ids)

    def _rows(self, response: httpx.Response, ids: list[str]) -> np.ndarray:
        if response.status_code == 400:
            # The feature server refused the ids themselves: the caller's input, so a 400 with its reason.
            raise RequestRejected(f"feature server refused the entity ids: {response.text[:200]}", "bad_value")
        if response.status_code != 200:
            raise FeatureStoreUnavailableError(f"feature server answered {response.status_code}: {response.text[:200]}")
        try:
            body = response.json()
            names = body["metadata"]["feature_names"]
            columns = {name: result for name, result in zip(names, body["results"], strict=True)}
        except (ValueError, KeyError, TypeError) as exc:
            raise FeatureStoreUnavailableError(f"feature server answer not understood: {exc}") from exc
        absent = [name for name in FEATURES if name not in columns]
        if absent:
            raise FeatureStoreUnavailableError(f"feature server did not return {absent} for {FEATURE_SERVICE}")
        unknown: list[str] = []
        matrix = np.zeros((len(ids), len(FEATURES)), dtype=np.float32)
        for row, applicant in enumerate(ids):
            for col, name in enumerate(FEATURES):
                value = columns[name]["values"][row]
                statuses = columns[name].get("statuses") or []
                status = statuses[row] if row < len(statuses) else "PRESENT"
                if (
                    value is None
                    or status in MISSING_STATUSES
                    or (isinstance(value, float) and not math.isfinite(value))
                ):
                    unknown.append(applicant)
                    break
                matrix[row, col] = feature_value(value, name, f"online features of {applicant!r}")
        if unknown:
            raise UnknownEntity(unknown)
        return matrix

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
