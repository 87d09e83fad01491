"""schemas/: the contracts hold for what the gate really produces, and each refuses what it should."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from platformctl import schemas
from platformctl.errors import PolicyEngineError
from platformctl.gate.engines.rego import RegorusEngine
from platformctl.gate.input.preview import normalize
from platformctl.gate.policy.curated import CURATED_FILE, CuratedListError, load_curated
from platformctl.gate.runner import GateOptions, run_gate
from platformctl.synth import synthesize

SCHEMA_FILES = sorted(schemas.SCHEMAS_DIR.glob("*.schema.json"))


@cache
def prod_input() -> dict[str, Any]:
    return normalize(synthesize("prod"))


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_every_schema_is_a_valid_draft_07_schema(path: Path) -> None:
    document = json.loads(path.read_text())
    # Draft-07: the newest draft OPA's type checker (`opa check -s schemas`) reads.
    assert document["$schema"] == "http://json-schema.org/draft-07/schema#"
    schemas.schema(path.name.removesuffix(".schema.json"))  # check_schema raises when invalid


def test_the_readers_output_on_prod_is_a_valid_gate_input() -> None:
    assert schemas.first_error("gate-input", prod_input()) is None


def test_gate_input_schema_refuses_a_wrong_type_deep_inside() -> None:
    broken = json.loads(json.dumps(prod_input()))
    broken["resources"][3]["region"] = 7
    error = schemas.first_error("gate-input", broken)
    assert error is not None and list(error.absolute_path) == ["resources", 3, "region"]


def test_every_finding_of_a_gate_run_is_a_valid_finding(tmp_path: Path) -> None:
    mutated = synthesize("prod")
    for step in mutated["steps"]:
        if step["newState"]["type"] == "aws:kms/key:Key":
            step["newState"]["inputs"]["enableKeyRotation"] = False
    preview = tmp_path / "prod.json"
    preview.write_text(json.dumps(mutated))
    result = run_gate([str(preview)], GateOptions(checkov=False))
    assert result.findings, "the mutation must produce findings"
    for finding in result.findings:
        assert schemas.first_error("finding", finding.as_dict()) is None


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"schema": "other", "resources": []}, "input: schema: 'uae-ml-platform/gate-input/v1' was expected"),
        ({"schema": "uae-ml-platform/gate-input/v1"}, "input: missing resources"),
        ({"schema": "uae-ml-platform/gate-input/v1", "resources": {}}, "input: resources: {} is not of type 'array'"),
        ([], "input: [] is not of type 'object'"),
    ],
)
def test_engine_refuses_a_document_outside_the_envelope_in_one_line(document: Any, message: str) -> None:
    with pytest.raises(PolicyEngineError) as caught:
        RegorusEngine().evaluate(document)
    assert str(caught.value) == message


def test_curated_list_is_valid_and_a_malformed_one_is_one_clear_error(tmp_path: Path) -> None:
    assert schemas.first_error("checkov-curated", yaml.safe_load(CURATED_FILE.read_text())) is None
    document = yaml.safe_load(CURATED_FILE.read_text())
    check_id = next(iter(document["checks"]))
    document["checks"][check_id]["enforcement"].pop("dev")
    broken = tmp_path / "curated.yaml"
    broken.write_text(yaml.safe_dump(document))
    with pytest.raises(CuratedListError) as caught:
        load_curated(broken)
    assert str(caught.value) == f"{broken}: checks.{check_id}.enforcement: missing dev"
    assert "\n" not in str(caught.value)


REGO_ROOT = Path(__file__).resolve().parents[2] / "policies" / "rego"
SCHEMA_ANNOTATION = '# schemas:\n#   - input: schema["gate-input.schema"]\n'


def _rego_modules() -> list[Path]:
    return sorted(p for p in REGO_ROOT.rglob("*.rego") if not p.name.endswith("_test.rego"))


@pytest.mark.parametrize("path", _rego_modules(), ids=lambda p: str(p.relative_to(REGO_ROOT)))
def test_every_policy_module_types_its_input_with_the_gate_input_schema(path: Path) -> None:
    """The package-scoped METADATA names schemas/gate-input.schema.json, so `opa check -s schemas`
    type-checks every reference to `input` against it (OPA names a schema file by its path without
    the last extension)."""
    text = path.read_text(encoding="utf-8")
    block = text[text.index("# METADATA\n") : text.index("\npackage ")]
    assert "# scope: package\n" in block, path
    assert SCHEMA_ANNOTATION in block + "\n", path
    assert (schemas.SCHEMAS_DIR / "gate-input.schema.json").is_file()


def test_every_input_field_the_rules_read_is_in_the_gate_input_schema() -> None:
    """What `opa check -s` reports as a type error, checked here without the OPA binary: a rule
    reading `input.<field>` that the schema does not define (a typo, or a field the reader dropped)."""
    properties = set(schemas.schema("gate-input")["properties"])
    read = {
        field
        for path in _rego_modules()
        for line in path.read_text(encoding="utf-8").splitlines()
        for field in re.findall(r"\binput\.([A-Za-z_][A-Za-z0-9_]*)", re.sub(r"#.*", "", line))
    }
    assert read, "no rule reads input: the pattern is wrong"
    assert read - properties == set()
