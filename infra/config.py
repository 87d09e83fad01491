"""Typed, frozen, validated platform configuration.

The stack files (stacks/Pulumi.<env>.yaml) are parsed into these dataclasses before any resource
is declared, so a wrong region, zone, instance family or size fails with a message naming the key
instead of producing a half-built preview. Structure, types, enums and bounds are checked by
schemas/stack-config.schema.json (JSON Schema draft-07); this module checks the rest.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match

from policies.facts import ACCELERATED_FAMILIES_ELSEWHERE, AVAILABILITY_ZONES, GPU_FAMILIES, HOME_REGION

PROJECT = "uae-ml-platform"
# Read by path, not through platformctl: the program runs on its own (Pulumi, or exported at a commit).
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "stack-config.schema.json"
_SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
_VALIDATOR = Draft7Validator(_SCHEMA)
# The enums are the schema's; these names are what the rest of the code (and bootstrap/) reads.
ENVIRONMENTS: tuple[str, ...] = tuple(_SCHEMA["properties"][f"{PROJECT}:environment"]["enum"])
DATA_CLASSIFICATIONS: tuple[str, ...] = tuple(_SCHEMA["properties"][f"{PROJECT}:dataClassification"]["enum"])
NAT_MODES: tuple[str, ...] = tuple(_SCHEMA["definitions"]["network"]["properties"]["natGateways"]["enum"])
_DEFAULT_PROVIDERS_MESSAGE = _SCHEMA["properties"]["pulumi:disable-default-providers"]["x-message"]
# Region, zones and GPU families are facts the gate shares (policies/rego/data, read by policies.facts):
# a GPU family not offered in the region is refused here, at config time, as well as by the gate.
CPU_FAMILIES = frozenset({"c7i", "m7i", "r7i", "c8g", "m8g", "r8g", "t3"})
# Managed-service instance families taken to be offered in me-central-1 (the conservative, long-lived
# generations; newer ones are added here once `aws <service> describe-orderable-...` confirms them).
MSK_BROKER_FAMILIES = frozenset({"kafka.t3", "kafka.m5"})
CACHE_NODE_FAMILIES = frozenset({"cache.t3", "cache.m5", "cache.r5"})
DB_INSTANCE_FAMILIES = frozenset({"db.t3", "db.m5", "db.r5"})
# Production floors: what "highly available across three zones" and "recoverable" mean in numbers.
PROD_MIN_BACKUP_RETENTION_DAYS = 7
PROD_MIN_CACHE_NODES = 2


class ConfigError(ValueError):
    """A stack configuration value is missing or invalid; the message names the key."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config {key}: {problem}")
        self.key = key


@dataclass(frozen=True)
class NetworkConfig:
    cidr: str
    availability_zones: tuple[str, ...]
    nat_gateways: str  # "single" or "per-az"


@dataclass(frozen=True)
class ClusterConfig:
    kubernetes_version: str
    public_access_cidrs: tuple[str, ...]
    admin_role_arns: tuple[str, ...]

    @property
    def public_endpoint(self) -> bool:
        return bool(self.public_access_cidrs)


@dataclass(frozen=True)
class NodePoolConfig:
    name: str
    instance_types: tuple[str, ...]
    min_size: int
    desired_size: int
    max_size: int
    spot: bool

    @property
    def is_gpu(self) -> bool:
        return any(instance_family(t) in GPU_FAMILIES for t in self.instance_types)


@dataclass(frozen=True)
class StreamingConfig:
    """MSK: brokers are spread evenly over the zones, so the count is brokers_per_zone x zones."""

    kafka_version: str
    broker_instance_type: str
    brokers_per_zone: int
    broker_volume_gib: int


@dataclass(frozen=True)
class OnlineStoreConfig:
    """ElastiCache Redis for the Feast online store (cluster mode disabled: one primary + replicas)."""

    node_type: str
    nodes: int  # primary plus replicas; 2+ gives automatic failover across zones
    snapshot_retention_days: int

    @property
    def highly_available(self) -> bool:
        return self.nodes >= 2


