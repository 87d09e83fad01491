"""Checkov worker: runs Checkov's own check classes on a Terraform plan document and manifests.

Runs ONLY in the checkov venv (.venv-checkov): checkov pins `packaging<24`, pulumi needs `>=26`
(docs/adr/0003-checkov-in-its-own-venv.md). The gate talks to it over JSON:

    stdin  {"plan": {<terraform plan JSON>}, "manifests": [{"id": str, "manifest": {...}}],
            "external_checks_dirs": [str, ...]}            (dirs optional; default: ./checks)
       or  {"batch": [{"id": str, "plan": {...}, "manifests": [...]}, ...], "external_checks_dirs": [...]}
    stdout {"worker": "uae-ml-platform/checkov-worker/v1", "mode": "fast"|"cli",
            "checkov_version": str, "elapsed_s": float,
            "registered": {"terraform_plan": {"types": [type, ...], "patterns": [glob, ...],
                                              "check_ids": [id, ...]},
                           "kubernetes": {"types": [kind, ...], "patterns": [...], "check_ids": [...]}},
            "custom_checks": [check_id, ...],
            "checks": {check_id: {"name": str, "guideline": str | null}},
            "entities": [{"framework": "terraform_plan"|"kubernetes", "id": address | manifest id,
                          "PASSED": [check_id, ...], "FAILED": [...], "SKIPPED": [...], "UNKNOWN": [...],
                          "ERROR": [check_id, ...], "errors": {check_id: message}}]}
       (a batch answers "results": [{"id": str, "entities": [...]}, ...] in request order instead of "entities")

An entity is listed only when at least one check ran on it; that is what "scanned" means. A check that
raises on an entity (a value of an unexpected shape) is listed under ERROR with its message: the gate
turns it into a blocking finding on that resource instead of losing the whole scan.

A batch gates every preview of one `platformctl gate` command in one process: Checkov's import (most
of the worker's cost) is paid once, and in fast mode it is paid before stdin is read, so the gate can
start the worker first and evaluate Rego while Checkov loads.
Exit status 0 with that document, 2 for a malformed request, 1 for anything else (message on stderr).

`--mode fast` (default) converts resources with checkov's own plan-parser functions and calls each
registered check's `run()` directly: no graph, no runner pipeline, no report objects. Checkov's graph
(connection) checks, e.g. the JSON policies behind CKV_AWS_19/145 or CKV2_*, need the graph and are
therefore only in `--mode cli`, which runs the real `checkov` CLI on the same plan written to disk
and is used to prove that the fast path agrees with Checkov on the checks the fast path runs.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("BC_SKIP_MAPPING", "TRUE")
os.environ.setdefault("EVAL_TF_PLAN_AFTER_UNKNOWN", "TRUE")
os.environ.setdefault("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false")
os.environ.pop("BC_API_KEY", None)
os.environ.pop("PRISMA_API_URL", None)

WORKER_SCHEMA = "uae-ml-platform/checkov-worker/v1"
DEFAULT_CHECKS_DIR = Path(__file__).resolve().parent / "checks"
TF_FRAMEWORK = "terraform_plan"
K8S_FRAMEWORK = "kubernetes"
CLI_TIMEOUT_S = 900


class BadRequestError(ValueError):
    """The request document is not what the gate sends."""


def _check_item(item: Any, where: str) -> None:
    if not isinstance(item, dict):
        raise BadRequestError(f"{where} must be a JSON object")
    plan = item.get("plan")
    if not isinstance(plan, dict) or not isinstance(plan.get("planned_values", {}), dict):
        raise BadRequestError(f"{where}.plan must be a Terraform plan JSON object")
    manifests = item.get("manifests", [])
    if not isinstance(manifests, list) or not all(
        isinstance(m, dict) and isinstance(m.get("id"), str) and isinstance(m.get("manifest"), dict) for m in manifests
    ):
        raise BadRequestError(f"{where}.manifests must be a list of {{id: str, manifest: object}}")


def _read_request(raw: str) -> dict[str, Any]:
    try:
        request = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadRequestError(f"request is not JSON: {exc}") from exc
    if not isinstance(request, dict):
        raise BadRequestError("request must be a JSON object")
    if "batch" in request:
        batch = request["batch"]
        if not isinstance(batch, list) or not batch:
            raise BadRequestError("request.batch must be a non-empty list")
        for index, item in enumerate(batch):
            _check_item(item, f"request.batch[{index}]")
            if not isinstance(item.get("id"), str):
                raise BadRequestError(f"request.batch[{index}].id must be a string")
    else:
        _check_item(request, "request")
    dirs = request.get("external_checks_dirs", [str(DEFAULT_CHECKS_DIR)])
    if not isinstance(dirs, list) or not all(isinstance(d, str) and Path(d).is_dir() for d in dirs):
        raise BadRequestError(f"request.external_checks_dirs must list existing directories: {dirs!r}")
    return request


def _load_custom_checks(directories: list[str]) -> list[str]:
    """Import our checks so that they register themselves; unlike checkov's loader, fail loudly."""
    from checkov.common.checks.base_check_registry import BaseCheckRegistry

    before = {check.id for check in BaseCheckRegistry.get_all_registered_checks()}
    for directory in directories:
        for path in sorted(Path(directory).glob("*.py")):
            if path.name.startswith("__"):
                continue
            spec = importlib.util.spec_from_file_location(f"uae_checkov_checks.{path.stem}", path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load custom check {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
    return sorted({check.id for check in BaseCheckRegistry.get_all_registered_checks()} - before)


def _registries() -> tuple[Any, Any]:
    import checkov.kubernetes.checks.resource.k8s  # noqa: F401  (registers the k8s checks)
    import checkov.terraform.checks.resource.aws  # noqa: F401  (registers the AWS checks)
    from checkov.kubernetes.checks.resource.registry import registry as k8s_registry
    from checkov.terraform.checks.resource.registry import resource_registry

    return resource_registry, k8s_registry


RESULT_STATES = ("PASSED", "FAILED", "SKIPPED", "UNKNOWN", "ERROR")


class Collector:
    """Results per scanned entity plus one catalogue entry per check (keeps the answer small)."""

    def __init__(self) -> None:
        self.checks: dict[str, dict[str, Any]] = {}
        self.entities: dict[tuple[str, str], dict[str, Any]] = {}

    def add(self, framework: str, entity_id: str, check_id: str, name: str, guideline: str | None, state: str) -> None:
        if check_id not in self.checks or (guideline and not self.checks[check_id]["guideline"]):
            self.checks[check_id] = {"name": name, "guideline": guideline}
        entity = self.entities.get((framework, entity_id))
        if entity is None:
            entity = {"framework": framework, "id": entity_id, **{s: [] for s in RESULT_STATES}, "errors": {}}
            self.entities[(framework, entity_id)] = entity
        entity[state].append(check_id)

    def add_result(self, framework: str, entity_id: str, check: Any, result: dict[str, Any]) -> None:
        self.add(framework, entity_id, check.id, check.name, check.guideline, result["result"].name)

    def add_error(self, framework: str, entity_id: str, check: Any, exc: Exception) -> None:
        self.add(framework, entity_id, check.id, check.name, check.guideline, "ERROR")
        self.entities[(framework, entity_id)]["errors"][check.id] = f"{type(exc).__name__}: {exc}"[:300]

    def run(self, framework: str, entity_id: str, check: Any, call: Any) -> None:
        """Run one check; an exception is that check's ERROR on this entity, not the end of the scan."""
        try:
            result = call()
        except Exception as exc:  # noqa: BLE001 - reported per entity, and blocking (see module docstring)
            self.add_error(framework, entity_id, check, exc)
            return
        self.add_result(framework, entity_id, check, result)

    def document(self) -> dict[str, Any]:
        return {"checks": self.checks, "entities": list(self.entities.values())}


def _scan_plan_fast(plan: dict[str, Any], registry: Any, collector: Collector) -> None:
    from checkov.terraform.plan_parser import _get_resource_changes, _prepare_resource_block
    from checkov.terraform.plan_runner import TF_LIFECYCLE_CHECK_IDS

    changes = _get_resource_changes(plan)
    # parse_tf_plan looks each configuration entry up by a linear scan (quadratic on big plans).
    configuration = {
        (conf.get("type"), conf.get("name")): conf
        for conf in plan.get("configuration", {}).get("root_module", {}).get("resources", [])
    }
    for resource in plan.get("planned_values", {}).get("root_module", {}).get("resources", []):
        conf = configuration.get((resource.get("type"), resource.get("name")))
        block, block_type, prepared = _prepare_resource_block(resource, conf, changes)
        if not prepared or block_type != "resource":
            continue
        tf_type = resource["type"]
        name, entity_conf = next(iter(block[tf_type].items()))
        for check in registry.get_checks(tf_type):
            if check.id in TF_LIFECYCLE_CHECK_IDS:
                continue  # the plan runner drops these too: lifecycle blocks are not in a plan
            collector.run(
                TF_FRAMEWORK,
                resource["address"],
                check,
                functools.partial(registry.run_check, check, entity_conf, name, tf_type, "/tfplan.json", {}),
            )


def _scan_manifests_fast(manifests: list[dict[str, Any]], registry: Any, collector: Collector) -> None:
    # registry.scan without its loop: one check that raises must not hide the others' results.
    for item in manifests:
        kind, conf = registry.extract_entity_details(item["manifest"])
        for check in registry.get_checks(kind):
            collector.run(
                K8S_FRAMEWORK,
                item["id"],
                check,
                functools.partial(
                    check.run,
                    scanned_file=f"/{item['id']}",
                    entity_configuration=conf,
                    entity_name=kind,
                    entity_type=kind,
                    skip_info={},
                ),
            )


def _registered(registry: Any) -> dict[str, list[str]]:
    return {
        "types": sorted(registry.checks),
        "patterns": sorted(registry.wildcard_checks),
        "check_ids": sorted({check.id for _, check in registry.all_checks()}),
    }


def load_fast(external_checks_dirs: list[str]) -> dict[str, Any]:
    """Import Checkov's registries and our checks (the worker's fixed cost)."""
    resource_registry, k8s_registry = _registries()
    custom = _load_custom_checks(external_checks_dirs)
    return {"resource_registry": resource_registry, "k8s_registry": k8s_registry, "custom": custom}


def _scan_item_fast(item: dict[str, Any], loaded: dict[str, Any]) -> dict[str, Any]:
    collector = Collector()
    _scan_plan_fast(item["plan"], loaded["resource_registry"], collector)
    _scan_manifests_fast(item.get("manifests", []), loaded["k8s_registry"], collector)
    return collector.document()


def run_fast(request: dict[str, Any], loaded: dict[str, Any] | None = None) -> dict[str, Any]:
    if loaded is None:
        loaded = load_fast(request.get("external_checks_dirs", [str(DEFAULT_CHECKS_DIR)]))
    elif request.get("external_checks_dirs", [str(DEFAULT_CHECKS_DIR)]) != [str(DEFAULT_CHECKS_DIR)]:
        _load_custom_checks([d for d in request["external_checks_dirs"] if d != str(DEFAULT_CHECKS_DIR)])
    answer: dict[str, Any] = {
        "mode": "fast",
        "registered": {
            TF_FRAMEWORK: _registered(loaded["resource_registry"]),
            K8S_FRAMEWORK: _registered(loaded["k8s_registry"]),
        },
        "custom_checks": loaded["custom"],
    }
    if "batch" not in request:
        return {**answer, **_scan_item_fast(request, loaded)}
    checks: dict[str, Any] = {}
    results = []
    for item in request["batch"]:
        document = _scan_item_fast(item, loaded)
        checks.update(document["checks"])
        results.append({"id": item["id"], "entities": document["entities"]})
    return {**answer, "checks": checks, "results": results}


def _cli_records(report: dict[str, Any]) -> list[dict[str, Any]]:
    results = report.get("results", {})
    return [
        record for state in ("passed_checks", "failed_checks", "skipped_checks") for record in results.get(state, [])
    ]


def _run_cli_item(request: dict[str, Any]) -> dict[str, Any]:
    """Run the real checkov CLI on the same inputs written to disk (cross-check, slow)."""
    dirs = request.get("external_checks_dirs", [str(DEFAULT_CHECKS_DIR)])
    with tempfile.TemporaryDirectory(prefix="checkov-cli-") as tmp:
        root = Path(tmp)
        (root / "tfplan.json").write_text(json.dumps(request["plan"]))
        manifest_files: dict[str, str] = {}
        (root / "k8s").mkdir()
        for index, item in enumerate(request.get("manifests", [])):
            path = root / "k8s" / f"m{index}.json"
            path.write_text(json.dumps(item["manifest"]))
            manifest_files[f"/k8s/{path.name}"] = item["id"]
        command = [sys.executable, "-m", "checkov.main", "-d", str(root), "--framework", TF_FRAMEWORK, K8S_FRAMEWORK]
        command += ["-o", "json", "--skip-download", "--compact", "--soft-fail"]
        for directory in dirs:
            command += ["--external-checks-dir", directory]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=CLI_TIMEOUT_S, cwd=tmp)
    if completed.returncode != 0:
        raise RuntimeError(f"checkov CLI exited {completed.returncode}: {completed.stderr[-2000:]}")
    reports = json.loads(completed.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    collector = Collector()
    for report in reports:
        framework = report.get("check_type")
        if framework not in (TF_FRAMEWORK, K8S_FRAMEWORK):
            continue
        for record in _cli_records(report):
            if framework == TF_FRAMEWORK:
                entity_id = record.get("resource_address") or record["resource"]
            else:
                entity_id = manifest_files[record["file_path"]]
            collector.add(
                framework,
                entity_id,
                record["check_id"],
                record["check_name"],
                record.get("guideline"),
                record["check_result"]["result"],
            )
    return {"mode": "cli", "registered": {}, "custom_checks": [], **collector.document()}


def run_cli(request: dict[str, Any]) -> dict[str, Any]:
    """Run the real checkov CLI on the same inputs written to disk (cross-check, slow)."""
    if "batch" not in request:
        return _run_cli_item(request)
    dirs = request.get("external_checks_dirs", [str(DEFAULT_CHECKS_DIR)])
    checks: dict[str, Any] = {}
    results = []
    for item in request["batch"]:
        answer = _run_cli_item({**item, "external_checks_dirs": dirs})
        checks.update(answer["checks"])
        results.append({"id": item["id"], "entities": answer["entities"]})
    return {"mode": "cli", "registered": {}, "custom_checks": [], "checks": checks, "results": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("fast", "cli"), default="fast")
    parser.add_argument("--request", help="request JSON file (default: stdin)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    loaded = None
    if args.mode == "fast":
        # Load Checkov before reading the request: the gate starts this worker first and sends the
        # request when it is ready, so this import overlaps the gate's own work.
        try:
            loaded = load_fast([str(DEFAULT_CHECKS_DIR)])
        except Exception as exc:  # noqa: BLE001 - a worker that cannot load checks must fail, not pass
            print(f"checkov worker: cannot load Checkov: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    try:
        raw = Path(args.request).read_text() if args.request else sys.stdin.read()
        request = _read_request(raw)
    except (BadRequestError, OSError) as exc:
        print(f"checkov worker: bad request: {exc}", file=sys.stderr)
        return 2
    try:
        response = run_fast(request, loaded) if args.mode == "fast" else run_cli(request)
    except Exception as exc:  # noqa: BLE001 - any failure must reach the gate as an error, never a pass
        print(f"checkov worker: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    from checkov.version import version

    response.update(worker=WORKER_SCHEMA, checkov_version=version, elapsed_s=round(time.perf_counter() - started, 3))
    # checkov wraps sys.stdout in colorama, which is slow for megabytes: write to the real stream.
    sys.__stdout__.write(json.dumps(response, separators=(",", ":")))
    sys.__stdout__.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
