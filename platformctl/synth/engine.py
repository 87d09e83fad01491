"""Run the infra/ program under Pulumi's mocks and write what `pulumi preview --json` prints.

The Pulumi SDK sends every resource to a "monitor" as a RegisterResource request. Under mocks
that monitor is `MockMonitor`; `CapturingMonitor` keeps the whole request (inputs on the wire,
parent, provider, dependencies, property dependencies, protect) and answers like the engine does
in a preview of a new stack: outputs echo the inputs, and everything computed (ids, ARNs) is
unknown. `preview_document` then lays the requests out in the engine's JSON shape (ADR 0001).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import threading
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks

from platformctl.errors import StackError, SynthesisError
from platformctl.synth.stackfile import STACKS_DIR, read_stack_config
from policies.facts import (
    AVAILABILITY_ZONE_IDS,
    AVAILABILITY_ZONES,
    HOME_REGION,
    RESOURCE_SIG,
    SECRET_SIG,
    SPECIAL_SIG_KEY,
    UNKNOWN,
)

PROJECT = "uae-ml-platform"
# AWS's documentation account id: offline synthesis has no caller identity to ask for.
OFFLINE_ACCOUNT_ID = "111122223333"


class OfflineMocks(pulumi_mocks.Mocks):
    """Answers like a preview of a brand-new stack: inputs known, computed outputs unknown."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        # An empty id during a dry run makes the SDK treat the id (and absent outputs) as unknown.
        return "", dict(args.inputs)

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        token = args.token
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            arn = f"arn:aws:iam::{OFFLINE_ACCOUNT_ID}:role/offline-synthesis"
            return {"accountId": OFFLINE_ACCOUNT_ID, "arn": arn, "id": OFFLINE_ACCOUNT_ID, "userId": "OFFLINE"}
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws", "reverseDnsPrefix": "com.amazonaws"}
        if token in ("aws:index/getRegion:getRegion", "aws:index/getRegion:getRegion2"):
            return {
                "name": HOME_REGION,
                "region": HOME_REGION,
                "id": HOME_REGION,
                "endpoint": f"ec2.{HOME_REGION}.amazonaws.com",
            }
        if token == "aws:ecr/getImage:getImage":
            # Like the account id above: offline synthesis has no registry to ask, so the digest of a
            # mirrored image is a stand-in derived from repository and tag (stable, sha256-shaped).
            # A real `pulumi preview` reads the pushed image's digest from ECR in me-central-1.
            ref = f"{args.args.get('repositoryName')}:{args.args.get('imageTag')}"
            digest = "sha256:" + hashlib.sha256(ref.encode()).hexdigest()
            return {**dict(args.args), "imageDigest": digest, "id": ref}
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return {
                "names": list(AVAILABILITY_ZONES),
                "zoneIds": list(AVAILABILITY_ZONE_IDS),
                "id": HOME_REGION,
                "groupNames": [HOME_REGION],
            }
        raise SynthesisError(
            f"the program calls {token!r}, which offline synthesis cannot answer; "
            "answer it in platformctl/synth/engine.py OfflineMocks.call or avoid the lookup"
        )


class CapturingMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that records every RegisterResource request and builds real-format URNs."""

    def __init__(self, mocks: pulumi_mocks.Mocks) -> None:
        super().__init__(mocks)
        self.requests: list[dict[str, Any]] = []
        self._urn_types: dict[str, str] = {}
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine prefixes a child's type with the parent's whole type chain, except below the
        # root stack (MockMonitor keeps only the last link, and keeps the stack).
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != "pulumi:pulumi:Stack":
                qualified = f"{parent_type}${type_}"
        return "urn:pulumi:" + "::".join([pulumi_mocks.get_stack(), pulumi_mocks.get_project(), qualified, name])

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        record = json_format.MessageToDict(request, preserving_proto_field_name=False)
        record["urn"] = self.make_urn(request.parent, request.type, request.name)
        with self._lock:
            self.requests.append(record)
        return super().RegisterResource(request)


def _plain(value: Any) -> Any:
    """Wire values -> preview JSON values: secrets hidden, resource refs as ids, whole floats as ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        sig = value.get(SPECIAL_SIG_KEY)
        if sig == SECRET_SIG:
            return "[secret]"
        if sig == RESOURCE_SIG:
            ref_id = value.get("id")
            return ref_id if ref_id not in (None, "") else value.get("urn", UNKNOWN)
        return {k: _plain(v) for k, v in value.items()}
    return value


