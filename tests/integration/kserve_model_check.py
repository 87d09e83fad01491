"""Validate InferenceService manifests against the kserve SDK's models, strictly.

Runs under the workloads interpreter (.venv-workloads, where kserve lives): reads a JSON list of
manifests on stdin and prints a JSON list of problems. Every object is rebuilt as the SDK's model
class (kserve V1beta1* and kubernetes V1* classes), so required fields and enum values are checked
by the models' own validation; unknown keys, which the SDK's deserializer would silently drop, and
values of the wrong type are problems too.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import kserve
import kubernetes.client

# The generated models spell containers both ways: list[X] / dict(str, X) and List[X] / Dict[str, X].
_LIST = re.compile(r"^(?:list|List)\[(.+)\]$")
_DICT = re.compile(r"^(?:dict\(([^,]+), (.+)\)|Dict\[([^,]+), (.+)\])$")
_PRIMITIVES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "ResourceQuantity": (str, int, float),
    "datetime": (str,),
    "date": (str,),
}


def _model(name: str) -> type:
    for module in (kserve, kserve.models, kubernetes.client):
        cls = getattr(module, name, None)
        if cls is not None:
            return cls
    raise KeyError(f"no SDK model named {name}")


def build(value: Any, typ: str, path: str, problems: list[str]) -> Any:
    """The SDK object for `value` of OpenAPI type `typ`; problems are appended, never raised."""
    if value is None:
        return None
    if typ == "object":
        return value
    if typ in _PRIMITIVES:
        allowed = _PRIMITIVES[typ]
        if not isinstance(value, allowed) or (typ == "int" and isinstance(value, bool)):
            problems.append(f"{path}: expected {typ}, got {type(value).__name__} {value!r}")
        return value
    if match := _LIST.match(typ):
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list")
            return None
        return [build(item, match[1], f"{path}[{i}]", problems) for i, item in enumerate(value)]
    if match := _DICT.match(typ):
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a mapping")
            return None
        item_type = match[2] or match[4]
        return {k: build(v, item_type, f"{path}.{k}", problems) for k, v in value.items()}
    cls = _model(typ)
    if not isinstance(value, dict):
        problems.append(f"{path}: expected a {typ} object, got {type(value).__name__}")
        return None
    by_json_name = {json_name: attr for attr, json_name in cls.attribute_map.items()}
    kwargs = {}
    for key, item in value.items():
        attr = by_json_name.get(key)
        if attr is None:
            problems.append(f"{path}.{key}: not a field of {typ}")
            continue
        kwargs[attr] = build(item, cls.openapi_types[attr], f"{path}.{key}", problems)
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:  # the model's own required/enum validation
        problems.append(f"{path}: {typ}: {exc}")
        return None


def check(manifest: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    name = f"{manifest.get('kind')}/{(manifest.get('metadata') or {}).get('name')}"
    if manifest.get("apiVersion") != "serving.kserve.io/v1beta1" or manifest.get("kind") != "InferenceService":
        return [f"{name}: not a serving.kserve.io/v1beta1 InferenceService"]
    build(manifest, "V1beta1InferenceService", name, problems)
    if not (manifest.get("spec") or {}).get("predictor"):
        problems.append(f"{name}.spec.predictor: required")
    return problems


def main() -> int:
    manifests = json.load(sys.stdin)
    print(json.dumps([problem for manifest in manifests for problem in check(manifest)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
