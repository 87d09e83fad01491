"""The gate's result model: findings, verdict, summary (what every report renders).

`Finding` is the one finding type from engine to report: the Rego runner and the Checkov engine
both produce it, waivers mark it, every report writer renders it (schemas/finding.schema.json).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

SEVERITIES = ("critical", "high", "medium", "low", "info")
# A finding of these severities denies unless waived; lower ones advise. Checkov findings carry
# their own per-environment enforcement from policies/checkov/curated.yaml.
ENFORCED_SEVERITIES = frozenset({"critical", "high", "medium"})


@dataclass
class Finding:
    rule_id: str
    engine: str  # "rego" or "checkov"
    severity: str
    urn: str
    type: str
    message: str
    remediation: str
    controls: list[str]
    title: str
    enforced: bool
    stack: str
    source: str = ""  # the preview file the finding came from (set by the runner)
    line: int = 1  # where the resource's step starts in that file (for SARIF locations)
    waived: bool = False
    waiver: dict[str, Any] | None = None
    note: str | None = None  # e.g. "waiver expired on 2026-01-01"

    @property
    def blocking(self) -> bool:
        return self.enforced and not self.waived

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("line")
        return data


@dataclass(frozen=True)
class Unchecked:
    """A resource that no engine judges: reported in every format, neither an error nor a pass."""

    urn: str
    type: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class StackResult:
    stack: str
    source: str
    environment: str
    resources: int
    checkov_scanned: int
    checkov_unmapped: list[str]
    findings: list[Finding] = field(default_factory=list)
    unchecked: list[Unchecked] = field(default_factory=list)
    # The normalized input the engines judged (docs/gate-input.md): what `residency` reads regions from.
    document: dict[str, Any] | None = field(default=None, repr=False, compare=False)


@dataclass
class GateResult:
    stacks: list[StackResult]
    rules: dict[str, dict[str, Any]]  # rule id -> title, severity, controls, remediation, engine
    warnings: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.stacks for f in s.findings]

    @property
    def unchecked(self) -> list[Unchecked]:
        return [u for s in self.stacks for u in s.unchecked]

    @property
    def verdict(self) -> str:
        return "deny" if any(f.blocking for f in self.findings) else "allow"

    @property
    def stack_name(self) -> str:
        return ",".join(dict.fromkeys(s.stack for s in self.stacks))

    def summary(self) -> dict[str, Any]:
        findings = self.findings
        return {
            "previews": len(self.stacks),
            "resources": sum(s.resources for s in self.stacks),
            "findings": len(findings),
            "blocking": sum(f.blocking for f in findings),
            "waived": sum(f.waived for f in findings),
            "advisory": sum(not f.enforced for f in findings),
            "by_engine": dict(Counter(f.engine for f in findings)),
            "by_severity": dict(Counter(f.severity for f in findings)),
            "checkov_scanned": sum(s.checkov_scanned for s in self.stacks),
            "checkov_unmapped_types": sorted({t for s in self.stacks for t in s.checkov_unmapped}),
            "unchecked": len(self.unchecked),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "stack": self.stack_name,
            "findings": [f.as_dict() for f in self.findings],
            "summary": self.summary(),
            "unchecked": [{"stack": s.stack, **u.as_dict()} for s in self.stacks for u in s.unchecked],
            "warnings": list(self.warnings),
        }
