"""What several report formats share: a finding's status label and the id of unchecked resources."""

from __future__ import annotations

from platformctl.gate.findings import Finding

# Resources no engine judges appear in every format under this id (never as a pass, never blocking).
UNCHECKED_RULE_ID = "UAE-GATE-UNCHECKED"
UNCHECKED_TITLE = "Resource not checked by any policy engine"


def status_label(f: Finding) -> str:
    if f.waived:
        return "waived"
    return "DENY" if f.enforced else "advise"
