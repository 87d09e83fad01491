"""Pulumi CrossGuard policy pack: the gate's Rego library enforced inside `pulumi preview` / `pulumi up`.

    source .venv/bin/activate   # pulumi-policy, regorus and this repo's platformctl on the path
    pulumi preview --stack dev --policy-pack policies/crossguard

The logic lives in uae_pack.py (testable without the Pulumi engine); this file only starts the
pack's gRPC server, which is what constructing a PolicyPack does.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402
from uae_pack import uae_gate_policy  # noqa: E402

from policies.facts import HOME_REGION  # noqa: E402  (uae_pack puts the repo on the path)

PolicyPack(
    name="uae-ml-platform-gate",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[uae_gate_policy()],
    description="UAE sovereign ML platform: the policies/rego gate, enforced by the Pulumi engine.",
    tags=["uae", "residency", HOME_REGION],
)
