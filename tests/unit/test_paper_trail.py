"""The operator's paper trail: code owners, Dependabot, pre-commit, and the docs that explain them."""

from __future__ import annotations

import fnmatch
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PLATFORM_TEAM = "@example-org/ml-platform-team"


def codeowners() -> list[tuple[str, list[str]]]:
    rules = []
    for line in (REPO / ".github" / "CODEOWNERS").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            pattern, *owners = line.split()
            rules.append((pattern, owners))
    return rules


def owners_of(path: str) -> list[str]:
    """GitHub's rule: the last matching pattern wins; a trailing slash owns the whole folder."""
    owners: list[str] = []
    for pattern, who in codeowners():
        anchored = pattern.lstrip("/")
        if anchored.endswith("/") and path.startswith(anchored) or fnmatch.fnmatch(path, anchored):
            owners = who
    return owners


@pytest.mark.parametrize(
    "path",
    [
        "policies/rego/uae/res/providers.rego",
        "policies/waivers.yaml",
        "bootstrap/waivers.yaml",
        ".github/workflows/promote.yml",
        ".github/CODEOWNERS",
        "stacks/Pulumi.prod.yaml",
        "stacks/release.prod.yaml",
        "releases/provenance/prod.jsonl",
    ],
)
def test_the_platform_team_owns_the_gate_the_workflows_and_prod(path: str) -> None:
    assert owners_of(path) == [PLATFORM_TEAM]


def test_dev_bundle_needs_no_platform_team_review() -> None:
    # Workload teams bump dev's pins themselves; promotion carries them on under review.
    assert owners_of("stacks/release.dev.yaml") == []


def test_dependabot_watches_actions_and_pip_and_matches_its_schema() -> None:
    config = yaml.safe_load((REPO / ".github" / "dependabot.yml").read_text())
    ecosystems = {(u["package-ecosystem"], u["directory"]) for u in config["updates"]}
    assert {("github-actions", "/"), ("pip", "/requirements")} <= ecosystems
    tool = REPO / ".venv" / "bin" / "check-jsonschema"
    result = subprocess.run(
        [str(tool), "--builtin-schema", "vendor.dependabot", str(REPO / ".github" / "dependabot.yml")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_pre_commit_runs_the_linters_the_tests_use() -> None:
    hooks = {
        h["id"]: h
        for repo in yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())["repos"]
        for h in repo["hooks"]
    }
    assert {"ruff", "ruff-format", "codespell", "actionlint", "workflow-schema", "release-bundles", "ledger"} <= set(
        hooks
    )
    pins = (REPO / "requirements" / "main.txt").read_text().splitlines()
    assert any(p.startswith("pre-commit==") for p in pins) and "check-jsonschema==0.39.0" in pins


def test_setup_installs_the_hook_only_in_a_git_work_tree_outside_ci() -> None:
    script = (REPO / "scripts" / "bootstrap.sh").read_text()
    hook = script[script.index("pre-commit install") - 600 :]
    assert '-z "${CI:-}"' in hook and "git rev-parse --is-inside-work-tree" in hook
    assert "apt_packages+=(shellcheck)" in script


@pytest.mark.parametrize(
    ("doc", "must_mention"),
    [
        (
            "docs/runbook-first-deploy.md",
            ["pulumi cancel", "pulumi stack export", "pulumi stack import", "--plan", "rollback"],
        ),
        (
            "docs/promoting-a-release.md",
            ["platformctl promote", "platformctl record", "platformctl history", "required reviewers"],
        ),
        ("docs/waivers.md", ["expires", "CODEOWNERS", "policies/waivers.yaml"]),
        ("docs/adding-a-rule.md", ["METADATA", "_test.rego", "platformctl controls"]),
        ("docs/adr/0009-release-bundles-and-provenance.md", ["## Context", "## Decision", "## Consequences"]),
    ],
)
def test_the_operator_docs_exist(doc: str, must_mention: list[str]) -> None:
    text = (REPO / doc).read_text()
    for phrase in must_mention:
        assert phrase in text, f"{doc}: {phrase}"
