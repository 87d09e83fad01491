"""Every Rego `test_*` rule passes under regorus, and the policy library is wired up correctly."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from platformctl.gate.engines.rego import (
    POLICY_ROOT,
    PolicyEngineError,
    RegorusEngine,
    TestCase,
    discover_tests,
    load_policies,
    run_rego_tests,
)

REPO_ROOT = POLICY_ROOT.parents[1]
CASES = discover_tests()


@pytest.fixture(scope="module")
def engine() -> RegorusEngine:
    return RegorusEngine(include_tests=True)


def test_discovers_tests() -> None:
    assert len(CASES) > 100
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name.removeprefix("data.") for c in CASES])
def test_rego_rule(engine: RegorusEngine, case: TestCase) -> None:
    assert engine.eval_rule(case.name) is True, f"{case.path}: {case.rule} did not evaluate to true"


def test_run_rego_tests_reports_all_passing() -> None:
    results = run_rego_tests("regorus")
    assert len(results) == len(CASES)
    assert [r.name for r in results if not r.passed] == []


def test_packages_match_paths() -> None:
    for path, text in load_policies(include_tests=True):
        if not path.endswith(".rego"):
            continue
        package = re.search(r"^package\s+(\S+)", text, re.MULTILINE)
        assert package, path
        expected = path.removesuffix(".rego").replace("/", ".")
        # Package lib (data.lib.unknown, ...) lives in lib/core.rego; the gate in uae/gate/gate.rego.
        expected = {"lib.core": "lib", "uae.gate.gate": "uae.gate"}.get(expected, expected)
        assert package.group(1) == expected, f"{path} declares package {package.group(1)}"


def test_gate_enumerates_every_rule_package() -> None:
    gate = (POLICY_ROOT / "uae" / "gate" / "gate.rego").read_text(encoding="utf-8")
    listed = set(re.findall(r"\b(res|enc|net|iam|k8s|ops)\.([a-z0-9_]+)\.deny\b", gate))
    packages = {
        (p.parent.name, p.stem)
        for p in (POLICY_ROOT / "uae").rglob("*.rego")
        if not p.name.endswith("_test.rego") and "deny contains" in p.read_text(encoding="utf-8")
    }
    assert packages - listed == set(), "rule packages missing from uae/gate/gate.rego"
    assert listed - packages == set(), "gate.rego lists packages that do not exist"


def test_findings_entrypoint_on_empty_stack() -> None:
    document = {
        "schema": "uae-ml-platform/gate-input/v1",
        "stack": "dev",
        "project": "uae-ml-platform",
        "environment": "dev",
        "home_region": "me-central-1",
        "config": {},
        "providers": [],
        "resources": [],
    }
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
    assert any(f["path"].endswith("gate.rego") for f in report["files"])


def test_taggable_types_data_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "gen_taggable_types.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
