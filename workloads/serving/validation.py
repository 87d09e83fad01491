"""Strict request validation for v1 and v2 (Open Inference Protocol) bodies, before anything reaches the model.

Every malformed body raises `RequestRejected` (a kserve InvalidInput, so KServe answers 400 with the reason);
stock KServe would let these reach the model and answer 500. Batch scoring uses the same row checks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from kserve.errors import InvalidInput
from kserve.protocol.infer_type import InferRequest

from workloads.training.config import FEATURES

ENTITY_KEY = "applicant_id"
V2_FEATURES_INPUT = "features"
V2_ENTITY_INPUT = ENTITY_KEY
V2_FEATURE_DATATYPES = ("FP32", "FP64", "INT32", "INT64")
# Feast Int64 features: a fractional value is a caller bug, not a rounding question.
INTEGER_FEATURES = frozenset({"age", "existing_loans", "late_payments_90d", "txn_count_7d"})
PSEUDONYM = re.compile(r"[0-9a-f]{64}")
# Far above any real income or count, far below float32's limit (3.4e38) where the model would see inf.
MAX_FEATURE_VALUE = 1e15


class RequestRejected(InvalidInput):
    """A malformed request; `category` is a low-cardinality label for the rejection metric."""

    def __init__(self, reason: str, category: str = "malformed") -> None:
        super().__init__(reason)
        self.category = category


class UnknownEntity(Exception):  # noqa: N818 - mapped to HTTP 404 at the edge
    def __init__(self, ids: Sequence[str]) -> None:
        shown = ", ".join(repr(i) for i in list(ids)[:5])
        self.ids = list(ids)
        self.reason = f"unknown {ENTITY_KEY}: {shown}" + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        super().__init__(self.reason)


@dataclass(frozen=True)
class ParsedRows:
    """Either a (n, 10) float32 feature matrix or a list of entity ids to enrich from the online store."""

    features: np.ndarray | None = None
    entity_ids: list[str] | None = None

    @property
    def rows(self) -> int:
        return len(self.entity_ids) if self.entity_ids is not None else len(self.features)  # type: ignore[arg-type]


def feature_value(value: object, name: str, where: str) -> float:
    """One feature value: a finite, non-negative JSON number (integral for Int64 features)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "null" if value is None else type(value).__name__
        raise RequestRejected(f"{where}: feature {name!r} must be a number, got {kind}", "bad_value")
    number = float(value)
    if not math.isfinite(number):
        raise RequestRejected(f"{where}: feature {name!r} must be finite, got {value!r}", "bad_value")
    if number > MAX_FEATURE_VALUE:
        raise RequestRejected(f"{where}: feature {name!r} is out of range (> {MAX_FEATURE_VALUE:g})", "bad_value")
    if number < 0:
        raise RequestRejected(f"{where}: feature {name!r} must be >= 0, got {value!r}", "bad_value")
    if name in INTEGER_FEATURES and not number.is_integer():
        raise RequestRejected(f"{where}: feature {name!r} must be an integer, got {value!r}", "bad_value")
    return number


def feature_row(row: object, where: str) -> list[float]:
    """A feature row as a list in FEATURES order, or an object keyed by feature name (all ten, nothing else)."""
    if isinstance(row, list):
        if len(row) != len(FEATURES):
            raise RequestRejected(
                f"{where}: expected {len(FEATURES)} features {list(FEATURES)}, got {len(row)}", "shape"
            )
        return [feature_value(v, name, where) for v, name in zip(row, FEATURES, strict=True)]
    if isinstance(row, dict):
        missing = [name for name in FEATURES if name not in row]
        unknown = sorted(set(row) - set(FEATURES))
        if missing or unknown:
            raise RequestRejected(f"{where}: missing features {missing}, unknown keys {unknown}", "shape")
        return [feature_value(row[name], name, where) for name in FEATURES]
    raise RequestRejected(f"{where}: a row must be a list of {len(FEATURES)} numbers or an object", "shape")


def entity_id(value: object, where: str) -> str:
    """The keyed-hash pseudonym (64 lowercase hex) the feature store is keyed by; never a raw national ID."""
    if not isinstance(value, str) or not value.strip():
        raise RequestRejected(f"{where}: {ENTITY_KEY} must be a non-empty string", "bad_value")
    if not PSEUDONYM.fullmatch(value):
        shown = value[:16] + ("..." if len(value) > 16 else "")
        raise RequestRejected(f"{where}: {ENTITY_KEY} must be a 64-hex pseudonym, got {shown!r}", "bad_value")
    return value


def _is_entity_row(row: object) -> bool:
    return isinstance(row, dict) and set(row) == {ENTITY_KEY}


