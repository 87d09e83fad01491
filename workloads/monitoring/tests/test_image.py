"""The monitoring image running as the drift exporter (pytest-testinfra over podman): non-root, metrics port
listening on loopback, a completed check on mounted samples, no build tools or caches."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import testinfra
from prometheus_client.parser import text_string_to_metric_families

from workloads.monitoring.tests.conftest import applicant_features
from workloads.monitoring.traffic import shift_applicants
from workloads.testing.images import (
    RunningContainer,
    apply_podman_environment,
    build_image,
    run_container,
    wait_http_ok,
)
from workloads.testing.model_servers import free_port


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("samples")
    applicant_features(2000, seed=1).to_parquet(directory / "reference.parquet")
    shift_applicants(applicant_features(500, seed=2)).to_parquet(directory / "current.parquet")
    directory.chmod(0o755)
    for path in directory.iterdir():
        path.chmod(0o644)
    return directory


@pytest.fixture(scope="module")
def exporter(samples: Path) -> Iterator[tuple[RunningContainer, int]]:
    apply_podman_environment()
    image = build_image("monitoring")
    port = free_port()
    args = [
        "--reference", "/data/reference.parquet", "--current", "/data/current.parquet",
        "--metrics-host", "127.0.0.1", "--metrics-port", str(port), "--interval", "600",
        "--state-dir", "/tmp/monitoring",
    ]  # fmt: skip
    with run_container(image, args, volumes=[f"{samples}:/data:ro"]) as container:
        wait_http_ok(f"http://127.0.0.1:{port}/metrics", container)
        yield container, port


def test_exports_the_drift_of_the_mounted_samples(exporter) -> None:
    _, port = exporter
    for _ in range(60):
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        values = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }
        if values.get(("credit_risk_drift_checks_total", ())) == 1:
            break
        time.sleep(1)
    assert values[("credit_risk_drift_detected", ())] == 1
    assert values[("credit_risk_feature_drift_psi", (("feature", "annual_income"),))] > 0.2


def test_runs_non_root_without_build_tools(exporter) -> None:
    container, port = exporter
    host = testinfra.get_host(f"podman://{container.name}")
    assert host.user().uid == 10001
    assert host.process.get(pid=1).uid == 10001
    assert host.socket(f"tcp://127.0.0.1:{port}").is_listening
    for tool in ("gcc", "cc", "make", "pip", "pip3", "git"):
        assert not host.exists(tool), tool
    assert host.run("python -m pip --version").rc != 0
    assert host.run("python -c 'import torch'").rc != 0, "the monitor image carries no torch"
    leftovers = host.run("find / -xdev \\( -name .git -o -name '*.whl' -o -path '*/.cache/pip' \\) -print")
    assert leftovers.stdout.strip() == ""
