"""One definition of the GPU families (policies/rego/data/instance_families.json), three readers.

Stack config (infra/config.py), the Rego rule UAE-RES-012 and the Checkov check CKV_UAE_001 must
accept and refuse the same families: every accelerated family, plus CPU families, each on its own
node group, through the real Rego engine and one real Checkov worker run.
"""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import CPU_FAMILIES, ConfigError, _node_pool
from platformctl.gate.engines.checkov import build_request, call_worker
from platformctl.gate.engines.rego import make_engine
from platformctl.gate.input.preview import normalize
from policies.facts import ACCELERATED_FAMILIES, GPU_FAMILIES, HOME_REGION, UNKNOWN

STACK = "urn:pulumi:prod::uae-ml-platform::"
PROVIDER = STACK + "pulumi:providers:aws::uae"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
FAMILIES = sorted(ACCELERATED_FAMILIES | CPU_FAMILIES)


def _urn(family: str) -> str:
    return f"{STACK}{NODE_GROUP}::pool-{family}"


def _step(family: str) -> dict[str, Any]:
    inputs = {
        "clusterName": "ml",
        "instanceTypes": [f"{family}.xlarge"],
        "scalingConfig": {"desiredSize": 1, "maxSize": 2, "minSize": 0},
    }
    state = {"type": NODE_GROUP, "custom": True, "provider": f"{PROVIDER}::{UNKNOWN}", "inputs": inputs}
    return {"op": "create", "urn": _urn(family), "newState": state}


@pytest.fixture(scope="module")
def normalized() -> dict[str, Any]:
    provider = {"type": "pulumi:providers:aws", "custom": True, "inputs": {"region": HOME_REGION}}
    steps = [{"op": "create", "urn": PROVIDER, "newState": provider}, *map(_step, FAMILIES)]
    return normalize({"config": {"aws:region": HOME_REGION, "uae-ml-platform:environment": "prod"}, "steps": steps})


@pytest.fixture(scope="module")
def rego_refused(normalized: dict[str, Any]) -> set[str]:
    findings = make_engine("regorus").evaluate(normalized)
    return {f["urn"] for f in findings if f["rule_id"] == "UAE-RES-012"}


@pytest.fixture(scope="module")
def checkov_refused(normalized: dict[str, Any]) -> set[str]:
    request, plan, _ = build_request(normalized)
    answer = call_worker(request)
    return {
        plan.address_to_urn.get(entity["id"], entity["id"])
        for entity in answer["entities"]
        if "CKV_UAE_001" in entity["FAILED"]
    }


def _config_refuses(family: str) -> bool:
    pool = {"instanceTypes": [f"{family}.xlarge"], "minSize": 0, "desiredSize": 1, "maxSize": 2}
    try:
        _node_pool("gpuTraining", pool)
    except ConfigError:
        return True
    return False


@pytest.mark.parametrize("family", FAMILIES)
def test_config_rego_and_checkov_agree(family: str, rego_refused: set[str], checkov_refused: set[str]) -> None:
    refused = family in ACCELERATED_FAMILIES and family not in GPU_FAMILIES
    assert (_urn(family) in rego_refused) is refused
    assert (_urn(family) in checkov_refused) is refused
    assert _config_refuses(family) is refused
