"""Read stacks/Pulumi.<stack>.yaml into the flat ``namespace:key -> value`` map Pulumi uses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from platformctl.errors import StackError

REPO_ROOT = Path(__file__).resolve().parents[2]
STACKS_DIR = REPO_ROOT / "stacks"
_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def available_stacks(stacks_dir: Path = STACKS_DIR) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in stacks_dir.glob("Pulumi.*.yaml"))


def read_stack_config(stack: str, stacks_dir: Path = STACKS_DIR) -> dict[str, Any]:
    if not _STACK_NAME.match(stack):
        raise StackError(f"invalid stack name {stack!r}")
    path = stacks_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = ", ".join(available_stacks(stacks_dir)) or "none"
        raise StackError(f"unknown stack {stack!r}: no {path.name} in {stacks_dir} (known stacks: {known})")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise StackError(f"{path.name} is not valid YAML: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("config"), dict):
        raise StackError(f"{path.name} has no 'config:' mapping")
    config: dict[str, Any] = {}
    for key, value in document["config"].items():
        if not isinstance(key, str) or ":" not in key:
            raise StackError(f"{path.name}: config key {key!r} must be namespaced (e.g. aws:region)")
        if isinstance(value, dict) and "secure" in value:
            raise StackError(f"{path.name}: {key} is a secret; offline synthesis takes no secrets in stack files")
        config[key] = value
    return config