@dataclass(frozen=True)
class RegistryDatabaseConfig:
    """RDS PostgreSQL behind MLflow's tracking and model registry."""

    engine_version: str
    instance_class: str
    allocated_storage_gib: int
    max_allocated_storage_gib: int
    multi_az: bool
    backup_retention_days: int


@dataclass(frozen=True)
class PipelinesConfig:
    """Amazon MWAA (managed Airflow) for the retraining pipeline (docs/adr/0007)."""

    airflow_version: str
    environment_class: str
    min_workers: int
    max_workers: int


@dataclass(frozen=True)
class BackupConfig:
    daily_retention_days: int


@dataclass(frozen=True)
class DataServicesConfig:
    streaming: StreamingConfig
    online_store: OnlineStoreConfig
    registry_database: RegistryDatabaseConfig
    pipelines: PipelinesConfig
    backup: BackupConfig


@dataclass(frozen=True)
class PlatformConfig:
    stack: str
    environment: str
    region: str
    owner: str
    cost_center: str
    data_classification: str
    network: NetworkConfig
    cluster: ClusterConfig
    node_pools: tuple[NodePoolConfig, ...]
    data_services: DataServicesConfig

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def base_tags(self) -> dict[str, str]:
        """The tags every taggable resource carries (applied once, as provider default tags)."""
        return {
            "environment": self.environment,
            "owner": self.owner,
            "data-classification": self.data_classification,
            "cost-center": self.cost_center,
            "managed-by": "pulumi",
            "project": PROJECT,
        }

    def node_pool(self, name: str) -> NodePoolConfig:
        for pool in self.node_pools:
            if pool.name == name:
                return pool
        raise KeyError(name)


NODE_POOLS = ("system", "cpuInference", "gpuTraining")


def instance_family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0]


def decode_value(value: Any) -> Any:
    """Pulumi hands structured config over as JSON strings; the YAML reader gives objects."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "["):
            try:
                return json.loads(stripped)
            except json.JSONDecodeError:
                return value
    return value


# What a JSON type is called in an error a person reads.
_TYPE_WORDS = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "a whole number"}


def _key_path(path: Any) -> str:
    """`uae-ml-platform:network.availabilityZones[1]` for the path [uae-ml-platform:network, availabilityZones, 1]."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _missing_property(error: ValidationError) -> str:
    # jsonschema reports one `required` error per missing name, worded "'<name>' is a required property".
    for name in error.validator_value:
        if error.message == f"{name!r} is a required property":
            return str(name)
    return str(error.message)


def _describe(error: ValidationError) -> tuple[str, str]:
    """(key path, one-line problem) for a schema violation; no large value is echoed."""
    path = list(error.absolute_path)
    key = _key_path(path) or "config"
    schema = error.schema if isinstance(error.schema, dict) else {}
    if "propertyNames" in error.absolute_schema_path:  # an unknown key of the program's namespace
        return str(error.instance), f"is not a known key (known: {', '.join(schema.get('enum', []))})"
    if error.validator == "required":
        return _key_path([*path, _missing_property(error)]), "is required"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = list(schema.get("properties", {}))
        unknown = sorted(str(k) for k in error.instance if k not in known)
        return key, f"unknown key(s) {', '.join(unknown)[:200]} (known: {', '.join(known)})"
    if (error.instance is None or error.instance == "") and path and isinstance(path[-1], str):
        return key, "is required"  # as Pulumi sees it: a key set to nothing is not set
    if "x-message" in schema:
        return key, str(schema["x-message"])
    if error.validator == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        words = " or ".join(_TYPE_WORDS.get(str(t), str(t)) for t in wanted)
        return key, f"must be {words}, got {type(error.instance).__name__}"
    if error.validator == "enum":
        shown = repr(error.instance) if len(repr(error.instance)) <= 60 else "the value"
        return key, f"{shown} is not one of {', '.join(map(str, error.validator_value))}"
    message = error.message.splitlines()[0]
    return key, message if len(message) <= 200 else message[:197] + "..."


