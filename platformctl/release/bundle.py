"""Release bundles: everything promotable for one stack, pinned in stacks/release.<stack>.yaml.

A bundle pins the infra commit, the workload image digests, the registered model versions, the
Helm chart versions and the feature-repo version. Promotion copies these pins from one stack to
the next as a unit; everything environment-specific stays in stacks/Pulumi.<stack>.yaml.

The bundle digest covers only the promotable pins (not the stack name), so the same release has
the same digest in dev, staging and prod: that is what verdicts and provenance records refer to.

The Pulumi program and the workloads read the pins through `load_bundle` (docs/promoting-a-release.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from platformctl.errors import StackError

API_VERSION = "uae-ml-platform/v1"
KIND = "ReleaseBundle"
# The images built from workloads/<name>/ (one folder per image); a bundle pins every one of them.
IMAGE_NAMES = ("training", "serving", "streaming", "features", "monitoring")
REQUIRED_MODELS = ("credit-risk",)
# An image that has never been built is pinned to this digest; reading it is an error, not a pull.
UNBUILT_DIGEST = "sha256:" + "0" * 64
STACKS_DIR_ENV = "PLATFORM_STACKS_DIR"
PROMOTABLE_KEYS = ("infra", "images", "models", "charts", "featureRepo")

_NAME = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$"}
_SEMVER = r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"
_COMMIT = r"^[0-9a-f]{40}$"

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Release bundle (stacks/release.<stack>.yaml)",
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "stack", *PROMOTABLE_KEYS],
    "properties": {
        "apiVersion": {"const": API_VERSION},
        "kind": {"const": KIND},
        "stack": {"type": "string", "pattern": r"^[A-Za-z0-9_.-]{1,100}$"},
        "infra": {
            "type": "object",
            "additionalProperties": False,
            "required": ["commit"],
            "properties": {"commit": {"type": "string", "pattern": _COMMIT, "description": "full git commit"}},
        },
        "images": {
            "type": "object",
            "required": list(IMAGE_NAMES),
            "propertyNames": _NAME,
            "additionalProperties": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
        },
        "models": {
            "type": "object",
            "required": list(REQUIRED_MODELS),
            "propertyNames": _NAME,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["version"],
                "properties": {"version": {"type": "integer", "minimum": 1}},
            },
        },
        "charts": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": _NAME,
            "additionalProperties": {"type": "string", "pattern": _SEMVER},
        },
        "featureRepo": {
            "type": "object",
            "additionalProperties": False,
            "required": ["version"],
            "properties": {"version": {"type": "string", "pattern": f"({_SEMVER})|({_COMMIT})"}},
        },
    },
}

HEADER = """\
# Release bundle for stack {stack}: the pins promoted together (platformctl promote, docs/promoting-a-release.md).
# Environment-specific settings live in Pulumi.{stack}.yaml; nothing here differs between stacks
# except the stack name. Edit pins by pull request; promotion rewrites this file whole.
# An image digest of all zeros means "not built yet": reading that pin is an error, never a pull.
"""


class BundleError(StackError):
    """A release bundle is missing, malformed or asked for a pin it does not hold."""


def canonical_json(value: Any) -> bytes:
    """One byte string per value: sorted keys, no whitespace; what every digest here hashes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class ReleaseBundle:
    stack: str
    infra_commit: str
    images: Mapping[str, str]
    models: Mapping[str, int]
    charts: Mapping[str, str]
    feature_repo_version: str

    @classmethod
    def from_document(cls, document: Any, where: str) -> ReleaseBundle:
        validate_document(document, where)
        return cls(
            stack=document["stack"],
            infra_commit=document["infra"]["commit"],
            images=MappingProxyType(dict(sorted(document["images"].items()))),
            models=MappingProxyType({k: v["version"] for k, v in sorted(document["models"].items())}),
            charts=MappingProxyType(dict(sorted(document["charts"].items()))),
            feature_repo_version=document["featureRepo"]["version"],
        )

    def promotable(self) -> dict[str, Any]:
        """The pins that move together; their digest names the release."""
        return {
            "infra": {"commit": self.infra_commit},
            "images": dict(self.images),
            "models": {name: {"version": version} for name, version in self.models.items()},
            "charts": dict(self.charts),
            "featureRepo": {"version": self.feature_repo_version},
        }

    @property
    def digest(self) -> str:
        return sha256_digest(canonical_json({"apiVersion": API_VERSION, **self.promotable()}))

    def document(self) -> dict[str, Any]:
        return {"apiVersion": API_VERSION, "kind": KIND, "stack": self.stack, **self.promotable()}

    def render(self) -> str:
        body = yaml.safe_dump(self.document(), sort_keys=False, default_flow_style=False)
        return HEADER.format(stack=self.stack) + body

    def for_stack(self, stack: str) -> ReleaseBundle:
        """The same pins, addressed to another stack (what promotion writes)."""
        return ReleaseBundle(stack, self.infra_commit, self.images, self.models, self.charts, self.feature_repo_version)

    def with_infra_commit(self, commit: str) -> ReleaseBundle:
        document = self.document()
        document["infra"] = {"commit": commit}
        return ReleaseBundle.from_document(document, f"release bundle of {self.stack}")

    # --- the API the program and the workloads read pins through ---------------------------------

    def image_digest(self, image: str) -> str:
        digest = self._pin(self.images, image, "image")
        if digest == UNBUILT_DIGEST:
            raise BundleError(
                f"release bundle of {self.stack}: image {image!r} has not been built yet (digest {UNBUILT_DIGEST[:15]}...)"
            )
        return digest

    def image_ref(self, image: str, repository: str) -> str:
        """`<repository>@sha256:...`: pulled by digest, so a moved tag can never change what runs."""
        if "@" in repository or not repository:
            raise BundleError(f"repository {repository!r} must be a bare repository (no tag, no digest)")
        return f"{repository}@{self.image_digest(image)}"

    def model_version(self, model: str) -> int:
        return self._pin(self.models, model, "model")

    def chart_version(self, chart: str) -> str:
        return self._pin(self.charts, chart, "chart")

    def _pin(self, table: Mapping[str, Any], name: str, what: str) -> Any:
        if name not in table:
            known = ", ".join(table) or "none"
            raise BundleError(f"release bundle of {self.stack} pins no {what} {name!r} (pinned: {known})")
        return table[name]


