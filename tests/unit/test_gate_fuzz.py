"""Fuzzing the gate's input path: no crash, and nothing malformed is ever allowed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platformctl.cli import main
from platformctl.errors import PreviewFormatError
from platformctl.gate.input.preview import load_preview_bytes, normalize

STACK = "urn:pulumi:dev::uae-ml-platform::pulumi:pulumi:Stack::uae-ml-platform-dev"
PROVIDER = "urn:pulumi:dev::uae-ml-platform::pulumi:providers:aws::uae"
BUCKET = "urn:pulumi:dev::uae-ml-platform::aws:s3/bucket:Bucket::lake"
SEED: dict[str, Any] = {
    "config": {"aws:region": "me-central-1"},
    "steps": [
        {"op": "create", "urn": STACK, "newState": {"urn": STACK, "custom": False, "type": "pulumi:pulumi:Stack"}},
        {"op": "create", "urn": PROVIDER, "newState": {"urn": PROVIDER, "custom": True, "type": "pulumi:providers:aws",
                                                       "inputs": {"region": "me-central-1", "defaultTags": "{\"tags\":{}}"}}},
        {"op": "update", "urn": BUCKET, "provider": PROVIDER + "::id",
         "newState": {"urn": BUCKET, "custom": True, "type": "aws:s3/bucket:Bucket", "inputs": {"tags": {"a": "b"}},
                      "parent": STACK, "provider": PROVIDER + "::id", "dependencies": [], "propertyDependencies": {"x": [STACK]}},
         "oldState": {"urn": BUCKET, "custom": True, "type": "aws:s3/bucket:Bucket", "inputs": {}}},
    ],
}  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


def _only_format_errors(data: bytes) -> None:
    try:
        normalize(load_preview_bytes(data, "fuzz"))
    except PreviewFormatError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_random_bytes_never_crash_the_reader(data: bytes) -> None:
    _only_format_errors(data)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_random_json_never_crashes_the_reader(value: Any) -> None:
    _only_format_errors(json.dumps(value).encode())


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _paths(child, (*prefix, index))
    return out


ALL_PATHS = [p for p in _paths(SEED) if p]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(ALL_PATHS), json_values, st.booleans())
def test_structural_mutations_of_a_preview_either_parse_or_are_refused(
    path: tuple[Any, ...], value: Any, delete: bool
) -> None:
    doc = copy.deepcopy(SEED)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    try:
        normalized = normalize(doc)
    except PreviewFormatError:
        return
    assert normalized["schema"] == "uae-ml-platform/gate-input/v1"
    assert all(isinstance(r["inputs"], dict) for r in normalized["resources"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())))
def test_the_cli_exits_2_and_never_allows_garbage(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.json"
    path.write_bytes(data)
    try:
        normalize(load_preview_bytes(data, "fuzz"))
    except PreviewFormatError:
        pass
    else:  # hypothesis happened to build a well-formed preview: not garbage, not this test's concern
        return
    assert main(["gate", str(path), "--format", "json", "--no-checkov"]) == 2
