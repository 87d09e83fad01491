"""Placement facts added to the read preview: where each resource and provider holds its data.

preview.py reads and checks the document; this module adds, per provider, its region (from its
inputs, the stack config for the engine's default provider, or the EKS cluster a Kubernetes
provider depends on) and, per resource, `region`, `region_source`, effective `tags` (provider
default tags merged with the resource's) and `network` exposure facts (exposure.py). Residency
rules and `platformctl residency` read these facts (docs/gate-input.md, ADR 0017).
"""

from __future__ import annotations

import json
from typing import Any

from platformctl.gate.input.exposure import network_rules
from platformctl.gate.input.preview import (
    CLUSTER_REGION_CONFIG,
    DEFAULT_PROVIDER_NAME,
    EKS_CLUSTER_TYPES,
    REGION_CONFIG_KEYS,
    UNKNOWN,
)


def place(
    provider_steps: dict[str, dict[str, Any]],
    entries: dict[str, dict[str, Any]],
    order: list[str],
    config: dict[str, Any],
    project: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The normalized providers and resources (in step order) with their placement facts."""
    provider_docs = _providers(provider_steps, entries, config)
    by_urn = {p["urn"]: p for p in provider_docs}
    resources = [_finish_resource(entries[urn], by_urn) for urn in order]
    _place_kubernetes(provider_docs, provider_steps, resources, config.get(f"{project}:{CLUSTER_REGION_CONFIG}"))
    return provider_docs, resources


def _parse_tags(value: Any) -> dict[str, Any] | None:
    """A tag map from inputs: an object, or (provider config) a JSON-encoded string."""
    if isinstance(value, str):
        if value == UNKNOWN:
            return None
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else None


def _is_default_provider(urn: str) -> bool:
    return DEFAULT_PROVIDER_NAME.match(urn.rsplit("::", 1)[-1]) is not None


def _providers(
    steps: dict[str, dict[str, Any]], resources: dict[str, dict[str, Any]], config: dict[str, Any]
) -> list[dict[str, Any]]:
    referenced = {r["provider"] for r in resources.values() if r["provider"]}
    out = []
    for urn in sorted(set(steps) | referenced):
        step = steps.get(urn)
        inputs = step["inputs"] if step else {}
        package = urn.split("::")[2].split("$")[-1].split(":", 2)[2]
        default = _is_default_provider(urn)
        region = inputs.get("region") if package in REGION_CONFIG_KEYS else None
        if not isinstance(region, str) or region in (UNKNOWN, ""):
            region = None
        if region is None and package in REGION_CONFIG_KEYS and default and "region" not in inputs:
            # Only the engine's own default provider reads stack config (or the deployer's
            # AWS_REGION, which a preview cannot show: then the region stays unknown).
            configured = config.get(REGION_CONFIG_KEYS[package])
            region = configured if isinstance(configured, str) and configured not in (UNKNOWN, "") else None
        tags = _parse_tags(inputs.get("defaultTags"))
        out.append(
            {
                "urn": urn,
                "name": urn.rsplit("::", 1)[-1],
                "package": package,
                "default": default,
                "op": step["op"] if step else "same",
                "declared": step is not None,
                "region": region,
                "inputs": inputs,
                "default_tags": (tags or {}).get("tags") if isinstance((tags or {}).get("tags"), dict) else {},
                "clusters": [],
            }
        )
    return out


def _place_kubernetes(
    providers: list[dict[str, Any]],
    steps: dict[str, dict[str, Any]],
    resources: list[dict[str, Any]],
    declared_region: Any,
) -> None:
    """Kubernetes objects live where their cluster lives: a kubernetes provider's region is the region
    of the EKS cluster(s) its inputs depend on (kubeconfig built from `aws:eks/cluster:Cluster`
    outputs, directly or through a component such as `eks:index:Cluster`). A provider that depends on
    no cluster the preview shows (a cluster of another stack) takes the stack's reviewed config
    `<project>:kubernetesClusterRegion` when set (region_source "config", like `aws:region` for the
    default AWS provider); otherwise (ambient kubeconfig, clusters in several regions) its region is
    null: unknown, judged outside the home region."""
    declared = declared_region if isinstance(declared_region, str) and declared_region not in (UNKNOWN, "") else None
    by_urn = {r["urn"]: r for r in resources}
    children: dict[str, list[dict[str, Any]]] = {}
    for r in resources:
        if r["parent"]:
            children.setdefault(r["parent"], []).append(r)

    def clusters_under(urn: str, depth: int = 0) -> list[dict[str, Any]]:
        node = by_urn.get(urn)
        if node is None or depth > 4:
            return []
        if node["type"] in EKS_CLUSTER_TYPES:
            return [node]
        if node["custom"]:
            return []
        return [c for child in children.get(urn, []) for c in clusters_under(child["urn"], depth + 1)]

    for provider in providers:
        if provider["package"] != "kubernetes":
            continue
        step = steps.get(provider["urn"])
        if step is None:
            continue
        depends_on = set(step["dependencies"]) | {u for v in step["property_dependencies"].values() for u in v}
        clusters = {c["urn"]: c for u in sorted(depends_on) for c in clusters_under(u)}
        regions = {c["region"] for c in clusters.values()}
        provider["clusters"] = sorted(clusters)
        provider["region"] = regions.pop() if len(regions) == 1 else None
        provider["region_source"] = "cluster" if provider["region"] else "unknown"
        if not clusters and declared:
            provider["region"], provider["region_source"] = declared, "config"
    placed = {p["urn"]: p for p in providers if p["package"] == "kubernetes"}
    for r in resources:
        if r["package"] == "kubernetes" and r["custom"]:
            provider = placed.get(r["provider"] or "")
            region = provider["region"] if provider else None
            r["region"] = region
            r["region_source"] = provider["region_source"] if provider and region else "unknown"


def _finish_resource(record: dict[str, Any], providers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    provider = providers.get(record["provider"]) if record["provider"] else None
    region: str | None = None
    source = "n/a"
    tags: dict[str, Any] | None = None
    if record["package"] in REGION_CONFIG_KEYS and record["custom"]:
        own = record["inputs"].get("region") if record["package"] == "aws" else None
        if own not in (None, ""):
            region, source = (own if isinstance(own, str) else UNKNOWN), "resource"
        elif provider is not None and provider["region"]:
            region = provider["region"]
            source = "config" if provider["default"] and "region" not in provider["inputs"] else "provider"
        else:
            region, source = None, "unknown"
        tags = dict(provider["default_tags"]) if provider else {}
        own_tags = _parse_tags(record["inputs"].get("tags"))
        if own_tags:
            tags.update(own_tags)
    network = network_rules(record["type"], record["inputs"]) if record["custom"] else None
    return {**record, "region": region, "region_source": source, "tags": tags, "network": network}
