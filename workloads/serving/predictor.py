"""The credit-risk KServe predictor: v1 and v2 inference, strict validation, online-feature enrichment, metrics."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import kserve
import numpy as np
import torch
from kserve.protocol.infer_type import InferOutput, InferRequest, InferResponse
from prometheus_client import Counter, Histogram

from workloads.serving.features import FeatureServerClient
from workloads.serving.validation import (
    V2_ENTITY_INPUT,
    V2_FEATURES_INPUT,
    ParsedRows,
    RequestRejected,
    UnknownEntity,
    parse_v1,
    parse_v2,
)
from workloads.training.config import FEATURES, REGISTERED_MODEL_NAME
from workloads.training.model import load_bundle

log = logging.getLogger(__name__)

PREDICTIONS = Counter(
    "credit_risk_predictions_total", "Rows scored", ["model", "model_version", "precision", "protocol"]
)
REJECTED = Counter("credit_risk_rejected_requests_total", "Requests answered 4xx before the model", ["reason"])
MODEL_SECONDS = Histogram(
    "credit_risk_model_seconds",
    "Model forward time per request",
    ["model", "precision"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
)
OUTPUT_NAME = "default_probability"


class ModelSourceError(ValueError):
    """--model-uri is neither a bundle directory nor models:/<name>/<version|latest>."""


@dataclass(frozen=True)
class ModelSource:
    """Where the bundle comes from: a local directory (or file:// URI) or the MLflow registry."""

    uri: str
    tracking_uri: str = ""

    def resolve(self, cache_dir: Path | None = None) -> tuple[Path, str]:
        """(local bundle directory, version label)."""
        if self.uri.startswith("models:/"):
            from workloads.training.registry import download_version, get_version

            parts = self.uri.removeprefix("models:/").split("/")
            if len(parts) != 2 or not all(parts):
                raise ModelSourceError(f"expected models:/<name>/<version|latest>, got {self.uri!r}")
            tracking = self.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI", "")
            version = get_version(tracking, parts[0], parts[1])
            return download_version(tracking, version, cache_dir), version.version
        path = Path(urlparse(self.uri).path if self.uri.startswith("file://") else self.uri)
        if not path.is_dir():
            raise ModelSourceError(f"model URI {self.uri!r} is not a bundle directory or models:/ URI")
        return path, f"local:{path.name}"


@dataclass(frozen=True)
class ScoringBatch:
    features: np.ndarray
    protocol: str
    request_id: str | None = None


class CreditRiskPredictor(kserve.Model):
    def __init__(
        self,
        name: str,
        source: ModelSource,
        precision: str = "fp32",
        feature_server_url: str | None = None,
        max_rows: int = 1024,
    ) -> None:
        super().__init__(name)
        self.source = source
        self.precision = precision
        self.max_rows = max_rows
        self.features = FeatureServerClient(feature_server_url) if feature_server_url else None
        self.model: torch.nn.Module | None = None
        self.version = "unloaded"
        self.spec: dict[str, object] = {}
        self.ready = False

    def load(self) -> bool:
        bundle, self.version = self.source.resolve()
        self.model, self.spec = load_bundle(bundle, self.precision)
        # Warm the kernels once so the first caller does not pay for it.
        with torch.inference_mode():
            self.model(torch.zeros(1, len(FEATURES)))
        self.ready = True
        log.info("loaded %s version %s (%s) from %s", self.name, self.version, self.precision, bundle)
        return self.ready

    async def preprocess(self, payload: dict | InferRequest, headers: dict[str, str] | None = None) -> ScoringBatch:
        try:
            if isinstance(payload, InferRequest):
                parsed, protocol = parse_v2(payload, self.max_rows), "v2"
            else:
                parsed, protocol = parse_v1(payload, self.max_rows), "v1"
            if parsed.entity_ids is not None and self.features is None:
                raise RequestRejected(
                    f"{V2_ENTITY_INPUT} rows need online features, and this predictor has no feature server "
                    "configured (--feature-server-url); send the feature rows instead",
                    "no_feature_server",
                )
        except RequestRejected as exc:
            REJECTED.labels(exc.category).inc()
            raise
        matrix = await self._features(parsed)
        request_id = payload.id if isinstance(payload, InferRequest) else None
        return ScoringBatch(features=matrix, protocol=protocol, request_id=request_id)

    async def _features(self, parsed: ParsedRows) -> np.ndarray:
        if parsed.features is not None:
            return parsed.features
        try:
            return await self.features.fetch(parsed.entity_ids)  # type: ignore[union-attr,arg-type]
        except UnknownEntity:
            REJECTED.labels("unknown_entity").inc()
            raise

    def validate(self, payload: object) -> object:
        # preprocess already validated and converted the body; KServe's own check assumes a dict.
        return payload

    def score(self, features: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        with torch.inference_mode():
            probabilities = torch.sigmoid(self.model(torch.from_numpy(features))).numpy()  # type: ignore[misc]
        MODEL_SECONDS.labels(self.name, self.precision).observe(time.perf_counter() - started)
        return probabilities

    def predict(self, payload: ScoringBatch, headers: dict[str, str] | None = None) -> dict | InferResponse:
        probabilities = self.score(payload.features)
        PREDICTIONS.labels(self.name, self.version, self.precision, payload.protocol).inc(len(probabilities))
        values = [round(float(p), 6) for p in probabilities]
        if payload.protocol == "v2":
            output = InferOutput(name=OUTPUT_NAME, shape=[len(values)], datatype="FP32", data=values)
            return InferResponse(
                response_id=payload.request_id or "",
                model_name=self.name,
                model_version=self.version,
                infer_outputs=[output],
            )
        return {"predictions": values, "model_name": self.name, "model_version": self.version}

    def get_input_types(self) -> list[dict[str, object]]:
        return [
            {"name": V2_FEATURES_INPUT, "datatype": "FP32", "shape": [-1, len(FEATURES)]},
            {"name": V2_ENTITY_INPUT, "datatype": "BYTES", "shape": [-1]},
        ]

    def get_output_types(self) -> list[dict[str, object]]:
        return [{"name": OUTPUT_NAME, "datatype": "FP32", "shape": [-1]}]

    def metadata(self) -> dict[str, object]:
        """The v1 metadata document (v2's comes from KServe via get_input_types/get_output_types)."""
        return {
            "name": self.name,
            "versions": [self.version],
            "platform": "pytorch",
            "precision": self.precision,
            "inputs": self.get_input_types(),
            "outputs": self.get_output_types(),
            "feature_order": list(FEATURES),
            "entity_enrichment": self.features is not None,
            "registered_model": REGISTERED_MODEL_NAME,
            "dataset_digest": self.spec.get("dataset_digest"),
            "git_commit": self.spec.get("git_commit"),
        }
