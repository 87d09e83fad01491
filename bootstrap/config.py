"""Typed, validated configuration of the bootstrap stack (bootstrap/Pulumi.<stack>.yaml)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from infra.config import DATA_CLASSIFICATIONS, decode_value, read_pulumi_config, schema_problem
from policies.facts import HOME_REGION

PROJECT = "uae-ml-bootstrap"
# Structure, GitHub name patterns and the session-hours bound (IAM's ceiling, 12) live in the schema.
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "bootstrap-config.schema.json"
_VALIDATOR = Draft7Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


class BootstrapConfigError(ValueError):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config {key}: {problem}")


@dataclass(frozen=True)
class BootstrapConfig:
    stack: str
    environment: str  # how the gate judges this stack (prod: the strictest)
    owner: str
    cost_center: str
    data_classification: str
    github_repository: str  # owner/name
    environments: tuple[str, ...]
    role_session_hours: int

    @property
    def tags(self) -> dict[str, str]:
        return {
            "environment": self.environment,
            "owner": self.owner,
            "data-classification": self.data_classification,
            "cost-center": self.cost_center,
            "managed-by": "pulumi",
            "project": PROJECT,
        }

    def subject(self, github_environment: str) -> str:
        """The OIDC `sub` claim GitHub issues to a job running in that environment."""
        return f"repo:{self.github_repository}:environment:{github_environment}"


def parse_config(stack: str, raw: Mapping[str, Any]) -> BootstrapConfig:
    """Validate the flat config map: schemas/bootstrap-config.schema.json first, then the shared facts."""
    config = {key: decode_value(value) for key, value in raw.items()}
    problem = schema_problem(_VALIDATOR, config)
    if problem is not None:
        raise BootstrapConfigError(*problem)
    if config["aws:region"] != HOME_REGION:
        raise BootstrapConfigError("aws:region", f"must be {HOME_REGION}, got {config['aws:region']!r}")
    ns = f"{PROJECT}:"
    classification = config[ns + "dataClassification"]
    if classification not in DATA_CLASSIFICATIONS:
        raise BootstrapConfigError(
            ns + "dataClassification", f"{classification!r} is not one of {', '.join(DATA_CLASSIFICATIONS)}"
        )
    return BootstrapConfig(
        stack=stack,
        environment=config[ns + "environment"],
        owner=config[ns + "owner"],
        cost_center=config[ns + "costCenter"],
        data_classification=classification,
        github_repository=config[ns + "githubRepository"],
        environments=tuple(config[ns + "environments"]),
        # The schema admits 2, 2.0 and "2" (Pulumi hands plain scalars over as strings).
        role_session_hours=int(config.get(ns + "roleSessionHours", 2)),
    )


def load_config() -> BootstrapConfig:
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
                "githubRepository",
                "environments",
                "roleSessionHours",
            ),
        ),
    )
    return parse_config(pulumi.get_stack(), raw)
