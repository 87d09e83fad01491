"""The rule catalogue: what each Rego rule is, read from its package's `# METADATA` annotation.

Each rule file under policies/rego/uae opens with one package-scoped OPA annotation block, placed
before `package` so that it covers every `deny` of the file (the idiom of trivy-checks and Regal):

    # METADATA
    # title: ...
    # description: ...
    # scope: package
    # custom:
    #   id: UAE-ENC-001
    #   severity: high
    #   controls: ["UAE-PDPL-Art.20", "ISO27001:A.8.24"]
    #   remediation: ...
    package uae.enc.s3_encryption

Tests follow one naming convention, enforced here: `test_<rule id lowercased, - -> _>_allows_*`
for a passing fixture (no finding) and `..._denies_*` for a failing fixture (a finding).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from platformctl.gate.engines.rego import POLICY_ROOT, discover_tests

SEVERITIES = ("critical", "high", "medium", "low")

# Control identifiers (UAE PDPL, ICT Health Law, NESA/UAE IA, ADHICS, ISO 27001:2022), one spelling
# each; docs/controls.md maps each to its rules and tests.
ALLOWED_CONTROLS = frozenset(
    {
        "UAE-PDPL-Art.20",  # security of processing
        "UAE-PDPL-Art.21",  # impact assessment
        "UAE-PDPL-Art.22-23",  # cross-border transfer
        "UAE-ICT-Health-Law",  # Federal Law 2/2019: health data stays in the UAE
        "UAE-IAS",  # TDRA/NESA UAE Information Assurance Standard
        "ISO27001:A.5.15",  # access control
        "ISO27001:A.5.23",  # cloud services
        "ISO27001:A.8.2",  # privileged access
        "ISO27001:A.8.9",  # configuration management
        "ISO27001:A.8.13",  # backup
        "ISO27001:A.8.15",  # logging
        "ISO27001:A.8.16",  # monitoring
        "ISO27001:A.8.20",  # network security
        "ISO27001:A.8.22",  # network segregation
        "ISO27001:A.8.24",  # cryptography
        "ISO27001:A.8.32",  # change management
    }
)

RULE_ID_RE = re.compile(r"^UAE-(RES|ENC|NET|IAM|K8S|OPS)-\d{3}$")
_RULE_ID_LITERAL_RE = re.compile(r'"(UAE-[A-Z0-9]+-\d{3})"')
_PACKAGE_RE = re.compile(r"^package\s+([A-Za-z0-9_.]+)\s*$", re.MULTILINE)
_REQUIRED_CUSTOM = ("id", "severity", "controls", "remediation")


class CatalogueError(ValueError):
    """The policy annotations or test names break the catalogue's rules; the message says which."""


@dataclass(frozen=True)
class Rule:
    rule_id: str
    title: str
    description: str
    severity: str
    controls: list[str]
    remediation: str
    package: str
    path: str


@dataclass(frozen=True)
class RuleTests:
    allows: list[str] = field(default_factory=list)  # passing fixtures: no finding expected
    denies: list[str] = field(default_factory=list)  # failing fixtures: a finding expected