def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(SCHEMA)


def validate_document(document: Any, where: str) -> None:
    """Raise BundleError naming the first problem's location, e.g. `images.serving: ...`."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(document))
    if error is not None:
        location = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise BundleError(f"{where}: {location}: {error.message}")


def stacks_dir_default() -> Path:
    """stacks/ of this checkout, or $PLATFORM_STACKS_DIR (images and CI point it elsewhere)."""
    override = os.environ.get(STACKS_DIR_ENV)
    if override:
        return Path(override)
    from platformctl.synth.stackfile import STACKS_DIR

    return STACKS_DIR


def bundle_path(stack: str, stacks_dir: Path | None = None) -> Path:
    if not re.match(r"^[A-Za-z0-9_.-]{1,100}$", stack):
        raise BundleError(f"invalid stack name {stack!r}")
    return (stacks_dir or stacks_dir_default()) / f"release.{stack}.yaml"


def load_bundle_file(path: Path | str) -> ReleaseBundle:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BundleError(f"no release bundle at {path}") from None
    except OSError as exc:
        raise BundleError(f"cannot read {path}: {exc.strerror}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BundleError(f"{path.name} is not valid YAML: {str(exc).splitlines()[0]}") from None
    return ReleaseBundle.from_document(document, path.name)


def load_bundle(stack: str, stacks_dir: Path | None = None) -> ReleaseBundle:
    """The release bundle of `stack`; its `stack:` field must name that stack."""
    path = bundle_path(stack, stacks_dir)
    if not path.is_file():
        raise BundleError(f"stack {stack!r} has no release bundle: {path.name} is missing in {path.parent}")
    bundle = load_bundle_file(path)
    if bundle.stack != stack:
        raise BundleError(f"{path.name} says stack {bundle.stack!r}, not {stack!r}")
    return bundle


def diff_bundles(old: ReleaseBundle | None, new: ReleaseBundle) -> list[str]:
    """One line per changed pin, `path: old -> new`; empty when the pins are the same."""
    before = _flatten(old.promotable()) if old else {}
    after = _flatten(new.promotable())
    lines = []
    for key in sorted(before.keys() | after.keys()):
        a, b = before.get(key), after.get(key)
        if a != b:
            lines.append(f"{key}: {'(none)' if a is None else a} -> {'(none)' if b is None else b}")
    return lines


def _flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, Mapping):
            flat.update(_flatten(item, path + "."))
        else:
            flat[path] = item
    return flat
