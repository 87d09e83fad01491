"""Read a `pulumi preview --json` document, refuse anything untrustworthy, normalize it.

This is the only module that knows the raw format (shared/preview-format.md, Pulumi's
pkg/backend/display/json.go). Everything downstream (Rego, Checkov, reports) reads the normalized
document described in docs/gate-input.md. Any doubt about the input raises PreviewFormatError:
the gate exits 2 rather than judge a document it does not understand.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformctl.errors import PreviewFormatError
from platformctl.gate.input.exposure import network_rules

SCHEMA = "uae-ml-platform/gate-input/v1"
HOME_REGION = "me-central-1"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
ASSET_SIGS = {"c44067f5952c0a294b673a41bacd8c17", "0def7320c3a5731c473e5ecbe6d01bc7"}
SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_TEXT = "[secret]"
MAX_BYTES = 1 << 30
# Packages whose custom resources are placed in an AWS region by their provider, and the stack
# config key the engine's default provider of that package reads its region from.
REGION_CONFIG_KEYS = {"aws": "aws:region", "aws-native": "aws-native:region"}
CLUSTER_REGION_CONFIG = "kubernetesClusterRegion"
EKS_CLUSTER_TYPES = frozenset({"aws:eks/cluster:Cluster", "aws-native:eks:Cluster"})
DIAGNOSTIC_SEVERITIES = frozenset({"debug", "info", "info#err", "warning", "error"})
SAFE_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
# Names the engine gives the providers it creates itself (`default`, `default_<version>` with the
# version's dots as underscores, optionally a plugin download URL suffix). Anything else is an
# explicit provider, whatever its name starts with.
DEFAULT_PROVIDER_NAME = re.compile(r"^default(_\d+_\d+_\d+[A-Za-z0-9_]*)?$")

# Ops that pulumi's display package emits (pkg/resource/deploy/step.go StepOp).
KNOWN_OPS = frozenset(
    {
        "same", "create", "update", "delete", "replace", "create-replacement", "delete-replaced",
        "read", "read-replacement", "refresh", "read-discard", "discard-replaced",
        "remove-pending-replace", "import", "import-replacement",
    }
)  # fmt: skip
OPS_WITHOUT_NEW_STATE = frozenset(
    {"delete", "delete-replaced", "read-discard", "discard-replaced", "remove-pending-replace"}
)
_URN = re.compile(r"^urn:pulumi:(?P<stack>[^:]+)::(?P<project>[^:]+)::(?P<qualified>.+?)::(?P<name>.*)$")


@dataclass(frozen=True)
class ParsedUrn:
    stack: str
    project: str
    qualified_type: str
    name: str

    @property
    def type(self) -> str:
        return self.qualified_type.rsplit("$", 1)[-1]


def parse_urn(urn: Any, where: str) -> ParsedUrn:
    if not isinstance(urn, str):
        raise PreviewFormatError(f"{where}: urn must be a string, got {type(urn).__name__}")
    match = _URN.match(urn)
    if not match:
        raise PreviewFormatError(
            f"{where}: {urn[:200]!r} is not a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>)"
        )
    return ParsedUrn(match["stack"], match["project"], match["qualified"], match["name"])


def provider_urn(reference: Any, where: str) -> str | None:
    """`<provider urn>::<provider id>` -> provider urn (the id is often unknown in a preview)."""
    if reference in (None, ""):
        return None
    if not isinstance(reference, str):
        raise PreviewFormatError(f"{where}: provider reference must be a string")
    head, sep, _ = reference.rpartition("::")
    candidate = head if sep and head.count("::") >= 3 else reference
    parsed = parse_urn(candidate, where)
    if not parsed.type.startswith("pulumi:providers:"):
        raise PreviewFormatError(f"{where}: provider reference {reference[:200]!r} does not name a provider")
    return candidate


def clean_value(value: Any) -> Any:
    """Hide secrets, turn resource references into their ids, whole floats into ints."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise PreviewFormatError("non-finite number in inputs")
        return int(value) if value.is_integer() else value
    if isinstance(value, list):
        return [clean_value(v) for v in value]
    if isinstance(value, dict):
        sig = value.get(SPECIAL_SIG_KEY)
        if sig == SECRET_SIG:
            return SECRET_TEXT
        if sig == RESOURCE_SIG:
            ref_id = value.get("id")
            return ref_id if isinstance(ref_id, str) and ref_id else value.get("urn", UNKNOWN)
        if sig in ASSET_SIGS:
            return {"asset": True}
        if sig is not None:
            raise PreviewFormatError(f"unrecognised special value signature {str(sig)[:64]!r}")
        return {str(k): clean_value(v) for k, v in value.items()}
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    raise PreviewFormatError(f"unexpected value of type {type(value).__name__} in inputs")


