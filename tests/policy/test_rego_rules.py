"""Every Rego `test_*` rule passes under regorus (once each; OPA runs them in test_opa_parity.py), and the
policy library is wired up: every rule package reaches the entrypoint data.gate.findings."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from platformctl.gate.engines.rego import (
    POLICY_ROOT,
    PolicyEngineError,
    RegorusEngine,
    TestCase,
    TestResult,
    discover_tests,
    load_policies,
    run_rego_tests,
)
from platformctl.gate.policy.catalogue import load_catalogue
from tests.builders import empty_input

REPO_ROOT = POLICY_ROOT.parents[1]
CASES = discover_tests()


@pytest.fixture(scope="module")
def regorus_results() -> dict[str, TestResult]:
    """Every Rego test evaluated once under regorus (the OPA library runs them in test_opa_parity.py)."""
    return {r.name: r for r in run_rego_tests("regorus")}


def test_discovers_tests() -> None:
    assert len(CASES) > 100
    assert len({c.name for c in CASES}) == len(CASES)


def test_every_discovered_test_ran(regorus_results: dict[str, TestResult]) -> None:
    assert set(regorus_results) == {c.name for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c.name.removeprefix("data.") for c in CASES])
def test_rego_rule(regorus_results: dict[str, TestResult], case: TestCase) -> None:
    result = regorus_results[case.name]
    assert result.passed, f"{case.path}: {case.rule}: {result.error}"


def test_run_rego_tests_reports_failing_and_erroring_tests(tmp_path: Path) -> None:
    (tmp_path / "uae").mkdir()
    (tmp_path / "uae" / "demo_test.rego").write_text(
        "package uae.demo_test\n\ntest_passes if true\n\ntest_fails if false\n\ntest_value := 1\n",
        encoding="utf-8",
    )
    results = {r.name.rsplit(".", 1)[1]: r for r in run_rego_tests("regorus", tmp_path)}
    assert {name: r.passed for name, r in results.items()} == {
        "test_passes": True,
        "test_fails": False,
        "test_value": False,
    }
    assert "None" in (results["test_fails"].error or "") and "1" in (results["test_value"].error or "")


def test_packages_match_paths() -> None:
    for path, text in load_policies(include_tests=True):
        if not path.endswith(".rego"):
            continue
        package = re.search(r"^package\s+(\S+)", text, re.MULTILINE)
        assert package, path
        expected = path.removesuffix(".rego").replace("/", ".")
        # Package lib (data.lib.unknown, ...) lives in lib/core.rego; the entrypoint in gate/main.rego.
        expected = {"lib.core": "lib", "gate.main": "gate"}.get(expected, expected)
        assert package.group(1) == expected, f"{path} declares package {package.group(1)}"


def _rule_packages() -> set[str]:
    return {rule.package for rule in load_catalogue().values()}


def test_entrypoint_collects_every_rule_package(tmp_path: Path) -> None:
    """data.gate.findings is every package's deny, found by iterating data.uae: none is left out.

    One fixture per package would be a second catalogue; instead each package is given a deny
    that always fires (a copy of the library with one extra file per package), and the entrypoint
    must return exactly one marker finding per rule package, and nothing from a test package.
    """
    packages = _rule_packages()
    assert len(packages) >= 50
    root = tmp_path / "rego"
    shutil.copytree(POLICY_ROOT, root)
    for package in packages:
        marker = root / Path(*package.split(".")) / "marker.rego"
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(
            f'package {package}\n\ndeny contains {{"rule_id": "MARKER", "urn": "{package}", "message": "m"}}\n',
            encoding="utf-8",
        )
    document = empty_input()
    findings = RegorusEngine(root, include_tests=True).evaluate(document)
    assert {f["urn"] for f in findings if f["rule_id"] == "MARKER"} == packages


def test_test_packages_define_no_deny() -> None:
    """The entrypoint iterates data.uae[_][_].deny: a `deny` in a *_test package would be a finding."""
    for path, text in load_policies(include_tests=True):
        if path.endswith("_test.rego"):
            assert not re.search(r"^deny\b", text, re.MULTILINE), f"{path} defines deny"


def test_every_deny_lives_in_a_collected_rule_package() -> None:
    """Only uae.<domain>.<concern> packages are collected: a deny anywhere else would never report."""
    for path, text in load_policies():
        if path.endswith(".rego") and re.search(r"^deny\b", text, re.MULTILINE):
            package = re.search(r"^package\s+(\S+)", text, re.MULTILINE)
            assert package and re.fullmatch(r"uae\.[a-z0-9_]+\.[a-z0-9_]+", package.group(1)), path


def _rego_files() -> list[tuple[str, list[str]]]:
    return [(path, text.splitlines()) for path, text in load_policies(include_tests=True) if path.endswith(".rego")]


def test_lines_fit_in_120_characters() -> None:
    """Regal style/line-length (120) is checked here too: regal itself runs only in CI."""
    long = [f"{path}:{n}" for path, lines in _rego_files() for n, line in enumerate(lines, 1) if len(line) > 120]
    assert long == []


# A rule head starts a line at column 0 with its name; `else` continues the rule before it.
_RULE_HEAD = re.compile(r"^([a-z_][a-z0-9_]*)\b(?!\s*:?=\s*$)")


def test_no_rule_is_split_around_another() -> None:
    """Regal style/messy-rule: the definitions of an incremental rule or function sit together."""
    messy = []
    for path, lines in _rego_files():
        heads = [m.group(1) for line in lines if (m := _RULE_HEAD.match(line))]
        heads = [h for h in heads if h not in {"package", "import", "else", "default"}]
        finished: set[str] = set()
        for previous, head in zip([None, *heads], heads, strict=False):
            if head != previous:
                if head in finished:
                    messy.append(f"{path}: {head}")
                if previous:
                    finished.add(previous)
    assert messy == []


def test_findings_entrypoint_on_empty_stack() -> None:
    document = empty_input()
    assert RegorusEngine().evaluate(document) == []


def test_rejects_input_that_is_not_normalized() -> None:
    with pytest.raises(PolicyEngineError, match="schema"):
        RegorusEngine().evaluate({"steps": []})


def test_broken_policy_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "uae").mkdir()
    (tmp_path / "uae" / "broken.rego").write_text("package uae.broken\n\ndeny contains f if {\n", encoding="utf-8")
    with pytest.raises(PolicyEngineError, match="could not load"):
        RegorusEngine(tmp_path)


def test_missing_entrypoint_is_an_error_not_an_allow(tmp_path: Path) -> None:
    (tmp_path / "uae").mkdir()
    (tmp_path / "uae" / "other.rego").write_text("package uae.other\n\nx := 1\n", encoding="utf-8")
    with pytest.raises(PolicyEngineError, match="findings"):
        RegorusEngine(tmp_path).evaluate({"schema": "uae-ml-platform/gate-input/v1", "resources": [], "providers": []})


def test_coverage_report_is_available() -> None:
    engine = RegorusEngine(coverage=True)
    engine.evaluate(
        {
            "schema": "uae-ml-platform/gate-input/v1",
            "stack": "prod",
            "project": "uae-ml-platform",
            "environment": "prod",
            "home_region": "me-central-1",
            "config": {},
            "providers": [],
            "resources": [],
        }
    )
    report = engine.coverage_json()
    assert any(f["path"].endswith("gate/main.rego") for f in report["files"])


def test_taggable_types_data_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "gen_taggable_types.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