def schema_problem(validator: Draft7Validator, config: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first problem (key path, what is wrong) of a decoded flat config map, or None (bootstrap/ uses it too)."""
    if validator.is_valid(config):
        return None
    return _describe(best_match(validator.iter_errors(config)))


def validate_structure(config: Mapping[str, Any]) -> None:
    """Check the decoded flat config map against schemas/stack-config.schema.json; raise for the first problem."""
    problem = schema_problem(_VALIDATOR, config)
    if problem is not None:
        raise ConfigError(*problem)


def _whole(value: Any) -> int:
    # The schema admits 2.0 as an integer (Pulumi's JSON config may give floats); the program wants ints.
    return int(value)


def _flag(value: Any) -> bool:
    return value is True or value == "true"


def _network(net: Mapping[str, Any]) -> NetworkConfig:
    key = f"{PROJECT}:network"
    cidr = net["cidr"]
    try:
        network = ipaddress.ip_network(cidr)
    except ValueError as exc:
        raise ConfigError(f"{key}.cidr", f"{cidr!r} is not a CIDR block ({exc})") from None
    if not network.is_private or network.version != 4 or not 16 <= network.prefixlen <= 20:
        raise ConfigError(f"{key}.cidr", f"{cidr} must be a private IPv4 block between /16 and /20")
    zones = tuple(net["availabilityZones"])
    for zone in zones:
        if zone not in AVAILABILITY_ZONES:
            raise ConfigError(
                f"{key}.availabilityZones",
                f"{zone!r} is not in {HOME_REGION} (allowed: {', '.join(AVAILABILITY_ZONES)})",
            )
    return NetworkConfig(cidr=str(network), availability_zones=zones, nat_gateways=net.get("natGateways", "single"))


def _cluster(cluster: Mapping[str, Any], environment: str) -> ClusterConfig:
    key = f"{PROJECT}:cluster"
    cidrs = tuple(cluster.get("publicAccessCidrs") or ())
    for cidr in cidrs:
        try:
            net = ipaddress.ip_network(cidr)
        except ValueError:
            raise ConfigError(f"{key}.publicAccessCidrs", f"{cidr!r} is not a CIDR block") from None
        if net.prefixlen == 0:
            raise ConfigError(f"{key}.publicAccessCidrs", f"{cidr} opens the API server to the internet")
    if cidrs and environment != "dev":
        raise ConfigError(f"{key}.publicAccessCidrs", f"{environment} must use the private endpoint only")
    return ClusterConfig(
        kubernetes_version=cluster["kubernetesVersion"],
        public_access_cidrs=cidrs,
        admin_role_arns=tuple(cluster.get("adminRoleArns") or ()),
    )


def _node_pool(name: str, pool: Mapping[str, Any]) -> NodePoolConfig:
    """The checks the schema cannot make: families offered in the region, sizes in order, no GPU/CPU mix."""
    key = f"{PROJECT}:nodePools.{name}"
    types = tuple(pool["instanceTypes"])
    for instance_type in types:
        family = instance_family(instance_type)
        if family in ACCELERATED_FAMILIES_ELSEWHERE:
            raise ConfigError(
                f"{key}.instanceTypes",
                f"{instance_type}: family {family} is not offered in {HOME_REGION} "
                f"(GPU families there: {', '.join(sorted(GPU_FAMILIES))})",
            )
        if family not in GPU_FAMILIES | CPU_FAMILIES:
            raise ConfigError(
                f"{key}.instanceTypes", f"{instance_type}: family {family} is not approved for {HOME_REGION}"
            )
    sizes = {field: _whole(pool[field]) for field in ("minSize", "desiredSize", "maxSize")}
    if sizes["minSize"] > sizes["maxSize"]:
        raise ConfigError(f"{key}.minSize", f"min {sizes['minSize']} is greater than max {sizes['maxSize']}")
    if not sizes["minSize"] <= sizes["desiredSize"] <= sizes["maxSize"]:
        raise ConfigError(f"{key}.desiredSize", f"{sizes['desiredSize']} must lie between minSize and maxSize")
    gpu = any(instance_family(t) in GPU_FAMILIES for t in types)
    if gpu and not all(instance_family(t) in GPU_FAMILIES for t in types):
        raise ConfigError(f"{key}.instanceTypes", "mixes GPU and CPU instance types in one pool")
    return NodePoolConfig(
        name=name,
        instance_types=types,
        min_size=sizes["minSize"],
        desired_size=sizes["desiredSize"],
        max_size=sizes["maxSize"],
        spot=_flag(pool.get("spot", False)),
    )


def _family(value: str, key: str, families: frozenset[str]) -> str:
    """`kafka.m5.large` -> checked against `kafka.m5`; the family is everything before the size."""
    family = value.rsplit(".", 1)[0]
    if family not in families:
        raise ConfigError(
            key, f"{value}: family {family} is not approved for {HOME_REGION} ({', '.join(sorted(families))})"
        )
    return value


def _data_services(services: Mapping[str, Any], environment: str) -> DataServicesConfig:
    key = f"{PROJECT}:dataServices"
    prod_like = environment == "prod"

    k, msk = f"{key}.streaming", services["streaming"]
    streaming = StreamingConfig(
        kafka_version=msk["kafkaVersion"],
        broker_instance_type=_family(msk["brokerInstanceType"], f"{k}.brokerInstanceType", MSK_BROKER_FAMILIES),
        brokers_per_zone=_whole(msk["brokersPerZone"]),
        broker_volume_gib=_whole(msk["brokerVolumeGib"]),
    )
    if prod_like and streaming.broker_instance_type.startswith("kafka.t3."):
        raise ConfigError(f"{k}.brokerInstanceType", "burstable kafka.t3 brokers are for dev only")

    k, redis = f"{key}.onlineStore", services["onlineStore"]
    online_store = OnlineStoreConfig(
        node_type=_family(redis["nodeType"], f"{k}.nodeType", CACHE_NODE_FAMILIES),
        nodes=_whole(redis["nodes"]),
        snapshot_retention_days=_whole(redis["snapshotRetentionDays"]),
    )
    if prod_like and online_store.nodes < PROD_MIN_CACHE_NODES:
        raise ConfigError(
            f"{k}.nodes", f"{environment} needs at least {PROD_MIN_CACHE_NODES} nodes (multi-AZ failover)"
        )

    k, db = f"{key}.registryDatabase", services["registryDatabase"]
    registry_database = RegistryDatabaseConfig(
        engine_version=db["engineVersion"],
        instance_class=_family(db["instanceClass"], f"{k}.instanceClass", DB_INSTANCE_FAMILIES),
        allocated_storage_gib=_whole(db["allocatedStorageGib"]),
        max_allocated_storage_gib=_whole(db["maxAllocatedStorageGib"]),
        multi_az=_flag(db.get("multiAz", False)),
        backup_retention_days=_whole(db["backupRetentionDays"]),
    )
    if registry_database.max_allocated_storage_gib < registry_database.allocated_storage_gib:
        raise ConfigError(f"{k}.maxAllocatedStorageGib", "must not be below allocatedStorageGib")
    if prod_like and not registry_database.multi_az:
        raise ConfigError(f"{k}.multiAz", f"{environment} needs a Multi-AZ database")
    if prod_like and registry_database.backup_retention_days < PROD_MIN_BACKUP_RETENTION_DAYS:
        raise ConfigError(
            f"{k}.backupRetentionDays", f"{environment} keeps at least {PROD_MIN_BACKUP_RETENTION_DAYS} days"
        )

    k, mwaa = f"{key}.pipelines", services["pipelines"]
    pipelines = PipelinesConfig(
        airflow_version=mwaa["airflowVersion"],
        environment_class=mwaa["environmentClass"],
        min_workers=_whole(mwaa["minWorkers"]),
        max_workers=_whole(mwaa["maxWorkers"]),
    )
    if pipelines.min_workers > pipelines.max_workers:
        raise ConfigError(f"{k}.minWorkers", f"min {pipelines.min_workers} is greater than max {pipelines.max_workers}")

    k = f"{key}.backup"
    backup = BackupConfig(daily_retention_days=_whole(services["backup"]["dailyRetentionDays"]))
    if prod_like and backup.daily_retention_days < PROD_MIN_BACKUP_RETENTION_DAYS:
        raise ConfigError(
            f"{k}.dailyRetentionDays", f"{environment} keeps at least {PROD_MIN_BACKUP_RETENTION_DAYS} days"
        )
    return DataServicesConfig(
        streaming=streaming,
        online_store=online_store,
        registry_database=registry_database,
        pipelines=pipelines,
        backup=backup,
    )


def parse_config(
    stack: str, raw: Mapping[str, Any], *, require_disabled_default_providers: bool = True
) -> PlatformConfig:
    """Validate a flat Pulumi config map (``namespace:key`` -> value) into a PlatformConfig.

    The schema (schemas/stack-config.schema.json) checks structure, types, enums and bounds first;
    what follows checks what depends on the region's facts or relates two values.

    The engine may not expose ``pulumi:*`` keys to a running program, so the program itself checks
    default-provider disabling only when it can see the key; synthesis and CI read the stack file
    and always check it (the schema refuses a list that does not disable them).
    """
    config = {key: decode_value(value) for key, value in raw.items()}
    validate_structure(config)
    region = config["aws:region"]
    if region != HOME_REGION:
        raise ConfigError("aws:region", f"{region!r} is outside the UAE; only {HOME_REGION} is allowed")
    environment = config[f"{PROJECT}:environment"]
    pools_key = f"{PROJECT}:nodePools"
    pools = tuple(_node_pool(name, config[pools_key][name]) for name in NODE_POOLS)
    if not pools[2].is_gpu:
        raise ConfigError(f"{pools_key}.gpuTraining.instanceTypes", "must be GPU instance types")
    if pools[0].is_gpu or pools[1].is_gpu:
        raise ConfigError(pools_key, "system and cpuInference pools must use CPU instance types")
    if require_disabled_default_providers and "pulumi:disable-default-providers" not in config:
        raise ConfigError("pulumi:disable-default-providers", _DEFAULT_PROVIDERS_MESSAGE)
    return PlatformConfig(
        stack=stack,
        environment=environment,
        region=region,
        owner=config[f"{PROJECT}:owner"],
        cost_center=config[f"{PROJECT}:costCenter"],
        data_classification=config[f"{PROJECT}:dataClassification"],
        network=_network(config[f"{PROJECT}:network"]),
        cluster=_cluster(config[f"{PROJECT}:cluster"], environment),
        node_pools=pools,
        data_services=_data_services(config[f"{PROJECT}:dataServices"], environment),
    )


def read_pulumi_config(*keys: tuple[str, tuple[str, ...]]) -> dict[str, Any]:
    """`namespace:key` -> value for each (namespace, keys) that the running stack sets (bootstrap reads it too)."""
    import pulumi

    raw: dict[str, Any] = {}
    for namespace, names in keys:
        cfg = pulumi.Config(namespace)
        for key in names:
            value = cfg.get(key)
            if value is not None:
                raw[f"{namespace}:{key}"] = value
    return raw


def load_config() -> PlatformConfig:
    """Read the running stack's configuration through the Pulumi SDK and validate it."""
    import pulumi

    raw = read_pulumi_config(
        ("aws", ("region",)),
        ("pulumi", ("disable-default-providers",)),
        (
            PROJECT,
            (
                "environment",
                "owner",
                "costCenter",
                "dataClassification",
                "network",
                "cluster",
                "nodePools",
                "dataServices",
            ),
        ),
    )
    return parse_config(
        pulumi.get_stack(), raw, require_disabled_default_providers="pulumi:disable-default-providers" in raw
    )