def load_preview_bytes(data: bytes, source: str) -> dict[str, Any]:
    if not data.strip():
        raise PreviewFormatError(f"{source}: empty input; expected the JSON printed by `pulumi preview --json`")
    if len(data) > MAX_BYTES:
        raise PreviewFormatError(f"{source}: {len(data)} bytes is larger than the gate accepts ({MAX_BYTES})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PreviewFormatError(f"{source}: not UTF-8 text (binary input?)") from None
    try:
        document = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_object_without_duplicates)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise PreviewFormatError(f"{source}: not valid JSON ({str(exc)[:120]}); truncated output?") from None
    if not isinstance(document, dict):
        raise PreviewFormatError(f"{source}: top level is a {type(document).__name__}, not a preview object")
    return document


def _reject_constant(name: str) -> Any:
    raise PreviewFormatError(f"non-standard JSON constant {name}")


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are unique. With `region` given twice a reviewer reading the file
    and a parser keeping the last value see different documents, so the gate refuses it."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise PreviewFormatError(f"duplicate JSON key {key[:80]!r} in one object: an ambiguous document")
            seen.add(key)
    return obj


def load_preview_file(path: str | Path) -> dict[str, Any]:
    """Read a preview document from a file, or from standard input when path is "-"."""
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise PreviewFormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return load_preview_bytes(data, str(path))


def _dict(value: Any, where: str, *, optional: bool = False) -> dict[str, Any]:
    if value is None and optional:
        return {}
    if not isinstance(value, dict):
        raise PreviewFormatError(f"{where} must be an object, got {type(value).__name__}")
    return value


def _str_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PreviewFormatError(f"{where} must be a list of strings")
    return list(value)


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


@dataclass
class _State:
    urn: str
    type: str
    custom: bool
    inputs: dict[str, Any]
    parent: str | None
    provider: str | None
    protect: bool
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]


def _state(raw: Any, where: str, step_urn: str) -> _State:
    state = _dict(raw, where)
    urn = state.get("urn", step_urn)
    if urn != step_urn:
        raise PreviewFormatError(f"{where}.urn {str(urn)[:200]!r} differs from the step's urn")
    type_ = state.get("type")
    parsed = parse_urn(step_urn, where)
    if type_ is None:
        type_ = parsed.type
    if not isinstance(type_, str) or type_ != parsed.type:
        raise PreviewFormatError(f"{where}.type {str(type_)[:100]!r} does not match the urn's type {parsed.type!r}")
    prop_deps_raw = _dict(state.get("propertyDependencies"), f"{where}.propertyDependencies", optional=True)
    prop_deps = {str(k): _str_list(v, f"{where}.propertyDependencies.{k}") for k, v in prop_deps_raw.items()}
    parent = state.get("parent")
    if parent not in (None, ""):
        parse_urn(parent, f"{where}.parent")
    custom = state.get("custom", True)
    protect = state.get("protect", False)
    if not isinstance(custom, bool) or not isinstance(protect, bool):
        raise PreviewFormatError(f"{where}: custom and protect must be booleans")
    return _State(
        urn=step_urn,
        type=type_,
        custom=custom,
        inputs=clean_value(_dict(state.get("inputs"), f"{where}.inputs", optional=True)),
        parent=parent or None,
        provider=provider_urn(state.get("provider"), f"{where}.provider"),
        protect=protect,
        dependencies=_str_list(state.get("dependencies"), f"{where}.dependencies"),
        property_dependencies=prop_deps,
    )


