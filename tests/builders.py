"""Hand-made normalized resources (docs/gate-input.md) for tests of the gate's engines."""

from __future__ import annotations

from typing import Any

STACK = "urn:pulumi:prod::uae-ml-platform::"
PROVIDER = STACK + "pulumi:providers:aws::uae"


def aws_resource(
    type_: str, name: str, inputs: dict[str, Any], *, parent_type: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A created aws resource on the me-central-1 provider; `parent_type` nests it in a component."""
    chain = f"{parent_type}${type_}" if parent_type else type_
    resource = {
        "urn": f"{STACK}{chain}::{name}",
        "name": name,
        "type": type_,
        "package": "aws",
        "op": "create",
        "custom": True,
        "inputs": inputs,
        "old_inputs": None,
        "parent": f"{STACK}{parent_type}::platform" if parent_type else None,
        "protect": False,
        "provider": PROVIDER,
        "region": "me-central-1",
        "region_source": "provider",
        "tags": {"owner": "platform"},
        "dependencies": [],
        "property_dependencies": {},
        "replace_reasons": [],
        "diff_reasons": [],
    }
    resource.update(extra)
    return resource
