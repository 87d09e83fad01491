"""Build large preview documents by replicating a synthesized stack (for the gate benchmarks)."""

from __future__ import annotations

import copy
from typing import Any


def _shared(urn: str) -> bool:
    return "::pulumi:providers:" in urn or "::pulumi:pulumi:Stack::" in urn


def replicate(document: dict[str, Any], target_resources: int) -> dict[str, Any]:
    """Copies of every resource step, renamed `<name>-rN`, until about `target_resources` steps."""
    shared = [s for s in document["steps"] if _shared(s["urn"])]
    own = [s for s in document["steps"] if not _shared(s["urn"])]
    copies = max(1, -(-target_resources // max(1, len(own))))
    steps = list(copy.deepcopy(shared))

    for n in range(copies):

        def rename(urn: str, n: int = n) -> str:
            return urn if _shared(urn) else f"{urn}-r{n}"

        for step in own:
            clone = copy.deepcopy(step)
            clone["urn"] = rename(clone["urn"])
            state = clone["newState"]
            state["urn"] = clone["urn"]
            if state.get("parent"):
                state["parent"] = rename(state["parent"])
            # Provider references `<urn>::<id>`: a provider nested in a component is copied too.
            for holder in (clone, state):
                if holder.get("provider"):
                    ref_urn, _, ref_id = holder["provider"].rpartition("::")
                    holder["provider"] = f"{rename(ref_urn)}::{ref_id}"
            state["dependencies"] = [rename(u) for u in state.get("dependencies", [])]
            state["propertyDependencies"] = {
                k: [rename(u) for u in v] for k, v in state.get("propertyDependencies", {}).items()
            }
            steps.append(clone)
    return {**document, "steps": steps, "changeSummary": {"create": len(steps)}}
