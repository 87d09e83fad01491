"""CrossGuard (Pulumi policy-as-code) front end for the gate's Rego library.

`pulumi preview --policy-pack policies/crossguard` runs this pack inside the Pulumi engine. It does
not carry rules of its own: it rebuilds, from the stack's `PolicyResource`s, the same normalized
input that `platformctl gate` builds from `pulumi preview --json` (docs/gate-input.md), by laying
the resources out as a minimal preview document and calling `platformctl.gate.input.preview.normalize`,
then evaluates `data.gate.findings` from policies/rego with the embedded regorus engine. One
rule set, three ways in: the gate CLI, an OPA server, and the Pulumi engine itself.

What the engine hands a stack policy differs from a preview document in ways that matter:
- `props` are the resources' final outputs (for aws and kubernetes resources a superset of the
  camelCase inputs); values still unknown are sentinels that `pulumi_policy` guards with a proxy
  that raises on access. They are unwrapped here and become the gate's unknown value, so an
  unknown never aborts the policy (which CrossGuard would downgrade to an advisory note).
- There is no step `op`: every resource is judged as desired state (`op: create`).
- Secrets arrive decrypted (stack policies get no secret markers), so Rego messages must not quote
  input values that could be secrets; the gate's rules quote names and types only.
- Stack config reaches a policy pack through PULUMI_CONFIG; keys listed as secret are masked.

Any failure to build the input or evaluate it is reported as a mandatory stack-level violation
(UAE-GATE-ERROR): a broken gate blocks the update, it never lets it through.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

PACK_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACK_DIR.parents[1]
POLICY_ROOT = PACK_DIR.parent / "rego"
if str(REPO_ROOT) not in sys.path:  # the pack runs from its own directory, outside the repo's package path
    sys.path.insert(0, str(REPO_ROOT))

from platformctl.errors import PlatformError  # noqa: E402
from platformctl.gate.engines import rego as rego_engine  # noqa: E402
from platformctl.gate.input.preview import SECRET_TEXT, UNKNOWN, normalize, provider_urn  # noqa: E402

POLICY_NAME = "uae-gate"
GATE_ERROR_RULE = "UAE-GATE-ERROR"
DESCRIPTION = (
    "The UAE sovereign ML platform gate: residency (me-central-1 only), encryption, network, "
    "Kubernetes and operations rules from policies/rego, the same Rego that `platformctl gate` runs."
)
# Every sentinel pulumi_policy uses for a value unknown during preview (module pulumi_policy.proxy).
UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        UNKNOWN,  # string
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)

Violation = tuple[str, str | None]  # (message, urn); urn None = the whole stack
ReportViolation = Callable[..., None]


def _proxy_types() -> tuple[type, ...]:
    try:
        from pulumi_policy.proxy import _DictProxy, _ListProxy
        from pulumi_policy.secret import _DictSecretsProxy, _ListSecretsProxy
    except ImportError:  # the pure path works without pulumi_policy installed
        return ()
    return (_DictProxy, _ListProxy, _DictSecretsProxy, _ListSecretsProxy)


_PROXIES = _proxy_types()


def plain(value: Any) -> Any:
    """JSON-able copy of a property value: proxies unwrapped, unknowns -> the gate's unknown, secrets masked."""
    if _PROXIES and isinstance(value, _PROXIES):
        value = value["__target"]  # the raw value, read without the proxy's unknown check
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(_raw_item(value, k)) for k in value}
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [plain(_raw_item(value, i)) for i in range(len(value))]
    kind = type(value).__name__
    if kind == "Secret":  # pulumi_policy.Secret (only seen by remediations, but never leak it)
        return SECRET_TEXT
    if kind.endswith(("Asset", "Archive")):  # pulumi.FileAsset, AssetArchive, ...
        return {"asset": True}
    return str(value)


def _raw_item(container: Any, key: Any) -> Any:
    if _PROXIES and isinstance(container, _PROXIES):
        return container["__target"][key]
    return container[key]


def _urn_of(ref: Any) -> str | None:
    if ref is None or ref == "":
        return None
    return ref if isinstance(ref, str) else getattr(ref, "urn", None)


def _type_of(resource: Any) -> str:
    type_ = getattr(resource, "resource_type", None) or getattr(resource, "type", None)
    if not isinstance(type_, str) or not type_:
        raise rego_engine.PolicyEngineError(f"resource {getattr(resource, 'urn', '?')} has no type")
    return type_


def _state(urn: str, type_: str, props: Any, *, custom: bool, extra: dict[str, Any]) -> dict[str, Any]:
    inputs = plain(props) if props is not None else {}
    if not isinstance(inputs, dict):
        raise rego_engine.PolicyEngineError(f"{urn}: props are not an object")
    return {"urn": urn, "type": type_, "custom": custom, "inputs": inputs, "outputs": {}, **extra}


