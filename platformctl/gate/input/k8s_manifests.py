"""Render the Kubernetes resources of the gate's normalized input as manifests for Checkov.

pulumi-kubernetes inputs already are the Kubernetes object (apiVersion, kind, metadata, spec, ...);
only apiVersion/kind may be missing (the SDK derives them from the type token) and the name when
Pulumi auto-names. Values unknown at preview time and secrets (`[secret]` after normalization) are
dropped: a check then sees the field unset, which fails closed for the security fields Checkov reads,
and no check meets a string where the Kubernetes schema has an object (a secret-wrapped
`securityContext` used to crash Checkov's checks). The Rego rules report such values as "cannot be
verified at preview time" (docs/adr/0006-unknown-and-secret-values.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from platformctl.gate.input.preview import SECRET_TEXT
from platformctl.gate.input.tfplan import UNKNOWN

# `kubernetes:<group>/<version>:<Kind>`; the core group is spelled `core` in tokens, absent in apiVersion.
_TYPE_TOKEN = re.compile(
    r"^kubernetes:(?P<group>[A-Za-z0-9.\-]+)/(?P<version>v[0-9][A-Za-z0-9]*):(?P<kind>[A-Z][A-Za-z0-9]*)$"
)
# Pulumi-side constructs whose type token looks like a manifest but is not one.
NOT_MANIFEST_GROUPS = frozenset({"helm.sh", "yaml", "kustomize"})


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes object and the Pulumi resource it came from."""

    urn: str
    manifest: dict[str, Any]


def api_version_and_kind(type_token: str) -> tuple[str, str] | None:
    """`kubernetes:apps/v1:Deployment` -> ("apps/v1", "Deployment"); None if not a manifest type."""
    match = _TYPE_TOKEN.match(type_token)
    if match is None or match["group"] in NOT_MANIFEST_GROUPS:
        return None
    group, version = match["group"], match["version"]
    return (version if group == "core" else f"{group}/{version}"), match["kind"]


_OPAQUE = frozenset({UNKNOWN, SECRET_TEXT})


def _drop_unknown(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_unknown(v) for k, v in value.items() if not (isinstance(v, str) and v in _OPAQUE)}
    if isinstance(value, list):
        return [_drop_unknown(v) for v in value if not (isinstance(v, str) and v in _OPAQUE)]
    return value


def is_manifest_resource(resource: Mapping[str, Any]) -> bool:
    return (
        resource.get("package") == "kubernetes"
        and bool(resource.get("custom", False))
        and resource.get("op") not in {"delete", "delete-replaced", "read", "discard", "discard-replaced"}
        and api_version_and_kind(str(resource.get("type", ""))) is not None
    )


def render(resource: Mapping[str, Any]) -> Manifest:
    """The manifest of one Kubernetes resource of the normalized input."""
    parsed = api_version_and_kind(str(resource.get("type", "")))
    if parsed is None:
        raise ValueError(f"{resource.get('urn')}: {resource.get('type')!r} is not a Kubernetes object type")
    api_version, kind = parsed
    manifest = _drop_unknown(dict(resource.get("inputs") or {}))
    manifest.setdefault("apiVersion", api_version)
    manifest.setdefault("kind", kind)
    metadata = manifest.get("metadata")
    metadata = dict(metadata) if isinstance(metadata, dict) else {}
    metadata.setdefault("name", resource.get("name") or str(resource["urn"]).rsplit("::", 1)[-1])
    manifest["metadata"] = metadata
    return Manifest(urn=str(resource["urn"]), manifest=manifest)


def render_all(normalized: Mapping[str, Any]) -> list[Manifest]:
    """Every Kubernetes object of the input, in input order."""
    return [render(resource) for resource in normalized.get("resources") or [] if is_manifest_resource(resource)]
