"""`platformctl record | promote | history` on a real temporary git repository, as an operator runs them.

Each test works in its own clone of a small repository holding this project's stacks/ and infra/.
Most tests hand the gate a small `pulumi preview --json` document of the target (`--preview`, the
path CI uses with a real preview) so they stay fast; `test_the_real_synth_and_gate_path` runs the
offline synthesis of the bundle's infra commit and the full gate, Checkov included.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

from platformctl.cli import main
from tests.builders import UNKNOWN

REPO = Path(__file__).resolve().parents[2]
OPERATOR = "Test Operator <operator@example.ae>"
TAGS = {"environment": "{env}", "owner": "ml-platform-team", "data-classification": "confidential"}

pytestmark = pytest.mark.integration


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=60, check=True)
    return result.stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with the platform's program and stacks, every bundle pinned to its first commit."""
    root = tmp_path_factory.mktemp("template")
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test Operator")
    git(root, "config", "user.email", "operator@example.ae")
    shutil.copytree(REPO / "infra", root / "infra", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "stacks", root / "stacks")
    shutil.copy2(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    (root / "policies" / "rego").mkdir(parents=True)
    for facts in ("__init__.py", "facts.py"):
        shutil.copy2(REPO / "policies" / facts, root / "policies" / facts)
    shutil.copytree(REPO / "policies" / "rego" / "data", root / "policies" / "rego" / "data")
    (root / "schemas").mkdir()
    shutil.copy2(REPO / "schemas" / "stack-config.schema.json", root / "schemas" / "stack-config.schema.json")
    (root / ".gitignore").write_text("__pycache__/\n/out/\n")
    first = commit_all(root, "platform")
    for path in (root / "stacks").glob("release.*.yaml"):
        doc = yaml.safe_load(path.read_text())
        doc["infra"]["commit"] = first
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
    commit_all(root, "pin every stack's bundle to the platform commit")
    return root


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    clone = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(template), str(clone)], check=True, timeout=60)
    git(clone, "config", "user.name", "Test Operator")
    git(clone, "config", "user.email", "operator@example.ae")
    return clone


def ctl(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`platformctl ARGS` run from the clone, in-process through the CLI's entry point (the operator's
    view: exit code, stdout, stderr); test_the_clock_cannot_be_moved_outside_tests runs the real process."""
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTOR", "PLATFORM_STACKS_DIR")}
    env["PLATFORMCTL_ALLOW_CLOCK_OVERRIDE"] = "1"  # records are backdated to test soak time
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.chdir(repo),
        mock.patch.dict(os.environ, env, clear=True),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = main(list(args))
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def small_preview(path: Path, stack: str, *, multi_region_key: bool = False) -> Path:
    """A `pulumi preview --json` of `stack`: the pinned provider and one KMS key (multi-Region: denied)."""
    prefix = f"urn:pulumi:{stack}::uae-ml-platform::"
    provider = prefix + "pulumi:providers:aws::uae"
    tags = {k: v.format(env=stack) for k, v in TAGS.items()}
    key_urn = prefix + "aws:kms/key:Key::data"
    key_provider = f"{provider}::{UNKNOWN}"
    document = {
        "config": {"aws:region": "me-central-1", "uae-ml-platform:environment": stack},
        "steps": [
            {
                "op": "create",
                "urn": provider,
                "newState": {
                    "urn": provider,
                    "custom": True,
                    "type": "pulumi:providers:aws",
                    "inputs": {"region": "me-central-1", "defaultTags": json.dumps({"tags": tags})},
                    "outputs": {},
                },
            },
            {
                "op": "create",
                "urn": key_urn,
                "provider": f"{provider}::{UNKNOWN}",
                "newState": {
                    "urn": key_urn,
                    "custom": True,
                    "type": "aws:kms/key:Key",
                    "inputs": {"enableKeyRotation": True, "multiRegion": multi_region_key, "description": "data"},
                    "outputs": {},
                    "provider": f"{provider}::{UNKNOWN}",
                },
            },
        ],
        "diagnostics": [],
    }
    if stack == "prod":  # prod is also held to an audit trail and GuardDuty in the stack
        audit = {
            "aws:cloudtrail/trail:Trail": {"enableLogFileValidation": True, "kmsKeyId": UNKNOWN, "s3BucketName": "t"},
            "aws:guardduty/detector:Detector": {"enable": True},
        }
        for type_, inputs in audit.items():
            urn = prefix + type_ + "::audit"
            state = {"urn": urn, "custom": True, "type": type_, "inputs": inputs, "outputs": {}}
            document["steps"].append({"op": "create", "urn": urn, "newState": {**state, "provider": key_provider}})
    path.write_text(json.dumps(document, indent=2))
    return path


def record(repo: Path, stack: str, *, deny: bool = False, hours_ago: float = 48) -> dict[str, Any]:
    """Record a verdict for the stack's current bundle (as the deploy workflow does) and commit it."""
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago)).isoformat()
    preview = small_preview(repo.parent / f"{stack}-verified.json", stack, multi_region_key=deny)
    result = ctl(repo, "record", "--stack", stack, "--preview", str(preview), "--no-checkov", "--now", when)
    assert result.returncode == (1 if deny else 0), result.stdout + result.stderr
    commit_all(repo, f"record {stack}")
    return ledger(repo, stack)[-1]