def preview_document(resources: Iterable[Any], config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A minimal `pulumi preview --json` document (every resource a `create` step) for `normalize`."""
    steps: list[dict[str, Any]] = []
    providers: dict[str, dict[str, Any]] = {}
    declared_providers: set[str] = set()
    for resource in resources:
        urn = resource.urn
        type_ = _type_of(resource)
        opts = getattr(resource, "opts", None)
        parent = _urn_of(getattr(resource, "parent", None)) or _urn_of(getattr(opts, "parent", None))
        provider = getattr(resource, "provider", None)
        reference = provider_urn(_urn_of(provider), f"{urn}: provider")  # drops a `::<id>` suffix
        if provider is not None and reference and reference not in providers:
            providers[reference] = _state(
                reference, _type_of(provider), getattr(provider, "props", None), custom=True, extra={}
            )
        if type_.startswith("pulumi:providers:"):
            declared_providers.add(urn)
        extra: dict[str, Any] = {
            "protect": bool(getattr(opts, "protect", False)),
            "dependencies": sorted({u for d in getattr(resource, "dependencies", None) or [] if (u := _urn_of(d))}),
            "propertyDependencies": {
                str(key): sorted({u for d in deps or [] if (u := _urn_of(d))})
                for key, deps in (getattr(resource, "property_dependencies", None) or {}).items()
            },
        }
        if parent:
            extra["parent"] = parent
        if reference:
            extra["provider"] = reference
        # A component has no provider; a custom resource always has one (explicit or default).
        custom = type_.startswith("pulumi:providers:") or reference is not None
        step: dict[str, Any] = {
            "op": "create",
            "urn": urn,
            "newState": _state(urn, type_, resource.props, custom=custom, extra=extra),
        }
        if reference:
            step["provider"] = reference
        steps.append(step)
    # Providers known only through a resource's `provider` field still need their region and tags.
    for urn, state in providers.items():
        if urn not in declared_providers:
            steps.append({"op": "same", "urn": urn, "newState": state})
    return {"config": dict(config or {}), "steps": steps, "diagnostics": []}


_ENGINE: rego_engine.RegorusEngine | None = None


def default_engine() -> rego_engine.RegorusEngine:
    """The regorus engine over policies/rego, loaded once per pack process."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = rego_engine.RegorusEngine(POLICY_ROOT)
    return _ENGINE


def violations_for(
    resources: Sequence[Any],
    stack: str | None,
    project: str | None,
    config: Mapping[str, Any] | None,
    *,
    engine: Any = None,
) -> list[tuple[str, str]]:
    """(message, urn) for each gate finding on these resources; messages start with the rule id.

    Pure apart from the engine: no Pulumi engine needed. Raises PlatformError or
    rego_engine.PolicyEngineError when the input cannot be built or evaluated.
    """
    if not resources:
        return []
    document = preview_document(resources, config)
    normalized = normalize(document, source="crossguard", stack=stack)
    if project is not None and normalized["project"] != project:
        raise rego_engine.PolicyEngineError(f"resources belong to project {normalized['project']!r}, not {project!r}")
    findings = (engine or default_engine()).evaluate(normalized)
    return [(f"{f['rule_id']}: {f['message']}", f["urn"]) for f in findings]


def stack_config_from_env() -> dict[str, Any]:
    """The stack's config as the CLI hands it to policy packs (PULUMI_CONFIG), secrets masked."""
    import pulumi.runtime

    config = dict(pulumi.runtime.get_config_env())
    secret_keys = set(pulumi.runtime.get_config_secret_keys_env())
    return {key: (SECRET_TEXT if key in secret_keys else value) for key, value in config.items()}


def validate_stack(args: Any, report_violation: ReportViolation) -> None:
    """StackValidation: report every gate finding; report a failure of the gate itself as a violation."""
    try:
        config = stack_config_from_env()
        for message, urn in violations_for(list(args.resources), None, None, config):
            report_violation(message, urn)
    except (PlatformError, rego_engine.PolicyEngineError, json.JSONDecodeError) as exc:
        report_violation(f"{GATE_ERROR_RULE}: the gate could not evaluate this stack, so it is blocked: {exc}", None)


def uae_gate_policy() -> Any:
    """The pack's single StackValidationPolicy (constructing it starts nothing)."""
    from pulumi_policy import EnforcementLevel, Severity, StackValidationPolicy

    return StackValidationPolicy(
        name=POLICY_NAME,
        description=DESCRIPTION,
        validate=validate_stack,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.CRITICAL,
        remediation_steps="Run `platformctl gate` locally for each finding's title, controls and remediation.",
    )