def _package(type_: str) -> str:
    if type_.startswith("pulumi:providers:"):
        return type_.split(":", 2)[2]
    return type_.split(":", 1)[0]


def normalize(document: dict[str, Any], *, source: str = "preview", stack: str | None = None) -> dict[str, Any]:
    """Validate a raw preview document and return the gate's normalized input (docs/gate-input.md)."""
    if "steps" not in document:
        hint = (
            " (this looks like a Terraform plan)"
            if "resource_changes" in document or "planned_values" in document
            else ""
        )
        raise PreviewFormatError(f"{source}: no 'steps' list: not a `pulumi preview --json` document{hint}")
    steps = document["steps"]
    if not isinstance(steps, list):
        raise PreviewFormatError(f"{source}: 'steps' must be a list")
    if not steps:
        raise PreviewFormatError(f"{source}: the preview has no steps; nothing to gate (did the preview run?)")
    config_raw = _dict(document.get("config"), f"{source}: config", optional=True)
    config = {str(k): clean_value(v) for k, v in config_raw.items()}
    _check_diagnostics(document.get("diagnostics"), source)

    stacks: set[str] = set()
    projects: set[str] = set()
    entries: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    providers: dict[str, dict[str, Any]] = {}

    for index, step in enumerate(steps):
        where = f"{source}: steps[{index}]"
        step = _dict(step, where)
        op = step.get("op")
        if not isinstance(op, str):
            raise PreviewFormatError(f"{where}: missing op")
        if op not in KNOWN_OPS:
            raise PreviewFormatError(f"{where}: unrecognised op {op[:40]!r} (known: {', '.join(sorted(KNOWN_OPS))})")
        urn = step.get("urn")
        parsed = parse_urn(urn, where)
        stacks.add(parsed.stack)
        projects.add(parsed.project)
        new_raw, old_raw = step.get("newState"), step.get("oldState")
        if new_raw is None and old_raw is None:
            raise PreviewFormatError(f"{where}: step {op} for {urn[:200]} has neither newState nor oldState")
        if op in OPS_WITHOUT_NEW_STATE and old_raw is None:
            raise PreviewFormatError(f"{where}: a {op} step must carry oldState")
        new = _state(new_raw, f"{where}.newState", urn) if new_raw is not None else None
        old = _state(old_raw, f"{where}.oldState", urn) if old_raw is not None else None
        current = new if new is not None and op not in OPS_WITHOUT_NEW_STATE else old
        assert current is not None
        if step.get("provider") not in (None, ""):
            provider_urn(step.get("provider"), f"{where}.provider")
        diff = {
            "replace_reasons": _str_list(step.get("replaceReasons"), f"{where}.replaceReasons"),
            "diff_reasons": _str_list(step.get("diffReasons"), f"{where}.diffReasons"),
        }
        record = {
            "urn": urn,
            "name": parsed.name,
            "type": current.type,
            "package": _package(current.type),
            "op": op,
            "custom": current.custom,
            "inputs": current.inputs,
            "old_inputs": old.inputs if old is not None else None,
            "parent": current.parent,
            "protect": current.protect,
            "provider": current.provider,
            "dependencies": current.dependencies,
            "property_dependencies": current.property_dependencies,
            **diff,
        }
        if current.type.startswith("pulumi:providers:"):
            _merge_step(providers, urn, record)
        else:
            if urn not in entries:
                order.append(urn)
            _merge_step(entries, urn, record)

    if len(projects) > 1:
        raise PreviewFormatError(f"{source}: steps come from several projects: {', '.join(sorted(projects))}")
    if len(stacks) > 1:
        raise PreviewFormatError(f"{source}: steps come from several stacks: {', '.join(sorted(stacks))}")
    project = projects.pop()
    urn_stack = check_stack_name(stacks.pop(), source)
    if stack is not None and stack.rsplit("/", 1)[-1] != urn_stack:
        raise PreviewFormatError(
            f"{source}: --stack {stack[:80]!r} does not match the preview, whose URNs say stack {urn_stack!r}"
        )
    stack_name = urn_stack
    environment = config.get(f"{project}:environment")
    if not isinstance(environment, str) or not environment:
        environment = stack_name.rsplit("/", 1)[-1]

    provider_docs = _providers(providers, entries, config)
    by_urn = {p["urn"]: p for p in provider_docs}
    resources = [_finish_resource(entries[urn], by_urn) for urn in order]
    _place_kubernetes(provider_docs, providers, resources, config.get(f"{project}:{CLUSTER_REGION_CONFIG}"))
    return {
        "schema": SCHEMA,
        "stack": stack_name,
        "project": project,
        "environment": environment,
        "home_region": HOME_REGION,
        "config": config,
        "providers": provider_docs,
        "resources": resources,
    }