def parse_v1(payload: object, max_rows: int) -> ParsedRows:
    """`{"instances": [row, ...]}`; rows are feature lists, feature objects, or `{"applicant_id": "..."}`."""
    if isinstance(payload, bytes | bytearray | str):
        raise RequestRejected("request body must be JSON with Content-Type: application/json", "content_type")
    if not isinstance(payload, dict):
        raise RequestRejected(f"request body must be a JSON object, got {type(payload).__name__}", "malformed")
    if "instances" not in payload:
        raise RequestRejected('request body must have an "instances" list', "missing_instances")
    instances = payload["instances"]
    if not isinstance(instances, list):
        raise RequestRejected(f'"instances" must be a list, got {type(instances).__name__}', "shape")
    if not instances:
        raise RequestRejected('"instances" is empty', "shape")
    if len(instances) > max_rows:
        raise RequestRejected(f'"instances" has {len(instances)} rows; at most {max_rows} per request', "too_many_rows")
    entity_rows = [_is_entity_row(row) for row in instances]
    if all(entity_rows):
        return ParsedRows(entity_ids=[entity_id(row[ENTITY_KEY], f"instances[{i}]") for i, row in enumerate(instances)])
    if any(entity_rows):
        raise RequestRejected('do not mix {"applicant_id": ...} rows with feature rows in one request', "shape")
    matrix = [feature_row(row, f"instances[{i}]") for i, row in enumerate(instances)]
    return ParsedRows(features=np.asarray(matrix, dtype=np.float32))


def _flatten(data: object, shape: list[int], where: str) -> list[object]:
    """Row-major flat list from flat or nested JSON tensor data, checking nesting matches `shape`."""
    if not isinstance(data, list):
        raise RequestRejected(f"{where}: data must be a list", "shape")
    if data and all(isinstance(item, list) for item in data):
        if len(shape) < 2 or len(data) != shape[0]:
            raise RequestRejected(f"{where}: nested data does not match shape {shape}", "shape")
        flat: list[object] = []
        for i, item in enumerate(data):
            flat.extend(_flatten(item, shape[1:], f"{where}[{i}]"))
        return flat
    if any(isinstance(item, list) for item in data):
        raise RequestRejected(f"{where}: ragged data (lists mixed with scalars)", "shape")
    return list(data)


def parse_v2(request: InferRequest, max_rows: int) -> ParsedRows:
    """One input: `features` (FP32/FP64/INT32/INT64, shape [n, 10]) or `applicant_id` (BYTES, shape [n])."""
    inputs = request.inputs or []
    if len(inputs) != 1:
        raise RequestRejected(
            f'expected exactly one input ("{V2_FEATURES_INPUT}" or "{V2_ENTITY_INPUT}"), got {len(inputs)}', "shape"
        )
    tensor = inputs[0]
    name, datatype, shape = tensor.name, (tensor.datatype or "").upper(), list(tensor.shape or [])
    where = f"input {name!r}"
    if any(isinstance(d, bool) or not isinstance(d, int) or d <= 0 for d in shape):
        raise RequestRejected(f"{where}: shape must be positive integers, got {shape}", "shape")
    data = tensor.data
    if isinstance(data, np.ndarray):  # binary tensor extension: KServe already decoded it
        data = data.tolist()
    if name == V2_FEATURES_INPUT:
        if datatype not in V2_FEATURE_DATATYPES:
            raise RequestRejected(
                f"{where}: datatype must be one of {list(V2_FEATURE_DATATYPES)}, got {datatype!r}", "datatype"
            )
        if len(shape) != 2 or shape[1] != len(FEATURES):
            raise RequestRejected(f"{where}: shape must be [n, {len(FEATURES)}], got {shape}", "shape")
        rows = shape[0]
    elif name == V2_ENTITY_INPUT:
        if datatype != "BYTES":
            raise RequestRejected(f"{where}: datatype must be BYTES, got {datatype!r}", "datatype")
        if len(shape) != 1:
            raise RequestRejected(f"{where}: shape must be [n], got {shape}", "shape")
        rows = shape[0]
    else:
        raise RequestRejected(f'unknown input {name!r}; expected "{V2_FEATURES_INPUT}" or "{V2_ENTITY_INPUT}"', "shape")
    if rows > max_rows:
        raise RequestRejected(f"{where}: {rows} rows; at most {max_rows} per request", "too_many_rows")
    flat = _flatten(data, shape, where)
    expected = math.prod(shape)
    if len(flat) != expected:
        raise RequestRejected(f"{where}: shape {shape} needs {expected} values, got {len(flat)}", "shape")
    if name == V2_ENTITY_INPUT:
        ids = [v.decode() if isinstance(v, bytes) else v for v in flat]
        return ParsedRows(entity_ids=[entity_id(v, f"{where}[{i}]") for i, v in enumerate(ids)])
    integer_type = datatype.startswith("INT")
    values = []
    for i, value in enumerate(flat):
        name_i = FEATURES[i % len(FEATURES)]
        if integer_type and isinstance(value, float):
            raise RequestRejected(f"{where}[{i}]: {datatype} data must be integers, got {value!r}", "datatype")
        values.append(feature_value(value, name_i, f"{where}[{i // len(FEATURES)}]"))
    return ParsedRows(features=np.asarray(values, dtype=np.float32).reshape(rows, len(FEATURES)))
