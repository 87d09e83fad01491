"""Every workload Dockerfile passes Checkov's Dockerfile checks (the gate's Checkov venv) and the house rules."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
DOCKERFILES = sorted((ROOT / "workloads").glob("*/Dockerfile"))
EXPECTED_IMAGES = {"serving", "training", "monitoring", "streaming", "features"}


def _checkov(directory: Path) -> dict:
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} missing: run 'make setup'")
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}
    result = subprocess.run(
        [str(CHECKOV), "-d", str(directory), "--framework", "dockerfile", "--skip-download", "--compact", "-o", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return json.loads(result.stdout)


def test_every_workload_has_a_dockerfile() -> None:
    assert {path.parent.name for path in DOCKERFILES} >= EXPECTED_IMAGES


def test_checkov_scans_every_dockerfile_and_none_fails() -> None:
    report = _checkov(ROOT / "workloads")
    summary = report["summary"]
    # A Dockerfile Checkov could not parse would silently drop out of the count.
    assert summary["resource_count"] == len(DOCKERFILES), summary
    assert summary["parsing_errors"] == 0, summary
    failed = [(c["check_id"], c["file_path"]) for c in report["results"]["failed_checks"]]
    assert failed == [], failed
    assert summary["passed"] >= 10 * len(DOCKERFILES), summary


def test_checkov_catches_a_root_image(tmp_path: Path) -> None:
    # The same scan must fail a Dockerfile that runs as root from a floating tag: the check is live.
    serving = (ROOT / "workloads" / "serving" / "Dockerfile").read_text()
    (tmp_path / "Dockerfile").write_text(
        re.sub(r"^FROM .*$", "FROM debian:latest", serving, flags=re.M).replace("USER 10001:10001", "USER root")
    )
    failed = {c["check_id"] for c in _checkov(tmp_path)["results"]["failed_checks"]}
    assert {"CKV_DOCKER_7", "CKV_DOCKER_8"} <= failed, failed


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_house_rules(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    base_refs = re.findall(r"^FROM\s+(\S+)", text, flags=re.M)
    assert base_refs and all(ref == "${BASE_REPOSITORY}@sha256:${BASE_DIGEST}" for ref in base_refs), base_refs
    users = re.findall(r"^USER\s+(\S+)", text, flags=re.M)
    assert users and users[-1] == "10001:10001", users
    assert re.search(r"^STOPSIGNAL\s+SIG(TERM|INT)$", text, flags=re.M)
    assert re.search(r"^HEALTHCHECK\s", text, flags=re.M)
    entry = re.search(r'^ENTRYPOINT \["python", "-m", "(workloads\.[a-z_.]+)"\]', text, flags=re.M)
    assert entry, "ENTRYPOINT must be one of the entry points in the workloads contract"
    assert "--no-index" in text and "pip uninstall" in text
    assert not re.search(r"^\s*(ADD|ENV\s+\S*(SECRET|TOKEN|PASSWORD|KEY))", text, flags=re.M | re.I)
    requirements = dockerfile.parent / "requirements.txt"
    assert requirements.is_file(), "each image names its packages; scripts/images.sh pins them"


def test_images_script_is_valid_bash() -> None:
    bash = shutil.which("bash")
    assert bash
    subprocess.run([bash, "-n", str(ROOT / "scripts" / "images.sh")], check=True)