def _check_diagnostics(diagnostics: Any, source: str) -> None:
    """`pulumi preview --json` lists engine diagnostics (display/json.go previewDiagnostic: urn,
    prefix, message, severity one of debug, info, info#err, warning, error). A preview that
    reported an error did not finish, so its steps are no basis for a verdict."""
    if diagnostics is None:
        return
    if not isinstance(diagnostics, list):
        raise PreviewFormatError(f"{source}: 'diagnostics' must be a list, got {type(diagnostics).__name__}")
    for index, diag in enumerate(diagnostics):
        if not isinstance(diag, dict):
            raise PreviewFormatError(f"{source}: diagnostics[{index}] must be an object")
        severity = diag.get("severity", "info")
        if severity not in DIAGNOSTIC_SEVERITIES:
            raise PreviewFormatError(f"{source}: diagnostics[{index}] has unknown severity {str(severity)[:40]!r}")
        prefix = diag.get("prefix", "")
        if severity == "error" or (isinstance(prefix, str) and prefix.strip().lower().startswith("error")):
            message = str(diag.get("message", ""))[:200].strip().replace("\n", " ")
            raise PreviewFormatError(f"{source}: the preview itself reported an error: {message}")


def check_stack_name(name: str, where: str) -> str:
    """A stack name as Pulumi allows it (letters, digits, `-`, `_`, `.`), and never a path: the name
    becomes a report file name under --reports-dir."""
    if not SAFE_STACK_NAME.match(name) or name in (".", ".."):
        raise PreviewFormatError(
            f"{where}: stack name {name[:80]!r} is not a Pulumi stack name (letters, digits, '-', '_', '.')"
        )
    return name


def _merge_step(table: dict[str, dict[str, Any]], urn: str, record: dict[str, Any]) -> None:
    """Fold the steps of one replacement (create-replacement, replace, delete-replaced) together."""
    previous = table.get(urn)
    if previous is None:
        table[urn] = record
        return
    ops = {previous["op"], record["op"]}
    if not ops <= {"replace", "create-replacement", "delete-replaced", "read-replacement", "import-replacement",
                   "discard-replaced", "remove-pending-replace"}:  # fmt: skip
        raise PreviewFormatError(f"two steps ({previous['op']}, {record['op']}) for one urn: {urn[:200]}")
    newer = record if record["op"] != "delete-replaced" else previous
    older = previous if newer is record else record
    merged = dict(newer)
    merged["op"] = "replace"
    merged["old_inputs"] = newer["old_inputs"] if newer["old_inputs"] is not None else older["inputs"]
    merged["replace_reasons"] = sorted(set(previous["replace_reasons"]) | set(record["replace_reasons"]))
    table[urn] = merged


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