def _config_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _topological(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parents, providers and dependencies before dependents; ties by URN, so output is stable.

    The SDK registers resources from a thread pool, so arrival order varies from run to run.
    """
    by_urn = {req["urn"]: req for req in requests}
    needs: dict[str, set[str]] = {}
    for urn, req in by_urn.items():
        provider = (req.get("provider") or "").rpartition("::")[0]
        deps = {req.get("parent", ""), provider, *req.get("dependencies", [])}
        needs[urn] = {d for d in deps if d in by_urn and d != urn}
    dependents: dict[str, list[str]] = {urn: [] for urn in by_urn}
    for urn, deps in needs.items():
        for dep in deps:
            dependents[dep].append(urn)
    ready = [urn for urn, deps in needs.items() if not deps]
    heapq.heapify(ready)
    ordered = []
    while ready:
        urn = heapq.heappop(ready)
        ordered.append(by_urn[urn])
        for child in dependents[urn]:
            needs[child].discard(urn)
            if not needs[child]:
                heapq.heappush(ready, child)
    if len(ordered) != len(by_urn):
        raise SynthesisError("the program's resources depend on each other in a cycle")
    return ordered


def preview_document(requests: list[dict[str, Any]], config: dict[str, Any]) -> dict[str, Any]:
    """Lay recorded registrations out as the JSON that `pulumi preview --json` prints."""
    steps: list[dict[str, Any]] = []
    for req in _topological(requests):
        urn = req["urn"]
        type_ = req["type"]
        custom = bool(req.get("custom", False))
        inputs = _plain(req.get("object", {}))
        if type_.startswith("pulumi:providers:") and req.get("version"):
            inputs.setdefault("version", req["version"])
        state: dict[str, Any] = {
            "urn": urn,
            "custom": custom,
            "type": type_,
            "inputs": inputs,
            "outputs": {},
        }
        if req.get("parent"):
            state["parent"] = req["parent"]
        if req.get("provider"):
            state["provider"] = req["provider"]
        state["protect"] = bool(req.get("protect", False))
        if req.get("retainOnDelete"):
            state["retainOnDelete"] = True
        # Sorted: the SDK resolves dependencies concurrently, so their arrival order varies.
        state["dependencies"] = sorted(set(req.get("dependencies", [])))
        prop_deps = {
            key: sorted(set(deps.get("urns", [])))
            for key, deps in (req.get("propertyDependencies") or {}).items()
            if deps.get("urns")
        }
        state["propertyDependencies"] = prop_deps
        step: dict[str, Any] = {"op": "create", "urn": urn}
        if req.get("provider"):
            step["provider"] = req["provider"]
        step["newState"] = state
        steps.append(step)
    return {
        "config": {key: _config_value(value) for key, value in sorted(config.items())},
        "steps": steps,
        "diagnostics": [],
        "changeSummary": {"create": len(steps)},
    }


def _to_pulumi_config(config: dict[str, Any]) -> dict[str, str]:
    # The engine hands config to programs as strings, structured values JSON-encoded.
    return {key: _config_value(value) for key, value in config.items()}


# Programs this engine synthesizes: name -> (Pulumi project, where its stack files live).
PROGRAMS = {"platform": (PROJECT, STACKS_DIR), "bootstrap": ("uae-ml-bootstrap", STACKS_DIR.parent / "bootstrap")}


def _load_program(program: str) -> tuple[Any, Any, type[Exception]]:
    """parse_config, build and the config error type of one program (imported only when used)."""
    if program == "platform":
        from infra.config import ConfigError, parse_config
        from infra.program import build

        return parse_config, build, ConfigError
    if program == "bootstrap":
        from bootstrap.config import BootstrapConfigError
        from bootstrap.config import parse_config as parse_bootstrap
        from bootstrap.program import build as build_bootstrap

        return parse_bootstrap, build_bootstrap, BootstrapConfigError
    raise StackError(f"unknown program {program!r} (known: {', '.join(PROGRAMS)})")


def synthesize(stack: str, stacks_dir: Path | None = None, program: str = "platform") -> dict[str, Any]:
    """Synthesize one stack's preview document offline. Raises StackError or SynthesisError."""
    from pulumi.runtime import config as pulumi_config
    from pulumi.runtime import settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    parse_config, build, config_error = _load_program(program)
    project, default_stacks_dir = PROGRAMS[program]
    raw = read_stack_config(stack, stacks_dir or default_stacks_dir)
    try:
        cfg = parse_config(stack, raw)
    except config_error as exc:
        raise StackError(f"stack {stack}: {exc}") from None

    mocks = OfflineMocks()
    monitor = CapturingMonitor(mocks)
    pulumi_config.set_all_config(_to_pulumi_config(raw), [])
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh root stack per synthesis
    pulumi_mocks.set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor)

    def program() -> None:
        build(cfg)  # stack outputs are not part of a preview's steps

    try:
        _sync_await(run_pulumi_func(program))
    except (StackError, SynthesisError):
        raise
    except Exception as exc:  # noqa: BLE001 - any program failure is reported, never half-emitted
        cause = exc.__cause__ or exc
        if isinstance(cause, SynthesisError):
            raise cause from None
        raise SynthesisError(f"stack {stack}: the Pulumi program failed: {type(exc).__name__}: {exc}") from exc
    return preview_document(monitor.requests, raw)
