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


DS = "uae-ml-platform:dataServices"
DATA_SERVICE_BAD_CASES = [
    ("prod", ["streaming", "brokerInstanceType"], "kafka.t3.small", "streaming.brokerInstanceType", "dev only"),
    ("dev", ["streaming", "brokerInstanceType"], "kafka.m7x.large", "brokerInstanceType", "not approved"),
    ("dev", ["streaming", "brokerInstanceType"], "m5.large", "brokerInstanceType", "not an instance type"),
    ("dev", ["streaming", "brokersPerZone"], 0, "brokersPerZone", "between 1 and 10"),
    ("dev", ["streaming", "kafkaVersion"], "2.1.0", "kafkaVersion", "not one of"),
    ("prod", ["onlineStore", "nodes"], 1, "onlineStore.nodes", "multi-AZ failover"),
    ("dev", ["onlineStore", "nodeType"], "cache.x9.large", "onlineStore.nodeType", "not approved"),
    ("prod", ["registryDatabase", "multiAz"], False, "registryDatabase.multiAz", "Multi-AZ"),
    ("prod", ["registryDatabase", "backupRetentionDays"], 3, "backupRetentionDays", "at least 7"),
    ("dev", ["registryDatabase", "engineVersion"], "9.6", "engineVersion", "major version"),
    ("dev", ["registryDatabase", "allocatedStorageGib"], 60, "maxAllocatedStorageGib", "allocatedStorageGib"),
    ("dev", ["registryDatabase", "multiAz"], "yes", "multiAz", "true or false"),
    ("dev", ["pipelines", "environmentClass"], "mw1.huge", "environmentClass", "not one of"),
    ("dev", ["pipelines", "minWorkers"], 5, "pipelines.minWorkers", "greater than max"),
    ("dev", ["pipelines", "airflowVersion"], "1.10.12", "airflowVersion", "not one of"),
    ("dev", ["backup", "dailyRetentionDays"], 90, "dailyRetentionDays", "between 1 and 35"),
    ("prod", ["backup", "dailyRetentionDays"], 1, "dailyRetentionDays", "at least 7"),
    ("dev", ["streaming"], "big", "dataServices.streaming", "must be a mapping"),
    ("dev", ["replication"], {"region": "eu-west-1"}, "dataServices", "unknown section"),
]


@pytest.mark.parametrize(("stack", "path", "value", "key", "phrase"), DATA_SERVICE_BAD_CASES)
def test_bad_data_services_config_names_the_key(stack: str, path: list[str], value: Any, key: str, phrase: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(stack, _mutated(stack, [DS, *path], value))
    assert key in str(info.value)
    assert phrase in str(info.value)


def test_data_services_are_required_and_sized_per_environment() -> None:
    raw = read_stack_config("dev")
    del raw[DS]
    with pytest.raises(ConfigError, match="dataServices: is required"):
        parse_config("dev", raw)
    sizes = {stack: parse_config(stack, read_stack_config(stack)).data_services for stack in ("dev", "staging", "prod")}
    assert sizes["dev"].online_store.nodes == 1 and not sizes["dev"].online_store.highly_available
    assert sizes["staging"].online_store.highly_available and sizes["staging"].registry_database.multi_az
    assert sizes["prod"].online_store.nodes == 3 and sizes["prod"].registry_database.multi_az
    assert sizes["prod"].backup.daily_retention_days >= 7
