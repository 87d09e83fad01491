"""Evaluate the Rego policy library (policies/rego) over the gate's normalized input.

Two engines behind one interface: regorus (embedded Rust engine, the default) and the real OPA Go
library through `opa_bindings` (used to prove both agree). Policies and data are loaded once per
engine. Any engine failure raises `PolicyEngineError`: a failure never reads as "no findings".

Data files `policies/rego/data/<name>.json` are mounted at `data.uae_data.<name>`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

from platformctl import schemas
from platformctl.errors import PolicyEngineError

POLICY_ROOT = Path(__file__).resolve().parents[3] / "policies" / "rego"
DATA_NAMESPACE = "uae_data"
FINDINGS_RULE = "data.gate.findings"
# URNs of live custom resources that no Rego rule judges (the gate reports those Checkov does not
# scan either as "unchecked").
UNJUDGED_RULE = "data.gate.unjudged"
INPUT_SCHEMA = "uae-ml-platform/gate-input/v1"

EngineKind = Literal["regorus", "opa"]

# What regorus's eval_rule_as_json answers for an undefined rule.
_REGORUS_UNDEFINED = "<undefined>"

_PACKAGE_RE = re.compile(r"^package\s+([A-Za-z0-9_.]+)\s*$", re.MULTILINE)
_TEST_RULE_RE = re.compile(r"^(test_[A-Za-z0-9_]+)\b", re.MULTILINE)


@dataclass(frozen=True)
class TestCase:
    __test__: ClassVar[bool] = False  # not a pytest class

    name: str  # fully qualified rule, e.g. data.uae.res.providers_test.test_uae_res_001_...
    rule: str
    package: str
    path: str


@dataclass(frozen=True)
class TestResult:
    __test__: ClassVar[bool] = False  # not a pytest class

    name: str
    passed: bool
    error: str | None = None


def _is_test_file(path: Path) -> bool:
    return path.name.endswith("_test.rego")


def load_policies(root: Path = POLICY_ROOT, *, include_tests: bool = False) -> list[tuple[str, str]]:
    """(path relative to root, text) of every .rego module (tests only if asked) and data .json."""
    if not root.is_dir():
        raise PolicyEngineError(f"policy directory {root} does not exist")
    sources = [
        (path.relative_to(root).as_posix(), path.read_text(encoding="utf-8"))
        for path in sorted(root.rglob("*"))
        if (path.suffix == ".rego" and (include_tests or not _is_test_file(path)))
        or (path.suffix == ".json" and path.parent.name == "data")
    ]
    if not any(p.endswith(".rego") for p, _ in sources):
        raise PolicyEngineError(f"no Rego modules under {root}")
    return sources


def data_document(sources: list[tuple[str, str]]) -> dict[str, Any]:
    """The data document: each data/<name>.json under data.uae_data.<name>."""
    documents: dict[str, Any] = {}
    for path, text in sources:
        if path.endswith(".json"):
            try:
                documents[Path(path).stem] = json.loads(text)
            except json.JSONDecodeError as exc:
                raise PolicyEngineError(f"data file {path} is not valid JSON: {exc}") from exc
    return {DATA_NAMESPACE: documents}


def discover_tests(root: Path = POLICY_ROOT) -> list[TestCase]:
    """Every `test_*` rule in every *_test.rego file (there is no `opa test` runner here)."""
    cases: list[TestCase] = []
    for path in sorted(root.rglob("*_test.rego")):
        text = path.read_text(encoding="utf-8")
        package = _PACKAGE_RE.search(text)
        if package is None:
            raise PolicyEngineError(f"{path} has no package declaration")
        for rule in dict.fromkeys(_TEST_RULE_RE.findall(text)):
            name = f"data.{package.group(1)}.{rule}"
            cases.append(TestCase(name, rule, package.group(1), path.relative_to(root).as_posix()))
    return cases


def _message(exc: BaseException) -> str:
    """The engine's message without regorus's native stack backtrace."""
    return str(exc).split("\nStack backtrace:", 1)[0].strip()


def check_input(normalized_input: Any) -> None:
    """The input's envelope against schemas/gate-input.schema.json (platformctl/schemas.py says why
    an engine checks only the envelope on every call)."""
    schemas.check("gate-input", normalized_input, PolicyEngineError, "input", envelope=True)


def sorted_findings(value: Any, where: str) -> list[dict[str, Any]]:
    """`data.gate.findings` checked against schemas/rego-finding.schema.json, in a stable order."""
    if not isinstance(value, list):
        raise PolicyEngineError(f"{where}: {FINDINGS_RULE} is not a set of objects: {value!r:.200}")
    for finding in value:
        schemas.check("rego-finding", finding, PolicyEngineError, f"{where}: a finding of {FINDINGS_RULE}")
    return sorted(value, key=lambda f: (f["rule_id"], f["urn"], f["message"]))


def _urn_set(value: Any) -> set[str]:
    if not isinstance(value, list) or not all(isinstance(u, str) for u in value):
        raise PolicyEngineError(f"{UNJUDGED_RULE} is not a set of URNs: {value!r:.200}")
    return set(value)


class PolicyEngine(Protocol):
    def evaluate(self, normalized_input: dict[str, Any]) -> list[dict[str, Any]]: ...

    def eval_rule(self, rule: str) -> Any: ...


class RegorusEngine:
    """The embedded regorus engine with the policy library and data loaded once."""

    def __init__(self, root: Path = POLICY_ROOT, *, include_tests: bool = False, coverage: bool = False) -> None:
        import regorus

        sources = load_policies(root, include_tests=include_tests)
        self._last_input: dict[str, Any] | None = None
        self._engine = regorus.Engine()
        try:
            self._engine.set_enable_coverage(coverage)
            for path, text in sources:
                if path.endswith(".rego"):
                    self._engine.add_policy(path, text)
            self._engine.add_data_json(json.dumps(data_document(sources)))
        except RuntimeError as exc:
            raise PolicyEngineError(f"regorus could not load policies: {_message(exc)}") from exc

    def _rule_value(self, rule: str, input_json: str | None) -> Any:
        # eval_rule_as_json, not eval_rule: the latter cannot return sets of objects.
        try:
            if input_json is not None:
                self._engine.set_input_json(input_json)
            value = json.loads(self._engine.eval_rule_as_json(rule))
        except (RuntimeError, ValueError) as exc:
            raise PolicyEngineError(f"regorus failed to evaluate {rule}: {_message(exc)}") from exc
        return None if value == _REGORUS_UNDEFINED else value

    def evaluate(self, normalized_input: dict[str, Any]) -> list[dict[str, Any]]:
        check_input(normalized_input)
        value = self._rule_value(FINDINGS_RULE, json.dumps(normalized_input))
        self._last_input = normalized_input
        if value is None:
            raise PolicyEngineError(f"{FINDINGS_RULE} is undefined")
        return sorted_findings(value, "rego")

    def unjudged(self, normalized_input: dict[str, Any]) -> set[str]:
        """URNs no Rego rule judges; reuses the input already set by `evaluate` on the same document."""
        check_input(normalized_input)
        same = self._last_input is normalized_input
        value = self._rule_value(UNJUDGED_RULE, None if same else json.dumps(normalized_input))
        return _urn_set(value)

    def eval_rule(self, rule: str) -> Any:
        """Value of a rule (None when undefined); engine errors raise PolicyEngineError."""
        self._last_input = None
        return self._rule_value(rule, "{}")

    def coverage_report(self) -> str:
        return str(self._engine.get_coverage_report_pretty())

    def coverage_json(self) -> dict[str, Any]:
        return dict(json.loads(self._engine.get_coverage_report_as_json()))


def import_opa_bindings() -> Any:
    """The real OPA library (opa_bindings over ctypes), or a PolicyEngineError saying how to get it."""
    try:
        import opa_bindings
    except (ImportError, OSError) as exc:
        raise PolicyEngineError(
            "opa_bindings is not importable; install it with "
            "`pip install --ignore-requires-python opa-golib-python-bindings==0.4.4`"
        ) from exc
    return opa_bindings


class OpaLibEngine:
    """The real OPA Go library (opa_bindings over ctypes), same interface as RegorusEngine."""

    def __init__(self, root: Path = POLICY_ROOT, *, include_tests: bool = False) -> None:
        opa = import_opa_bindings()
        OpaEngine, OpaError, OpaUndefinedError = opa.OpaEngine, opa.OpaError, opa.OpaUndefinedError  # noqa: N806
        self._error: type[Exception] = OpaError
        self._undefined: type[Exception] = OpaUndefinedError
        sources = load_policies(root, include_tests=include_tests)
        self._engine = OpaEngine()
        try:
            for path, text in sources:
                if path.endswith(".rego"):
                    self._engine.add_policy(path, text)
            self._engine.add_data(data_document(sources))
            # OPA compiles lazily: compile now so broken policies fail at load, not per input.
            self._engine.eval_query("x := 1")
        except OpaError as exc:
            raise PolicyEngineError(f"OPA could not load policies: {exc}") from exc

    def _document(self, rule: str, normalized_input: Any) -> Any:
        path = rule.removeprefix("data.")
        try:
            return self._engine.eval_document(path, input=normalized_input)
        except self._undefined:
            return None
        except self._error as exc:
            raise PolicyEngineError(f"OPA failed to evaluate {rule}: {exc}") from exc

    def evaluate(self, normalized_input: dict[str, Any]) -> list[dict[str, Any]]:
        check_input(normalized_input)
        value = self._document(FINDINGS_RULE, normalized_input)
        if value is None:
            raise PolicyEngineError(f"{FINDINGS_RULE} is undefined")
        return sorted_findings(value, "rego")

    def unjudged(self, normalized_input: dict[str, Any]) -> set[str]:
        check_input(normalized_input)
        return _urn_set(self._document(UNJUDGED_RULE, normalized_input))

    def eval_rule(self, rule: str) -> Any:
        return self._document(rule, {})


def make_engine(kind: EngineKind, root: Path = POLICY_ROOT, *, include_tests: bool = False) -> PolicyEngine:
    if kind == "regorus":
        return RegorusEngine(root, include_tests=include_tests)
    if kind == "opa":
        return OpaLibEngine(root, include_tests=include_tests)
    raise PolicyEngineError(f"unknown engine kind {kind!r} (regorus or opa)")


def run_rego_tests(engine_kind: EngineKind = "regorus", root: Path = POLICY_ROOT) -> list[TestResult]:
    """Evaluate every `test_*` rule; a test passes when its rule evaluates to true."""
    engine = make_engine(engine_kind, root, include_tests=True)
    results: list[TestResult] = []
    for case in discover_tests(root):
        try:
            value = engine.eval_rule(case.name)
        except PolicyEngineError as exc:
            results.append(TestResult(case.name, False, str(exc)))
            continue
        error = None if value is True else f"evaluated to {value!r} (expected true)"
        results.append(TestResult(case.name, value is True, error))
    return results
