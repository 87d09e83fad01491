"""The validators on arbitrary JSON: they either return a well-formed batch or raise RequestRejected (-> 400),
never another exception (which KServe would turn into a 500)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from kserve.protocol.infer_type import InferInput, InferRequest

from workloads.serving.validation import RequestRejected, parse_v1, parse_v2
from workloads.training.config import FEATURES

scalars = st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | st.text(max_size=5)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=12) | st.dictionaries(st.text(max_size=8), inner, max_size=12),
    max_leaves=40,
)  # fmt: skip
numbers = st.integers(0, 10**6) | st.floats(0, 1e6, allow_nan=False)


def _accepts(parsed) -> None:
    if parsed.features is not None:
        assert parsed.features.shape[1] == len(FEATURES) and np.isfinite(parsed.features).all()
    else:
        assert parsed.entity_ids and all(isinstance(i, str) and i for i in parsed.entity_ids)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["instances", "inputs", "x"]), json_values, max_size=2) | json_values)
def test_v1_arbitrary_json_is_parsed_or_rejected(payload: object) -> None:
    try:
        _accepts(parse_v1(payload, max_rows=64))
    except RequestRejected as rejected:
        assert rejected.reason


@settings(max_examples=100, deadline=None)
@given(
    name=st.sampled_from(["features", "applicant_id", "other"]),
    datatype=st.sampled_from(["FP32", "FP64", "INT64", "INT32", "BYTES", "BOOL", "fp32", ""]),
    shape=st.lists(st.integers(-2, 12), max_size=3),
    data=st.lists(json_values, max_size=30),
)
def test_v2_arbitrary_tensors_are_parsed_or_rejected(name: str, datatype: str, shape: list, data: list) -> None:
    request = InferRequest(model_name="m", infer_inputs=[InferInput(name, shape, datatype, data)])
    try:
        _accepts(parse_v2(request, max_rows=64))
    except RequestRejected as rejected:
        assert rejected.reason


@given(st.lists(st.lists(numbers, min_size=10, max_size=10), min_size=1, max_size=5))
def test_valid_rows_are_accepted_in_feature_order(rows: list[list[float]]) -> None:
    rows = [[math.floor(v) if name in ("age", "existing_loans", "late_payments_90d", "txn_count_7d") else v
             for v, name in zip(row, FEATURES, strict=True)] for row in rows]  # fmt: skip
    parsed = parse_v1({"instances": rows}, max_rows=64)
    assert np.allclose(parsed.features, np.asarray(rows, dtype=np.float32))
