"""Typed, frozen, validated platform configuration.

The stack files (stacks/Pulumi.<env>.yaml) are parsed into these dataclasses before any resource
is declared, so a wrong region, zone, instance family or size fails with a message naming the key
instead of producing a half-built preview.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policies.facts import ACCELERATED_FAMILIES_ELSEWHERE, AVAILABILITY_ZONES, GPU_FAMILIES, HOME_REGION

PROJECT = "uae-ml-platform"
ENVIRONMENTS = ("dev", "staging", "prod")
# Region, zones and GPU families are facts the gate shares (policies/rego/data, read by policies.facts):
# a GPU family not offered in the region is refused here, at config time, as well as by the gate.
CPU_FAMILIES = frozenset({"c7i", "m7i", "r7i", "c8g", "m8g", "r8g", "t3"})
DATA_CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")
NAT_MODES = ("single", "per-az")
# Managed-service instance families taken to be offered in me-central-1 (the conservative, long-lived
# generations; newer ones are added here once `aws <service> describe-orderable-...` confirms them).
MSK_BROKER_FAMILIES = frozenset({"kafka.t3", "kafka.m5"})
MSK_KAFKA_VERSIONS = frozenset({"3.6.0", "3.7.x", "3.8.x"})
CACHE_NODE_FAMILIES = frozenset({"cache.t3", "cache.m5", "cache.r5"})
DB_INSTANCE_FAMILIES = frozenset({"db.t3", "db.m5", "db.r5"})
MWAA_ENVIRONMENT_CLASSES = ("mw1.small", "mw1.medium", "mw1.large")
MWAA_AIRFLOW_VERSIONS = frozenset({"2.9.2", "2.10.1", "2.10.3"})
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


def _decode(value: Any) -> Any:
    """Pulumi hands structured config over as JSON strings; the YAML reader gives objects."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "["):
            try:
                return json.loads(stripped)
            except json.JSONDecodeError:
                return value
    return value


def _require(raw: Mapping[str, Any], key: str) -> Any:
    if key not in raw or raw[key] in (None, ""):
        raise ConfigError(key, "is required")
    return _decode(raw[key])


def _string(raw: Mapping[str, Any], key: str, allowed: tuple[str, ...] | None = None) -> str:
    value = _require(raw, key)
    if not isinstance(value, str):
        raise ConfigError(key, f"must be a string, got {type(value).__name__}")
    if allowed is not None and value not in allowed:
        raise ConfigError(key, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(key, f"must be a mapping, got {type(value).__name__}")
    return value


def _string_list(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(key, "must be a list of non-empty strings")
    return tuple(value)


def _int(value: Any, key: str) -> int:
    # YAML gives ints, Pulumi's JSON config may give floats such as 2.0.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise ConfigError(key, f"must be a whole number, got {value!r}")
    if value < 0:
        raise ConfigError(key, f"must not be negative, got {value!r}")
    return int(value)


def _bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ConfigError(key, f"must be true or false, got {value!r}")


def _network(raw: Mapping[str, Any]) -> NetworkConfig:
    key = f"{PROJECT}:network"
    net = _mapping(_require(raw, key), key)
    cidr = net.get("cidr")
    try:
        network = ipaddress.ip_network(str(cidr))
    except ValueError as exc:
        raise ConfigError(f"{key}.cidr", f"{cidr!r} is not a CIDR block ({exc})") from None
    if not network.is_private or network.version != 4 or not 16 <= network.prefixlen <= 20:
        raise ConfigError(f"{key}.cidr", f"{cidr} must be a private IPv4 block between /16 and /20")
    zones = _string_list(net.get("availabilityZones"), f"{key}.availabilityZones")
    if len(zones) < 2:
        raise ConfigError(f"{key}.availabilityZones", "needs at least two zones for a highly available cluster")
    for zone in zones:
        if zone not in AVAILABILITY_ZONES:
            raise ConfigError(
                f"{key}.availabilityZones",
                f"{zone!r} is not in {HOME_REGION} (allowed: {', '.join(AVAILABILITY_ZONES)})",
            )
    if len(set(zones)) != len(zones):
        raise ConfigError(f"{key}.availabilityZones", "lists a zone twice")
    nat = net.get("natGateways", "single")
    if nat not in NAT_MODES:
        raise ConfigError(f"{key}.natGateways", f"{nat!r} is not one of {', '.join(NAT_MODES)}")
    return NetworkConfig(cidr=str(network), availability_zones=zones, nat_gateways=nat)


def _cluster(raw: Mapping[str, Any], environment: str) -> ClusterConfig:
    key = f"{PROJECT}:cluster"
    cluster = _mapping(_require(raw, key), key)
    version = str(cluster.get("kubernetesVersion", ""))
    parts = version.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ConfigError(f"{key}.kubernetesVersion", f"{version!r} must look like 1.33")
    cidrs = _string_list(cluster.get("publicAccessCidrs"), f"{key}.publicAccessCidrs")
    for cidr in cidrs:
        try:
            net = ipaddress.ip_network(cidr)
        except ValueError:
            raise ConfigError(f"{key}.publicAccessCidrs", f"{cidr!r} is not a CIDR block") from None
        if net.prefixlen == 0:
            raise ConfigError(f"{key}.publicAccessCidrs", f"{cidr} opens the API server to the internet")
    if cidrs and environment != "dev":
        raise ConfigError(f"{key}.publicAccessCidrs", f"{environment} must use the private endpoint only")
    admins = _string_list(cluster.get("adminRoleArns"), f"{key}.adminRoleArns")
    for arn in admins:
        if not arn.startswith("arn:aws:iam::") or ":role/" not in arn:
            raise ConfigError(f"{key}.adminRoleArns", f"{arn!r} is not an IAM role ARN")
    return ClusterConfig(kubernetes_version=version, public_access_cidrs=cidrs, admin_role_arns=admins)


def _node_pool(name: str, value: Any) -> NodePoolConfig:
    key = f"{PROJECT}:nodePools.{name}"
    pool = _mapping(value, key)
    types = _string_list(pool.get("instanceTypes"), f"{key}.instanceTypes")
    if not types:
        raise ConfigError(f"{key}.instanceTypes", "needs at least one instance type")
    for instance_type in types:
        family = instance_family(instance_type)
        if "." not in instance_type:
            raise ConfigError(f"{key}.instanceTypes", f"{instance_type!r} is not an instance type")
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
    sizes = {field: _int(pool.get(field), f"{key}.{field}") for field in ("minSize", "desiredSize", "maxSize")}
    if sizes["minSize"] > sizes["maxSize"]:
        raise ConfigError(f"{key}.minSize", f"min {sizes['minSize']} is greater than max {sizes['maxSize']}")
    if not sizes["minSize"] <= sizes["desiredSize"] <= sizes["maxSize"]:
        raise ConfigError(f"{key}.desiredSize", f"{sizes['desiredSize']} must lie between minSize and maxSize")
    if sizes["maxSize"] == 0:
        raise ConfigError(f"{key}.maxSize", "must be at least 1")
    gpu = any(instance_family(t) in GPU_FAMILIES for t in types)
    if gpu and not all(instance_family(t) in GPU_FAMILIES for t in types):
        raise ConfigError(f"{key}.instanceTypes", "mixes GPU and CPU instance types in one pool")
    return NodePoolConfig(
        name=name,
        instance_types=types,
        min_size=sizes["minSize"],
        desired_size=sizes["desiredSize"],
        max_size=sizes["maxSize"],
        spot=_bool(pool.get("spot", False), f"{key}.spot"),
    )


def _family(value: Any, key: str, families: frozenset[str]) -> str:
    """`kafka.m5.large` -> checked against `kafka.m5`; the family is everything before the size."""
    if not isinstance(value, str) or value.count(".") != 2:
        raise ConfigError(key, f"{value!r} is not an instance type such as {sorted(families)[0]}.large")
    family = value.rsplit(".", 1)[0]
    if family not in families:
        raise ConfigError(
            key, f"{value}: family {family} is not approved for {HOME_REGION} ({', '.join(sorted(families))})"
        )
    return value


def _choice(value: Any, key: str, allowed: frozenset[str] | tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(key, f"{value!r} is not one of {', '.join(sorted(allowed))}")
    return str(value)


def _bounded(value: Any, key: str, low: int, high: int) -> int:
    number = _int(value, key)
    if not low <= number <= high:
        raise ConfigError(key, f"{number} must lie between {low} and {high}")
    return number


def _data_services(raw: Mapping[str, Any], environment: str) -> DataServicesConfig:
    key = f"{PROJECT}:dataServices"
    services = _mapping(_require(raw, key), key)
    prod_like = environment == "prod"

    def section(name: str) -> tuple[str, Mapping[str, Any]]:
        return f"{key}.{name}", _mapping(services.get(name), f"{key}.{name}")

    k, msk = section("streaming")
    streaming = StreamingConfig(
        kafka_version=_choice(str(msk.get("kafkaVersion")), f"{k}.kafkaVersion", MSK_KAFKA_VERSIONS),
        broker_instance_type=_family(msk.get("brokerInstanceType"), f"{k}.brokerInstanceType", MSK_BROKER_FAMILIES),
        brokers_per_zone=_bounded(msk.get("brokersPerZone"), f"{k}.brokersPerZone", 1, 10),
        broker_volume_gib=_bounded(msk.get("brokerVolumeGib"), f"{k}.brokerVolumeGib", 1, 16384),
    )
    if prod_like and streaming.broker_instance_type.startswith("kafka.t3."):
        raise ConfigError(f"{k}.brokerInstanceType", "burstable kafka.t3 brokers are for dev only")

    k, redis = section("onlineStore")
    online_store = OnlineStoreConfig(
        node_type=_family(redis.get("nodeType"), f"{k}.nodeType", CACHE_NODE_FAMILIES),
        nodes=_bounded(redis.get("nodes"), f"{k}.nodes", 1, 6),
        snapshot_retention_days=_bounded(redis.get("snapshotRetentionDays"), f"{k}.snapshotRetentionDays", 0, 35),
    )
    if prod_like and online_store.nodes < PROD_MIN_CACHE_NODES:
        raise ConfigError(
            f"{k}.nodes", f"{environment} needs at least {PROD_MIN_CACHE_NODES} nodes (multi-AZ failover)"
        )

    k, db = section("registryDatabase")
    version = str(db.get("engineVersion", ""))
    if not version.isdigit() or not 14 <= int(version) <= 17:
        raise ConfigError(f"{k}.engineVersion", f"{version!r} must be a PostgreSQL major version between 14 and 17")
    registry_database = RegistryDatabaseConfig(
        engine_version=version,
        instance_class=_family(db.get("instanceClass"), f"{k}.instanceClass", DB_INSTANCE_FAMILIES),
        allocated_storage_gib=_bounded(db.get("allocatedStorageGib"), f"{k}.allocatedStorageGib", 20, 65536),
        max_allocated_storage_gib=_bounded(db.get("maxAllocatedStorageGib"), f"{k}.maxAllocatedStorageGib", 20, 65536),
        multi_az=_bool(db.get("multiAz", False), f"{k}.multiAz"),
        backup_retention_days=_bounded(db.get("backupRetentionDays"), f"{k}.backupRetentionDays", 1, 35),
    )
    if registry_database.max_allocated_storage_gib < registry_database.allocated_storage_gib:
        raise ConfigError(f"{k}.maxAllocatedStorageGib", "must not be below allocatedStorageGib")
    if prod_like and not registry_database.multi_az:
        raise ConfigError(f"{k}.multiAz", f"{environment} needs a Multi-AZ database")
    if prod_like and registry_database.backup_retention_days < PROD_MIN_BACKUP_RETENTION_DAYS:
        raise ConfigError(
            f"{k}.backupRetentionDays", f"{environment} keeps at least {PROD_MIN_BACKUP_RETENTION_DAYS} days"
        )

    k, mwaa = section("pipelines")
    pipelines = PipelinesConfig(
        airflow_version=_choice(str(mwaa.get("airflowVersion")), f"{k}.airflowVersion", MWAA_AIRFLOW_VERSIONS),
        environment_class=_choice(mwaa.get("environmentClass"), f"{k}.environmentClass", MWAA_ENVIRONMENT_CLASSES),
        min_workers=_bounded(mwaa.get("minWorkers"), f"{k}.minWorkers", 1, 25),
        max_workers=_bounded(mwaa.get("maxWorkers"), f"{k}.maxWorkers", 1, 25),
    )
    if pipelines.min_workers > pipelines.max_workers:
        raise ConfigError(f"{k}.minWorkers", f"min {pipelines.min_workers} is greater than max {pipelines.max_workers}")

    k, backup_raw = section("backup")
    backup = BackupConfig(
        daily_retention_days=_bounded(backup_raw.get("dailyRetentionDays"), f"{k}.dailyRetentionDays", 1, 35)
    )
    if prod_like and backup.daily_retention_days < PROD_MIN_BACKUP_RETENTION_DAYS:
        raise ConfigError(
            f"{k}.dailyRetentionDays", f"{environment} keeps at least {PROD_MIN_BACKUP_RETENTION_DAYS} days"
        )

    unknown = sorted(set(services) - {"streaming", "onlineStore", "registryDatabase", "pipelines", "backup"})
    if unknown:
        raise ConfigError(key, f"unknown section(s) {', '.join(unknown)}")
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

    The engine may not expose ``pulumi:*`` keys to a running program, so the program itself checks
    default-provider disabling only when it can see the key; synthesis and CI read the stack file
    and always check it.
    """
    region = _string(raw, "aws:region")
    if region != HOME_REGION:
        raise ConfigError("aws:region", f"{region!r} is outside the UAE; only {HOME_REGION} is allowed")
    environment = _string(raw, f"{PROJECT}:environment", ENVIRONMENTS)
    pools_key = f"{PROJECT}:nodePools"
    pools_raw = _mapping(_require(raw, pools_key), pools_key)
    unknown = sorted(set(pools_raw) - set(NODE_POOLS))
    if unknown:
        raise ConfigError(pools_key, f"unknown pool(s) {', '.join(unknown)}; known: {', '.join(NODE_POOLS)}")
    missing = [name for name in NODE_POOLS if name not in pools_raw]
    if missing:
        raise ConfigError(pools_key, f"missing pool(s) {', '.join(missing)}")
    pools = tuple(_node_pool(name, pools_raw[name]) for name in NODE_POOLS)
    if not pools[2].is_gpu:
        raise ConfigError(f"{pools_key}.gpuTraining.instanceTypes", "must be GPU instance types")
    if pools[0].is_gpu or pools[1].is_gpu:
        raise ConfigError(pools_key, "system and cpuInference pools must use CPU instance types")
    disabled = _decode(raw.get("pulumi:disable-default-providers"))
    defaults_disabled = isinstance(disabled, list) and bool({"*", "aws"} & set(map(str, disabled)))
    if require_disabled_default_providers and not defaults_disabled:
        raise ConfigError(
            "pulumi:disable-default-providers",
            'must disable the default providers (["*"]) so a forgotten provider fails instead of using another region',
        )
    return PlatformConfig(
        stack=stack,
        environment=environment,
        region=region,
        owner=_string(raw, f"{PROJECT}:owner"),
        cost_center=_string(raw, f"{PROJECT}:costCenter"),
        data_classification=_string(raw, f"{PROJECT}:dataClassification", DATA_CLASSIFICATIONS),
        network=_network(raw),
        cluster=_cluster(raw, environment),
        node_pools=pools,
        data_services=_data_services(raw, environment),
    )


def load_config() -> PlatformConfig:
    """Read the running stack's configuration through the Pulumi SDK and validate it."""
    import pulumi

    raw: dict[str, Any] = {}
    for namespace, keys in (
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
    ):
        cfg = pulumi.Config(namespace)
        for key in keys:
            value = cfg.get(key)
            if value is not None:
                raw[f"{namespace}:{key}"] = value
    return parse_config(
        pulumi.get_stack(), raw, require_disabled_default_providers="pulumi:disable-default-providers" in raw
    )
