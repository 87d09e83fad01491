"""The facts the Pulumi program, the gate and the policies share, defined once.

policies/rego/data/*.json is the definition: Rego reads it as `data.uae_data.<file>`, the Checkov
checks read it by a path relative to their own file (they run in their own venv), and Python code
imports it from here (infra/config.py, bootstrap/config.py, the synth engine, the gate's reader,
the CrossGuard pack). Change a fact in the JSON, never in code.

Pulumi's own sentinels come from the Pulumi SDK, which exports them (pulumi.runtime.rpc). Rego
cannot import the SDK, so policies/rego/data/sentinels.json carries the unknown value for it; importing this
module checks that copy against the SDK, so a Pulumi upgrade that changes the value fails loudly
instead of letting unknowns pass as known strings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pulumi.runtime import rpc

DATA_DIR = Path(__file__).resolve().parent / "rego" / "data"


def _load(name: str) -> dict[str, Any]:
    return json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))


_region = _load("region")
_families = _load("instance_families")
_sentinels = _load("sentinels")

# The only UAE region (me-south-1 is Bahrain), its zones and their zone ids.
HOME_REGION: str = _region["home_region"]
AVAILABILITY_ZONES: tuple[str, ...] = tuple(_region["availability_zones"])
AVAILABILITY_ZONE_IDS: tuple[str, ...] = tuple(_region["availability_zone_ids"])
# EC2 GPU families offered in the home region; every other accelerated family is not.
GPU_FAMILIES: frozenset[str] = frozenset(_families["gpu_families_offered"])
ACCELERATED_FAMILIES: frozenset[str] = frozenset(_families["accelerated_families"])
ACCELERATED_FAMILIES_ELSEWHERE: frozenset[str] = ACCELERATED_FAMILIES - GPU_FAMILIES

# Pulumi's wire format: the value of anything unknown at preview time, and the signatures that mark
# secrets, resource references, assets and archives in a property map under SPECIAL_SIG_KEY.
UNKNOWN: str = rpc.UNKNOWN
SPECIAL_SIG_KEY: str = rpc._special_sig_key
SECRET_SIG: str = rpc._special_secret_sig
RESOURCE_SIG: str = rpc._special_resource_sig
ASSET_SIGS: frozenset[str] = frozenset({rpc._special_asset_sig, rpc._special_archive_sig})
# What `pulumi preview --json` (and the gate's normalized input) shows in place of a secret value.
SECRET_TEXT: str = _sentinels["secret"]

if _sentinels["unknown"] != UNKNOWN:
    raise RuntimeError(
        f"{DATA_DIR / 'sentinels.json'}: unknown is {_sentinels['unknown']!r} but the Pulumi SDK uses {UNKNOWN!r}"
    )
if not GPU_FAMILIES <= ACCELERATED_FAMILIES:
    raise RuntimeError(f"{DATA_DIR / 'instance_families.json'}: offered GPU families must be accelerated families")
if not all(zone.startswith(HOME_REGION) for zone in AVAILABILITY_ZONES) or len(AVAILABILITY_ZONE_IDS) != len(
    AVAILABILITY_ZONES
):
    raise RuntimeError(f"{DATA_DIR / 'region.json'}: zones must be in {HOME_REGION}, one zone id each")
