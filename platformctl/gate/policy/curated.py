"""The curated Checkov list (policies/checkov/curated.yaml): which Checkov checks the gate reports,
with their severity, controls and per-environment enforcement."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from platformctl import schemas
from platformctl.errors import PolicyEngineError

CURATED_FILE = Path(__file__).resolve().parents[3] / "policies" / "checkov" / "curated.yaml"
CURATED_SCHEMA = "uae-ml-platform/checkov-curated/v1"
ENVIRONMENTS = ("dev", "staging", "prod")
ENFORCEMENTS = ("deny", "advise")
SEVERITIES = ("critical", "high", "medium", "low", "info")


class CuratedListError(PolicyEngineError):
    """The curated list is malformed: the gate fails rather than report Checkov without it."""


@dataclass(frozen=True)
class CuratedCheck:
    title: str
    severity: str
    controls: tuple[str, ...]
    enforcement: Mapping[str, str]
    remediation: str


def load_curated(path: Path = CURATED_FILE) -> dict[str, CuratedCheck]:
    """Read and validate the curated list (a malformed list is a CuratedListError, not an empty one)."""
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise CuratedListError(f"cannot read curated Checkov list {path}: {exc}") from exc
    schemas.check("checkov-curated", document, CuratedListError, str(path))
    curated: dict[str, CuratedCheck] = {}
    for check_id, entry in document["checks"].items():
        curated[check_id] = CuratedCheck(
            title=str(entry["title"]),
            severity=str(entry["severity"]),
            controls=tuple(str(c) for c in entry["controls"]),
            enforcement=dict(entry["enforcement"]),
            remediation=str(entry.get("remediation") or ""),
        )
    return curated