def ledger(repo: Path, stack: str) -> list[dict[str, Any]]:
    path = repo / "releases" / "provenance" / f"{stack}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def change_dev_bundle(repo: Path) -> None:
    path = repo / "stacks" / "release.dev.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["models"]["credit-risk"]["version"] = 7
    doc["images"]["serving"] = "sha256:" + hashlib.sha256(b"serving image").hexdigest()
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    commit_all(repo, "dev: credit-risk v7, new serving image")


def snapshot(repo: Path) -> dict[str, Any]:
    files = {
        str(p.relative_to(repo)): p.read_bytes()
        for folder in ("stacks", "releases")
        if (repo / folder).exists()
        for p in sorted((repo / folder).rglob("*"))
        if p.is_file()
    }
    return {"files": files, "head": git(repo, "rev-parse", "HEAD"), "status": git(repo, "status", "--porcelain")}


def promote(repo: Path, *args: str, target: str = "staging", deny: bool = False) -> subprocess.CompletedProcess[str]:
    preview = small_preview(repo.parent / f"{target}-candidate.json", target, multi_region_key=deny)
    return ctl(repo, "promote", "--no-checkov", "--preview", str(preview), *args)


def assert_refused(result: subprocess.CompletedProcess[str], code: int, reason: str) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0], result.stderr
    assert "allow" not in result.stdout


# --- success ------------------------------------------------------------------------------------


