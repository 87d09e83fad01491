"""The JSON report: GateResult.as_dict() (verdict, findings, summary, unchecked, warnings)."""

from __future__ import annotations

import json

from platformctl.gate.findings import GateResult


def render_json(result: GateResult) -> str:
    return json.dumps(result.as_dict(), indent=2, sort_keys=False) + "\n"
