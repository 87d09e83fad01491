"""Render a GateResult: one writer module per format (text, JSON, SARIF 2.1.0, JUnit XML, Markdown)."""

from __future__ import annotations

from collections.abc import Callable

from platformctl.gate.findings import GateResult
from platformctl.gate.report.json import render_json
from platformctl.gate.report.junit import render_junit
from platformctl.gate.report.markdown import render_markdown
from platformctl.gate.report.sarif import render_sarif
from platformctl.gate.report.text import render_text

RENDERERS: dict[str, Callable[[GateResult], str]] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "junit": render_junit,
    "markdown": render_markdown,
}

__all__ = ["RENDERERS", "render_json", "render_junit", "render_markdown", "render_sarif", "render_text"]