def test_promotion_writes_the_target_bundle_and_a_provenance_record(repo: Path) -> None:
    change_dev_bundle(repo)
    verdict = record(repo, "dev")
    staging_config = (repo / "stacks" / "Pulumi.staging.yaml").read_bytes()
    head = git(repo, "rev-parse", "HEAD")

    result = promote(repo, "--from", "dev", "--to", "staging")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "models.credit-risk.version: 1 -> 7" in result.stdout
    assert "images.serving: sha256:0000" in result.stdout

    dev = yaml.safe_load((repo / "stacks" / "release.dev.yaml").read_text())
    staging = yaml.safe_load((repo / "stacks" / "release.staging.yaml").read_text())
    assert staging["stack"] == "staging"
    assert {k: v for k, v in staging.items() if k != "stack"} == {k: v for k, v in dev.items() if k != "stack"}
    assert (repo / "stacks" / "Pulumi.staging.yaml").read_bytes() == staging_config  # environment settings stay

    (entry,) = ledger(repo, "staging")
    assert entry["kind"] == "promotion" and entry["source_stack"] == "dev"
    assert entry["bundle_digest"] == verdict["bundle_digest"]
    assert entry["source_verdict"] == verdict["digest"]
    assert entry["source_commit"] == head
    assert entry["gate"]["verdict"] == "allow" and entry["gate"]["checkov"] is False
    preview = json.loads((repo.parent / "staging-candidate.json").read_text())
    canonical = json.dumps(preview, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert entry["preview_digest"] == "sha256:" + hashlib.sha256(canonical).hexdigest()
    for digest in (entry["gate"]["report_digest"], entry["policy_set_digest"], entry["prev"], entry["digest"]):
        assert digest.startswith("sha256:") and len(digest) == 71, digest
    assert entry["who"] == OPERATOR
    assert dt.datetime.fromisoformat(entry["when"].replace("Z", "+00:00")) <= dt.datetime.now(dt.UTC)

    # The result is a change to commit (the promotion pull request), and it promotes on.
    commit_all(repo, "promote dev -> staging")
    record(repo, "staging")
    assert promote(repo, "--from", "staging", "--to", "prod", "--soak", "0", target="prod").returncode == 0


def test_dry_run_shows_the_diff_and_writes_nothing(repo: Path) -> None:
    change_dev_bundle(repo)
    record(repo, "dev")
    before = snapshot(repo)
    result = promote(repo, "--from", "dev", "--to", "staging", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "models.credit-risk.version: 1 -> 7" in result.stdout
    assert "dry run: nothing written" in result.stdout
    assert snapshot(repo) == before


def test_history_shows_what_went_where(repo: Path) -> None:
    change_dev_bundle(repo)
    record(repo, "dev")
    assert promote(repo, "--from", "dev", "--to", "staging").returncode == 0
    commit_all(repo, "promote dev -> staging")
    record(repo, "staging")
    assert promote(repo, "--from", "staging", "--to", "prod", "--soak", "0", target="prod").returncode == 0
    commit_all(repo, "promote staging -> prod")

    digest = ledger(repo, "dev")[-1]["bundle_digest"]
    text = ctl(repo, "history", "prod")
    assert text.returncode == 0, text.stderr
    rows = [line.split() for line in text.stdout.splitlines()[1:-1]]
    assert [(row[2], row[4]) for row in rows] == [("promotion", "staging")]
    assert digest[:19] in text.stdout and "hash chain verified" in text.stdout
    staging = json.loads(ctl(repo, "history", "staging", "--format", "json").stdout)
    assert [(r["kind"], r.get("source_stack")) for r in staging] == [("promotion", "dev"), ("verdict", None)]
    assert {r["bundle_digest"] for r in staging} == {digest}
    assert staging[1]["prev"] == staging[0]["digest"]


# --- refusals: each exits non-zero with one line and changes nothing -------------------------------


def test_refuses_a_bundle_without_a_recorded_allow_verdict(repo: Path) -> None:
    record(repo, "dev")  # a verdict for the bundle dev had before this change
    change_dev_bundle(repo)
    before = snapshot(repo)
    assert_refused(promote(repo, "--from", "dev", "--to", "staging"), 1, "no recorded allow verdict")
    assert snapshot(repo) == before


def test_a_deny_verdict_cancels_an_earlier_allow(repo: Path) -> None:
    change_dev_bundle(repo)
    record(repo, "dev")
    record(repo, "dev", deny=True, hours_ago=1)
    before = snapshot(repo)
    assert_refused(promote(repo, "--from", "dev", "--to", "staging"), 1, "no recorded allow verdict")
    assert snapshot(repo) == before


def test_refuses_before_the_soak_time(repo: Path) -> None:
    change_dev_bundle(repo)
    record(repo, "dev", hours_ago=0.5)
    before = snapshot(repo)
    assert_refused(promote(repo, "--from", "dev", "--to", "staging"), 1, "needs a soak of 1 h")
    assert_refused(promote(repo, "--from", "dev", "--to", "staging", "--soak", "12"), 1, "needs a soak of 12 h")
    assert snapshot(repo) == before
    assert promote(repo, "--from", "dev", "--to", "staging", "--soak", "0.25", "--dry-run").returncode == 0


def test_refuses_when_the_gate_denies_the_target(repo: Path) -> None:
    change_dev_bundle(repo)
    record(repo, "dev")
    before = snapshot(repo)
    result = promote(repo, "--from", "dev", "--to", "staging", deny=True)
    assert_refused(result, 1, "the gate denies staging")
    assert snapshot(repo) == before


def test_refuses_a_preview_of_another_stack(repo: Path) -> None:
    change_dev_bundle(repo)
    record(repo, "dev")
    before = snapshot(repo)
    wrong = small_preview(repo.parent / "dev-preview.json", "dev")
    result = ctl(repo, "promote", "--from", "dev", "--to", "staging", "--no-checkov", "--preview", str(wrong))
    assert_refused(result, 2, "is a preview of stack 'dev', not 'staging'")
    assert snapshot(repo) == before


def test_the_clock_cannot_be_moved_outside_tests(repo: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PLATFORMCTL_ALLOW_CLOCK_OVERRIDE"}
    preview = small_preview(repo.parent / "dev.json", "dev")
    result = subprocess.run(
        [sys.executable, "-m", "platformctl.cli", "record", "--stack", "dev", "--preview", str(preview), "--now", "2000-01-01"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2 and "--now is for tests" in result.stderr
    assert not (repo / "releases").exists()


def test_refuses_a_dirty_tree(repo: Path) -> None:
    change_dev_bundle(repo)
    record(repo, "dev")
    (repo / "infra" / "scratch.py").write_text("# not committed\n")
    before = snapshot(repo)
    assert_refused(promote(repo, "--from", "dev", "--to", "staging"), 2, "work tree is dirty (infra/scratch.py)")
    assert snapshot(repo) == before


@pytest.mark.parametrize("args", [("--from", "dev", "--to", "qa"), ("--from", "test", "--to", "staging")])
def test_refuses_an_unknown_stack(repo: Path, args: tuple[str, ...]) -> None:
    before = snapshot(repo)
    assert_refused(promote(repo, *args), 2, "unknown stack")
    assert snapshot(repo) == before


def test_refuses_a_tampered_ledger(repo: Path) -> None:
    change_dev_bundle(repo)
    record(repo, "dev")
    path = repo / "releases" / "provenance" / "dev.jsonl"
    entry = json.loads(path.read_text())
    entry["gate"]["verdict"] = "allow"
    entry["when"] = "2020-01-01T00:00:00Z"  # an older verification, to skip the soak
    path.write_text(json.dumps(entry) + "\n")
    commit_all(repo, "rewrite history")
    before = snapshot(repo)
    assert_refused(promote(repo, "--from", "dev", "--to", "staging"), 2, "tampered")
    assert_refused(ctl(repo, "history", "dev"), 2, "dev.jsonl:1")
    assert snapshot(repo) == before


def test_record_refuses_a_dirty_tree_and_a_malformed_bundle(repo: Path) -> None:
    path = repo / "stacks" / "release.dev.yaml"
    path.write_text(path.read_text().replace("serving: sha256:" + "0" * 64, "serving: latest"))
    preview = small_preview(repo.parent / "dev.json", "dev")
    assert_refused(ctl(repo, "record", "--stack", "dev", "--preview", str(preview), "--no-checkov"), 2, "dirty")
    commit_all(repo, "a tag where a digest belongs")
    result = ctl(repo, "record", "--stack", "dev", "--preview", str(preview), "--no-checkov")
    assert_refused(result, 2, "release.dev.yaml: images.serving: 'latest' does not match")
    assert not (repo / "releases").exists()


# --- the real path: synthesis of the bundle's infra commit and the full gate ---------------------


def test_the_real_synth_and_gate_path(repo: Path) -> None:
    first = git(repo, "rev-list", "--max-parents=0", "HEAD")
    path = repo / "stacks" / "release.dev.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["charts"]["kserve"] = "v0.21.1"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    # Main moves on after the bundle was cut: the promoted program is the one at the pinned commit.
    (repo / "infra" / "program.py").write_text("raise RuntimeError('main moved on; not the promoted program')\n")
    commit_all(repo, "dev: kserve chart v0.21.1; a later main")
    result = ctl(repo, "record", "--stack", "dev", "--now", "2000-01-01T00:00:00Z")
    assert result.returncode == 0, result.stdout + result.stderr
    (entry,) = ledger(repo, "dev")
    assert entry["infra_commit"] == first and entry["preview_source"] == f"offline synthesis at {first}"
    assert entry["gate"]["checkov"] is True and entry["gate"]["resources"] > 40
    commit_all(repo, "record dev")
    before = snapshot(repo)
    result = ctl(repo, "promote", "--from", "dev", "--to", "staging", "--dry-run", "--reports-dir", "out")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "charts.kserve: v0.21.0 -> v0.21.1" in result.stdout and "verdict: allow" in result.stdout
    report = json.loads((repo / "out" / "promote-staging.json").read_text())
    assert report["stack"] == "staging" and report["summary"]["checkov_scanned"] > 40
    assert snapshot(repo) == before
