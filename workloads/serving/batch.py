"""Batch scoring: a Parquet file of entities -> a Parquet file of scores, with the predictor's model and validation.

  python -m workloads.serving.batch --input entities.parquet --output scores.parquet --model-uri models:/credit-risk/latest

Rows carry the ten features by name, or only `applicant_id` (then features come from the Feast feature server,
--feature-server-url). Read and written in chunks, so the file may be larger than memory. A bad row never stops
the job and is never scored: it is written with status "rejected" and the reason, like the 4xx the server sends.
Exit 0 when every row was scored, 4 when some were rejected, 2 for an unusable input file or model.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch

from workloads.serving.features import FeatureServerClient
from workloads.serving.predictor import ModelSource, ModelSourceError
from workloads.serving.validation import ENTITY_KEY, RequestRejected, UnknownEntity, entity_id, feature_row
from workloads.training.config import FEATURES
from workloads.training.model import BundleError, load_bundle
from workloads.training.registry import RegistryError

EXIT_SOME_REJECTED = 4
OUTPUT_SCHEMA = pa.schema(
    [
        ("row", pa.int64()),
        (ENTITY_KEY, pa.string()),
        ("default_probability", pa.float32()),
        ("status", pa.string()),
        ("reason", pa.string()),
        ("model_version", pa.string()),
    ]
)


class BatchInputError(ValueError):
    """The input file is not a Parquet file with feature columns or an applicant_id column."""


@dataclass
class BatchSummary:
    rows: int = 0
    scored: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def _score(model: torch.nn.Module, matrix: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return torch.sigmoid(model(torch.from_numpy(matrix))).numpy()


def score_parquet(
    input_path: Path,
    output_path: Path,
    model: torch.nn.Module,
    model_version: str,
    features: FeatureServerClient | None = None,
    chunk_rows: int = 4096,
) -> BatchSummary:
    try:
        source = pq.ParquetFile(input_path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise BatchInputError(f"{input_path} is not a readable Parquet file: {exc}") from exc
    columns = set(source.schema_arrow.names)
    has_features = set(FEATURES) <= columns
    if not has_features and ENTITY_KEY not in columns:
        raise BatchInputError(f"{input_path} needs the columns {list(FEATURES)} or {ENTITY_KEY!r}")
    if not has_features and features is None:
        raise BatchInputError(f"{input_path} has only {ENTITY_KEY}: pass --feature-server-url for online features")
    wanted = [c for c in (ENTITY_KEY, *FEATURES) if c in columns]
    summary = BatchSummary()
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(output_path, OUTPUT_SCHEMA) as writer:
        for batch in source.iter_batches(batch_size=chunk_rows, columns=wanted):
            records = batch.to_pylist()
            out = _score_chunk(records, summary.rows, model, model_version, features, has_features)
            for status, reason in zip(out["status"], out["reason"], strict=True):
                if status == "rejected":
                    summary.rejected += 1
                    key = reason.split(":")[-1].strip().split(" ")[0] if reason else "unknown"
                    summary.reasons[key] = summary.reasons.get(key, 0) + 1
                else:
                    summary.scored += 1
            summary.rows += len(records)
            writer.write_table(pa.table(out, schema=OUTPUT_SCHEMA))
    return summary


def _score_chunk(
    records: list[dict[str, object]],
    offset: int,
    model: torch.nn.Module,
    model_version: str,
    features: FeatureServerClient | None,
    has_features: bool,
) -> dict[str, list[object]]:
    n = len(records)
    matrix = np.zeros((n, len(FEATURES)), dtype=np.float32)
    reasons: list[str | None] = [None] * n
    ids: list[str | None] = [r.get(ENTITY_KEY) if isinstance(r.get(ENTITY_KEY), str) else None for r in records]
    for i, record in enumerate(records):
        where = f"row {offset + i}"
        try:
            if has_features:
                matrix[i] = feature_row({name: record.get(name) for name in FEATURES}, where)
            else:
                entity_id(record.get(ENTITY_KEY), where)
        except RequestRejected as exc:
            reasons[i] = exc.reason
    if not has_features:
        pending = [i for i in range(n) if reasons[i] is None]
        while pending:
            try:
                fetched = features.fetch_sync([ids[i] for i in pending])  # type: ignore[union-attr,misc]
            except UnknownEntity as exc:
                unknown = set(exc.ids)
                for i in pending:
                    if ids[i] in unknown:
                        reasons[i] = f"row {offset + i}: unknown {ENTITY_KEY}"
                pending = [i for i in pending if reasons[i] is None]
                continue
            matrix[pending] = fetched
            break
    valid = [i for i in range(n) if reasons[i] is None]
    probabilities = np.full(n, np.nan, dtype=np.float32)
    if valid:
        probabilities[valid] = _score(model, matrix[valid])
    return {
        "row": list(range(offset, offset + n)),
        ENTITY_KEY: ids,
        "default_probability": [None if reasons[i] else float(probabilities[i]) for i in range(n)],
        "status": ["rejected" if reasons[i] else "scored" for i in range(n)],
        "reason": reasons,
        "model_version": [model_version] * n,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workloads.serving.batch", description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--model-uri", default="models:/credit-risk/latest")
    parser.add_argument("--tracking-uri", default="")
    parser.add_argument("--precision", choices=("fp32", "int8"), default="fp32")
    parser.add_argument("--feature-server-url")
    parser.add_argument("--chunk-rows", type=int, default=4096)
    args = parser.parse_args(argv)
    try:
        bundle, version = ModelSource(args.model_uri, args.tracking_uri).resolve()
        model, _ = load_bundle(bundle, args.precision)
        client = FeatureServerClient(args.feature_server_url) if args.feature_server_url else None
        summary = score_parquet(args.input, args.output, model, version, client, args.chunk_rows)
    except (BatchInputError, ModelSourceError, BundleError, RegistryError) as exc:
        print(f"batch: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary.__dict__))
    return EXIT_SOME_REJECTED if summary.rejected else 0


if __name__ == "__main__":
    sys.exit(main())
