"""docs/controls.md is generated from the policies; it must match what they say now."""

from __future__ import annotations

from pathlib import Path

from platformctl.cli import main
from platformctl.gate.policy.controls import controls_matrix, render_controls_markdown

REPO = Path(__file__).resolve().parents[2]


def test_controls_doc_is_current() -> None:
    expected = render_controls_markdown(controls_matrix())
    assert (REPO / "docs" / "controls.md").read_text() == expected, (
        "run: platformctl controls --output docs/controls.md"
    )


def test_every_control_has_a_tested_rule() -> None:
    matrix = controls_matrix()
    assert {"UAE-PDPL-Art.22-23", "UAE-PDPL-Art.20", "ISO27001:A.8.24", "ISO27001:A.8.20"} <= set(matrix)
    for control, entries in matrix.items():
        assert any(e["tests"] for e in entries), control
    residency = {e["rule"] for e in matrix["UAE-PDPL-Art.22-23"]}
    assert {"UAE-RES-001", "UAE-RES-002", "UAE-RES-003", "CKV_UAE_004"} <= residency


def test_controls_json_maps_rules_to_tests(tmp_path: Path) -> None:
    import json

    out = tmp_path / "controls.json"
    assert main(["controls", "--format", "json", "--output", str(out)]) == 0
    matrix = json.loads(out.read_text())
    rego = [e for entries in matrix.values() for e in entries if e["engine"] == "rego"]
    assert rego and all(any(".test_uae_" in t for t in e["tests"]) for e in rego)
