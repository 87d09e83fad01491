"""feature_store.yaml for the two profiles: `local` (parquet + local Redis) and `aws` (S3 + ElastiCache).

The aws profile is rendered from the stack outputs of the services stack (a JSON object): either the
`feature_store_yaml` text the infra emits, or `offline_store_bucket`, `registry_bucket` and `redis_endpoint`
(optionally `redis_port`, `kafka_bootstrap_brokers`). The ElastiCache auth token is never written: the
file says ${FEAST_REDIS_AUTH_TOKEN}, which Feast expands from the environment (set from Secrets Manager).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from workloads.features.definitions import PROJECT, SourceLocations
from workloads.features.generate import ACTIVITY_FILE, PROFILE_FILE

REPO_ROOT = Path(__file__).resolve().parents[2]
DATAPLANE_ENV = REPO_ROOT / "out" / "dataplane" / "env"
PROFILES = ("local", "aws")


class ProfileError(ValueError):
    """The profile or its stack outputs cannot produce a feature store configuration."""


@dataclass(frozen=True)
class RenderedProfile:
    yaml_text: str
    locations: SourceLocations


def dataplane_env(path: Path = DATAPLANE_ENV) -> dict[str, str]:
    """KEY=VALUE lines that scripts/dataplane.sh writes (ports of the running local servers)."""
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def local_redis_address() -> str:
    """host:port of the local Redis: PLATFORM_REDIS_ADDR, else out/dataplane/env, else 127.0.0.1:6379."""
    if os.environ.get("PLATFORM_REDIS_ADDR"):
        return os.environ["PLATFORM_REDIS_ADDR"]
    env = dataplane_env()
    if "REDIS_PORT" in env:
        return f"127.0.0.1:{env['REDIS_PORT']}"
    return "127.0.0.1:6379"


def local_kafka_bootstrap() -> str:
    if os.environ.get("PLATFORM_KAFKA_BOOTSTRAP"):
        return os.environ["PLATFORM_KAFKA_BOOTSTRAP"]
    env = dataplane_env()
    return f"127.0.0.1:{env['KAFKA_PORT']}" if "KAFKA_PORT" in env else "127.0.0.1:9092"


def render_local(data_dir: Path | None = None, redis_address: str | None = None) -> RenderedProfile:
    # Relative paths resolve against the repo path, so a copied repo directory keeps working.
    prefix = str(Path(data_dir).resolve()) if data_dir else "data"
    config = {
        "project": PROJECT,
        "provider": "local",
        "registry": {"registry_type": "file", "path": "registry.db", "cache_ttl_seconds": 60},
        "offline_store": {"type": "file"},
        "online_store": {"type": "redis", "connection_string": redis_address or local_redis_address()},
        "entity_key_serialization_version": 3,
    }
    locations = SourceLocations(f"{prefix}/{PROFILE_FILE}", f"{prefix}/{ACTIVITY_FILE}", local_kafka_bootstrap())
    return RenderedProfile(yaml.safe_dump(config, sort_keys=False), locations)


def _outputs(stack_outputs: dict[str, Any]) -> dict[str, Any]:
    # `pulumi stack output --json` is flat; accept the feature store's outputs nested under its name too.
    nested = stack_outputs.get("feature_store")
    return {**stack_outputs, **nested} if isinstance(nested, dict) else stack_outputs


def render_aws(stack_outputs: dict[str, Any]) -> RenderedProfile:
    outputs = _outputs(stack_outputs)
    kafka = str(outputs.get("kafka_bootstrap_brokers") or outputs.get("msk_bootstrap_brokers_sasl_iam") or "")
    if outputs.get("feature_store_yaml"):
        config = yaml.safe_load(outputs["feature_store_yaml"])
        bucket = outputs.get("offline_store_bucket") or config.get("offline_store", {}).get("bucket")
        if not bucket:
            raise ProfileError("stack outputs have feature_store_yaml but no offline_store_bucket for the sources")
        base = f"s3://{bucket}/{PROJECT}"
        return RenderedProfile(
            outputs["feature_store_yaml"], SourceLocations(f"{base}/{PROFILE_FILE}", f"{base}/{ACTIVITY_FILE}", kafka)
        )
    missing = [key for key in ("offline_store_bucket", "registry_bucket", "redis_endpoint") if not outputs.get(key)]
    if missing:
        raise ProfileError(
            f"stack outputs lack {', '.join(missing)} (or feature_store_yaml): cannot render the aws profile"
        )
    port = int(outputs.get("redis_port", 6379))
    config = {
        "project": PROJECT,
        "provider": "aws",
        "registry": {"registry_type": "file", "path": f"s3://{outputs['registry_bucket']}/{PROJECT}/registry.db",
                     "cache_ttl_seconds": 60},
        "offline_store": {"type": "file"},
        "online_store": {
            "type": "redis",
            # ElastiCache in-transit encryption and AUTH: TLS on, token from the environment at load time.
            "connection_string": f"{outputs['redis_endpoint']}:{port},ssl=true,password=${{FEAST_REDIS_AUTH_TOKEN}}",
        },
        "entity_key_serialization_version": 3,
    }  # fmt: skip
    base = f"s3://{outputs['offline_store_bucket']}/{PROJECT}"
    locations = SourceLocations(f"{base}/{PROFILE_FILE}", f"{base}/{ACTIVITY_FILE}", kafka)
    return RenderedProfile(yaml.safe_dump(config, sort_keys=False), locations)


def load_stack_outputs(path: Path | None = None) -> dict[str, Any]:
    """Stack outputs JSON from a path or PLATFORM_STACK_OUTPUTS (a file path)."""
    source = path or os.environ.get("PLATFORM_STACK_OUTPUTS")
    if not source:
        raise ProfileError("the aws profile needs stack outputs: pass stack_outputs or set PLATFORM_STACK_OUTPUTS")
    try:
        data = json.loads(Path(source).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ProfileError(f"cannot read stack outputs from {source}: {error}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"stack outputs in {source} are not a JSON object")
    return data


def render(profile: str, *, data_dir: Path | None = None, redis_address: str | None = None,
           stack_outputs: dict[str, Any] | Path | None = None) -> RenderedProfile:  # fmt: skip
    if profile == "local":
        return render_local(data_dir, redis_address)
    if profile == "aws":
        outputs = stack_outputs if isinstance(stack_outputs, dict) else load_stack_outputs(stack_outputs)
        return render_aws(outputs)
    raise ProfileError(f"unknown profile {profile!r}: choose one of {', '.join(PROFILES)}")
