"""Config validation: every bad case fails before any resource is declared, naming the key."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.config import ConfigError, parse_config
from platformctl.synth.stackfile import read_stack_config


@pytest.fixture(params=["dev", "staging", "prod"])
def raw(request: pytest.FixtureRequest) -> dict[str, Any]:
    return read_stack_config(request.param)


def test_shipped_stacks_are_valid(raw: dict[str, Any]) -> None:
    cfg = parse_config("x", raw)
    assert cfg.region == "me-central-1"
    assert cfg.node_pool("gpuTraining").is_gpu
    assert set(cfg.base_tags) >= {"environment", "owner", "data-classification", "cost-center"}


def _mutated(stack: str, path: list[str], value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(read_stack_config(stack))
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return raw


BAD_CASES = [
    ("dev", ["aws:region"], "me-south-1", "aws:region", "outside the UAE"),
    ("dev", ["aws:region"], "us-east-1", "aws:region", "outside the UAE"),
    (
        "prod",
        ["uae-ml-platform:network", "availabilityZones"],
        ["me-central-1a", "me-south-1a"],
        "availabilityZones",
        "not in me-central-1",
    ),
    (
        "prod",
        ["uae-ml-platform:network", "availabilityZones"],
        ["me-central-1a", "me-central-1d"],
        "availabilityZones",
        "not in me-central-1",
    ),
    (
        "prod",
        ["uae-ml-platform:nodePools", "gpuTraining", "instanceTypes"],
        ["p4d.24xlarge"],
        "gpuTraining.instanceTypes",
        "not offered in me-central-1",
    ),
    (
        "prod",
        ["uae-ml-platform:nodePools", "gpuTraining", "instanceTypes"],
        ["g4dn.xlarge"],
        "gpuTraining.instanceTypes",
        "not offered",
    ),
    (
        "dev",
        ["uae-ml-platform:nodePools", "gpuTraining", "instanceTypes"],
        ["inf2.xlarge"],
        "gpuTraining.instanceTypes",
        "not offered",
    ),
    ("prod", ["uae-ml-platform:nodePools", "system", "minSize"], 9, "system.minSize", "greater than max"),
    ("prod", ["uae-ml-platform:nodePools", "cpuInference", "desiredSize"], 99, "cpuInference.desiredSize", "between"),
    ("prod", ["uae-ml-platform:environment"], "qa", "uae-ml-platform:environment", "not one of"),
    (
        "prod",
        ["uae-ml-platform:cluster", "publicAccessCidrs"],
        ["203.0.113.0/24"],
        "publicAccessCidrs",
        "private endpoint only",
    ),
    ("dev", ["uae-ml-platform:cluster", "publicAccessCidrs"], ["0.0.0.0/0"], "publicAccessCidrs", "internet"),
    ("dev", ["uae-ml-platform:network", "cidr"], "8.8.0.0/16", "network.cidr", "private"),
    ("dev", ["uae-ml-platform:network", "natGateways"], "none", "natGateways", "not one of"),
    (
        "dev",
        ["pulumi:disable-default-providers"],
        [],
        "pulumi:disable-default-providers",
        "disable the default providers",
    ),
    ("dev", ["uae-ml-platform:nodePools", "system", "instanceTypes"], ["g6.xlarge"], "nodePools", "CPU instance types"),
    ("dev", ["uae-ml-platform:nodePools", "system", "maxSize"], "three", "system.maxSize", "whole number"),
    ("dev", ["uae-ml-platform:dataClassification"], "secret-ish", "dataClassification", "not one of"),
]


@pytest.mark.parametrize(("stack", "path", "value", "key", "phrase"), BAD_CASES)
def test_bad_config_names_the_key(stack: str, path: list[str], value: Any, key: str, phrase: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(stack, _mutated(stack, path, value))
    assert key in str(info.value)
    assert phrase in str(info.value)


def test_missing_environment_is_reported() -> None:
    raw = read_stack_config("dev")
    del raw["uae-ml-platform:environment"]
    with pytest.raises(ConfigError, match="uae-ml-platform:environment: is required"):
        parse_config("dev", raw)


def test_unknown_node_pool_is_refused() -> None:
    raw = _mutated("dev", ["uae-ml-platform:nodePools", "gpuInference"], {"instanceTypes": ["g6.xlarge"]})
    with pytest.raises(ConfigError, match="unknown pool"):
        parse_config("dev", raw)


def test_structured_config_arrives_as_json_strings() -> None:
    """The Pulumi engine hands structured config to programs as JSON strings; both forms parse."""
    import json

    raw = {k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in read_stack_config("prod").items()}
    cfg = parse_config("prod", raw)
    assert cfg.network.nat_gateways == "per-az"
    assert cfg.node_pool("gpuTraining").min_size == 0
