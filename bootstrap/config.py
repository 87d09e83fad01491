"""Typed, validated configuration of the bootstrap stack (bootstrap/Pulumi.<stack>.yaml)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from infra.config import DATA_CLASSIFICATIONS
from policies.facts import HOME_REGION

PROJECT = "uae-ml-bootstrap"
# GitHub environment names the workflows use; `<env>-preview` is derived from each.
_ENVIRONMENT = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
MAX_SESSION_HOURS = 12  # IAM's ceiling for a role's maximum session duration


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


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _string(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BootstrapConfigError(key, "is required and must be a non-empty string")
    return value


def parse_config(stack: str, raw: Mapping[str, Any]) -> BootstrapConfig:
    region = raw.get("aws:region")
    if region != HOME_REGION:
        raise BootstrapConfigError("aws:region", f"must be {HOME_REGION}, got {region!r}")
    disabled = _decode(raw.get("pulumi:disable-default-providers"))
    if disabled != ["*"]:
        raise BootstrapConfigError("pulumi:disable-default-providers", 'must be ["*"] (explicit provider only)')
    ns = f"{PROJECT}:"
    repository = _string(raw, ns + "githubRepository")
    if not _REPOSITORY.match(repository) or repository.count("*"):
        raise BootstrapConfigError(ns + "githubRepository", f"{repository!r} is not owner/name")
    environments = _decode(raw.get(ns + "environments"))
    if not isinstance(environments, list) or not environments:
        raise BootstrapConfigError(ns + "environments", "must be a non-empty list of GitHub environment names")
    for env in environments:
        if not isinstance(env, str) or not _ENVIRONMENT.match(env) or env.endswith("-preview"):
            raise BootstrapConfigError(
                ns + "environments", f"{env!r} is not an environment name (lower-case, no -preview)"
            )
    if len(set(environments)) != len(environments):
        raise BootstrapConfigError(ns + "environments", "lists an environment twice")
    hours = _decode(raw.get(ns + "roleSessionHours", 2))
    if isinstance(hours, str) and hours.isdigit():
        hours = int(hours)
    if isinstance(hours, float) and hours.is_integer():
        hours = int(hours)
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= MAX_SESSION_HOURS:
        raise BootstrapConfigError(
            ns + "roleSessionHours", f"must be a whole number of hours from 1 to {MAX_SESSION_HOURS}"
        )
    classification = _string(raw, ns + "dataClassification")
    if classification not in DATA_CLASSIFICATIONS:
        raise BootstrapConfigError(
            ns + "dataClassification", f"{classification!r} is not one of {DATA_CLASSIFICATIONS}"
        )
    return BootstrapConfig(
        stack=stack,
        environment=_string(raw, ns + "environment"),
        owner=_string(raw, ns + "owner"),
        cost_center=_string(raw, ns + "costCenter"),
        data_classification=classification,
        github_repository=repository,
        environments=tuple(environments),
        role_session_hours=hours,
    )


def load_config() -> BootstrapConfig:
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
                "githubRepository",
                "environments",
                "roleSessionHours",
            ),
        ),
    ):
        cfg = pulumi.Config(namespace)
        for key in keys:
            value = cfg.get(key)
            if value is not None:
                raw[f"{namespace}:{key}"] = value
    return parse_config(pulumi.get_stack(), raw)
