"""Config validation: every bad case fails before any resource is declared, naming the key."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from jsonschema import Draft7Validator

from infra.config import SCHEMA_PATH, ConfigError, parse_config
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
    with pytest.raises(ConfigError, match=r"nodePools: unknown key\(s\) gpuInference \(known: system, cpuInference"):
        parse_config("dev", raw)


def test_structured_config_arrives_as_json_strings() -> None:
    """The Pulumi engine hands structured config to programs as JSON strings; both forms parse."""
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
    ("dev", ["replication"], {"region": "eu-west-1"}, "dataServices", "unknown key(s) replication"),
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


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_each_shipped_stack_file_validates_against_the_schema(stack: str) -> None:
    errors = list(Draft7Validator(json.loads(SCHEMA_PATH.read_text())).iter_errors(read_stack_config(stack)))
    assert [error.message for error in errors] == []


# Every section whose full key set the program knows: a typo there is refused, naming the key and the
# section, instead of being ignored (and the default silently used).
UNKNOWN_KEY_CASES = [
    (["uae-ml-platform:network"], "natGateway", "uae-ml-platform:network"),
    (["uae-ml-platform:cluster"], "publicAccessCidr", "uae-ml-platform:cluster"),
    (["uae-ml-platform:nodePools"], "gpuInference", "uae-ml-platform:nodePools"),
    (["uae-ml-platform:nodePools", "system"], "spotInstances", "uae-ml-platform:nodePools.system"),
    (["uae-ml-platform:nodePools", "gpuTraining"], "maxsize", "uae-ml-platform:nodePools.gpuTraining"),
    ([DS], "replication", DS),
    ([DS, "streaming"], "brokersPerAz", f"{DS}.streaming"),
    ([DS, "onlineStore"], "replicas", f"{DS}.onlineStore"),
    ([DS, "registryDatabase"], "multiAZ", f"{DS}.registryDatabase"),
    ([DS, "pipelines"], "workers", f"{DS}.pipelines"),
    ([DS, "backup"], "monthlyRetentionDays", f"{DS}.backup"),
]


@pytest.mark.parametrize(("path", "unknown", "section"), UNKNOWN_KEY_CASES)
def test_an_unknown_key_in_each_section_is_refused_naming_it(path: list[str], unknown: str, section: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("prod", _mutated("prod", [*path, unknown], 1))
    assert str(info.value).startswith(f"config {section}: unknown key(s) {unknown} (known: ")


def test_an_unknown_platform_key_is_refused_but_other_namespaces_stay_open() -> None:
    raw = read_stack_config("dev")
    with pytest.raises(ConfigError, match=r"^config uae-ml-platform:nodepools: is not a known key \(known: "):
        parse_config("dev", {**raw, "uae-ml-platform:nodepools": {}})
    # aws:profile, kubernetes:... are Pulumi's and its providers' own keys, not the program's.
    assert parse_config("dev", {**raw, "aws:profile": "uae", "kubernetes:context": "x"}).environment == "dev"


WRONG_TYPE_CASES = [
    ([DS, "registryDatabase", "allocatedStorageGib"], "lots", f"{DS}.registryDatabase.allocatedStorageGib", "whole"),
    ([DS, "pipelines", "maxWorkers"], 2.5, f"{DS}.pipelines.maxWorkers", "whole number between 1 and 25"),
    ([DS, "onlineStore", "nodeType"], ["cache.r5.large"], f"{DS}.onlineStore.nodeType", "not an instance type"),
    (["uae-ml-platform:network", "availabilityZones", 1], 7, "uae-ml-platform:network.availabilityZones[1]", "zone"),
    (
        ["uae-ml-platform:nodePools", "cpuInference", "instanceTypes", 0],
        "c7i",
        "cpuInference.instanceTypes[0]",
        "family.size",
    ),
    (["uae-ml-platform:nodePools", "gpuTraining", "spot"], "maybe", "gpuTraining.spot", "true or false"),
    (["uae-ml-platform:cluster", "adminRoleArns", 0], "arn:aws:iam::1:user/x", "adminRoleArns[0]", "IAM role ARN"),
    (["uae-ml-platform:cluster", "kubernetesVersion"], 1.33, "kubernetesVersion", '"1.33"'),
    (["uae-ml-platform:cluster"], ["1.33"], "uae-ml-platform:cluster", "must be a mapping, got list"),
    (["uae-ml-platform:owner"], 42, "uae-ml-platform:owner", "non-empty string"),
    (["uae-ml-platform:cluster", "publicAccessCidrs"], [""], "publicAccessCidrs[0]", "non-empty string"),
]


@pytest.mark.parametrize(("path", "value", "key", "phrase"), WRONG_TYPE_CASES)
def test_a_wrong_type_deep_inside_names_its_path(path: list[Any], value: Any, key: str, phrase: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("prod", _mutated("prod", path, value))
    assert f"{key}: " in str(info.value)
    assert phrase in str(info.value)


def test_a_missing_key_deep_inside_names_its_path() -> None:
    raw = read_stack_config("prod")
    del raw["uae-ml-platform:network"]["cidr"]
    with pytest.raises(ConfigError, match=r"^config uae-ml-platform:network\.cidr: is required$"):
        parse_config("prod", raw)
    raw = read_stack_config("prod")
    raw["uae-ml-platform:owner"] = ""
    with pytest.raises(ConfigError, match=r"^config uae-ml-platform:owner: is required$"):
        parse_config("prod", raw)


def test_whole_numbers_may_arrive_as_floats_from_pulumi_json() -> None:
    raw = _mutated("prod", ["uae-ml-platform:nodePools", "system", "maxSize"], 6.0)
    pool = parse_config("prod", {k: (json.dumps(v) if isinstance(v, dict) else v) for k, v in raw.items()}).node_pool(
        "system"
    )
    assert pool.max_size == 6 and isinstance(pool.max_size, int)


def test_the_gates_cluster_region_key_is_accepted_in_the_programs_namespace() -> None:
    # `<project>:kubernetesClusterRegion` is read by the gate (ADR 0017), not by the program.
    raw = {**read_stack_config("dev"), "uae-ml-platform:kubernetesClusterRegion": "me-central-1"}
    assert parse_config("dev", raw).environment == "dev"


def test_load_config_reads_the_running_stack_through_the_pulumi_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    """`pulumi up` path: the keys the program reads come from pulumi.Config (structured values as JSON
    strings, as the engine hands them over) and parse into the same config as the stack file."""
    import contextvars

    import pulumi
    import pulumi.runtime.config as runtime_config

    from infra.config import load_config, read_pulumi_config

    raw = read_stack_config("dev")
    engine_config = {key: value if isinstance(value, str) else json.dumps(value) for key, value in raw.items()}
    monkeypatch.setattr(pulumi, "get_stack", lambda: "dev")

    def in_a_stack() -> tuple[Any, dict[str, Any]]:
        runtime_config.CONFIG.set(engine_config)  # this context only: other tests keep theirs
        return load_config(), read_pulumi_config(("aws", ("region", "profile")))

    loaded, aws = contextvars.copy_context().run(in_a_stack)
    assert loaded == parse_config("dev", raw, require_disabled_default_providers=True)
    assert aws == {"aws:region": "me-central-1"}