def _metadata_blocks(text: str) -> Iterable[tuple[int, str, str]]:
    """(line number, YAML text, the line the block annotates) of each `# METADATA` comment block."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.strip() != "# METADATA":
            continue
        body: list[str] = []
        annotated = ""
        for follower in lines[index + 1 :]:
            if not follower.startswith("#"):
                annotated = follower
                break
            body.append(follower[2:] if follower.startswith("# ") else follower[1:])
        yield index + 1, "\n".join(body), annotated


def _text(value: Any, what: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: `{what}` is missing or empty")
    return value.strip()


def _rule(annotation: Any, package: str, where: str) -> Rule:
    if not isinstance(annotation, dict):
        raise CatalogueError(f"{where}: METADATA is not a YAML mapping")
    custom = annotation.get("custom")
    if not isinstance(custom, dict):
        raise CatalogueError(f"{where}: METADATA has no `custom` mapping with {', '.join(_REQUIRED_CUSTOM)}")
    rule_id = _text(custom.get("id"), "custom.id", where)
    if not RULE_ID_RE.match(rule_id):
        raise CatalogueError(f"{where}: rule id {rule_id!r} is not UAE-<RES|ENC|NET|IAM|K8S|OPS>-NNN")
    severity = _text(custom.get("severity"), "custom.severity", where)
    if severity not in SEVERITIES:
        raise CatalogueError(f"{where}: severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    controls = custom.get("controls")
    if not isinstance(controls, list) or not controls:
        raise CatalogueError(f"{where}: `custom.controls` must be a non-empty list")
    unknown = [c for c in controls if c not in ALLOWED_CONTROLS]
    if unknown:
        raise CatalogueError(f"{where}: unknown control ids {unknown}; allowed: {sorted(ALLOWED_CONTROLS)}")
    return Rule(
        rule_id=rule_id,
        title=_text(annotation.get("title"), "title", where),
        description=_text(annotation.get("description"), "description", where),
        severity=severity,
        controls=[str(c) for c in controls],
        remediation=_text(custom.get("remediation"), "custom.remediation", where),
        package=package,
        path=where.split(":", 1)[0],
    )


def _rule_files(root: Path) -> list[Path]:
    return [p for p in sorted((root / "uae").rglob("*.rego")) if not p.name.endswith("_test.rego")]


def _package_annotation(text: str, relative: str) -> tuple[str, Any, str]:
    """(package name, parsed annotation, where) of the file's one package-scoped METADATA block."""
    package = _PACKAGE_RE.search(text)
    if package is None:
        raise CatalogueError(f"{relative}: no package declaration")
    blocks = list(_metadata_blocks(text))
    if not blocks:
        raise CatalogueError(f"{relative}: rule package has no METADATA annotation")
    if len(blocks) > 1:
        lines = ", ".join(str(line) for line, _, _ in blocks)
        raise CatalogueError(f"{relative}: one METADATA block per rule file (found {len(blocks)}, lines {lines})")
    line, block, annotated = blocks[0]
    where = f"{relative}:{line}"
    if not annotated.startswith("package "):
        raise CatalogueError(
            f"{where}: METADATA must come right before `package` (with `scope: package`) to cover every deny"
        )
    try:
        annotation = yaml.safe_load(block)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{where}: METADATA is not valid YAML: {exc}") from exc
    if isinstance(annotation, dict) and annotation.get("scope") != "package":
        raise CatalogueError(f"{where}: METADATA before `package` needs `scope: package`")
    return package.group(1), annotation, where


def load_catalogue(root: Path = POLICY_ROOT) -> dict[str, Rule]:
    """Every annotated rule by id; raises CatalogueError on any missing, invalid or duplicate entry."""
    rules: dict[str, Rule] = {}
    for path in _rule_files(root):
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(root).as_posix()
        package, annotation, where = _package_annotation(text, relative)
        rule = _rule(annotation, package, where)
        if rule.rule_id in rules:
            raise CatalogueError(f"{where}: rule id {rule.rule_id} is also declared in {rules[rule.rule_id].path}")
        rules[rule.rule_id] = rule
        used = set(_RULE_ID_LITERAL_RE.findall(text))
        if used != {rule.rule_id}:
            raise CatalogueError(
                f"{relative}: findings use rule ids {sorted(used)} but METADATA declares {[rule.rule_id]}"
            )
    return rules


def _test_prefix(rule_id: str) -> str:
    return "test_" + rule_id.lower().replace("-", "_") + "_"


def rule_tests(root: Path = POLICY_ROOT, catalogue: dict[str, Rule] | None = None) -> dict[str, RuleTests]:
    """Test rule names (fully qualified) per rule id; raises CatalogueError on names off convention."""
    rules = catalogue if catalogue is not None else load_catalogue(root)
    mapping = {rule_id: RuleTests() for rule_id in rules}
    prefixes = {_test_prefix(rule_id): rule_id for rule_id in rules}
    for case in discover_tests(root):
        if case.package.startswith("lib."):
            continue
        match = next((p for p in prefixes if case.rule.startswith(p)), None)
        if match is None:
            raise CatalogueError(
                f"{case.path}: test {case.rule} does not start with test_<rule id>_ of a catalogued rule"
            )
        rest = case.rule[len(match) :]
        entry = mapping[prefixes[match]]
        if rest.startswith("allows_"):
            entry.allows.append(case.name)
        elif rest.startswith("denies_"):
            entry.denies.append(case.name)
        else:
            raise CatalogueError(f"{case.path}: test {case.rule} must continue with allows_ or denies_")
    return mapping


def validate(root: Path = POLICY_ROOT) -> dict[str, Rule]:
    """The catalogue, after checking every rule has at least one allows_ and one denies_ test."""
    rules = load_catalogue(root)
    for rule_id, tests in rule_tests(root, rules).items():
        if not tests.allows or not tests.denies:
            raise CatalogueError(
                f"{rule_id} ({rules[rule_id].path}) needs at least one {_test_prefix(rule_id)}allows_* "
                f"and one {_test_prefix(rule_id)}denies_* test"
            )
    return rules
