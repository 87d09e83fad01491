"""The serving image, built offline by scripts/images.sh and tested running (pytest-testinfra over podman).

A model bundle is mounted read-only; the container must load it, answer KServe readiness and inference,
run as the fixed non-root user, listen where expected, keep no build tools, caches or secrets, pass its own
HEALTHCHECK and stop cleanly on SIGTERM.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import testinfra

from workloads.testing.images import (
    RunningContainer,
    apply_podman_environment,
    build_image,
    podman,
    run_container,
    wait_http_ok,
)
from workloads.testing.model_servers import free_port
from workloads.training.config import FEATURES

APP_UID = 10001
# An applicant's 10 features in credit_risk_v1 order.
APPLICANT = [35, 250000.0, 6.5, 1, 0.35, 0, 14, 320.0, 125000.0, 0.0]


@pytest.fixture(scope="module")
def serving_image() -> str:
    apply_podman_environment()
    return build_image("serving")


@pytest.fixture(scope="module")
def model_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real bundle in the format serving loads (fp32 and int8), readable by the image's user."""
    from workloads.training.model import CreditRiskMLP, quantize_int8, save_bundle

    directory = tmp_path_factory.mktemp("bundle") / "credit-risk"
    model = CreditRiskMLP(len(FEATURES), [16, 8])
    save_bundle(directory, model, quantize_int8(model), (16, 8), {"metrics": {}, "source": "image test"})
    directory.chmod(0o755)
    for path in directory.iterdir():
        path.chmod(0o644)
    return directory


@pytest.fixture(scope="module")
def running(serving_image: str, model_bundle: Path) -> Iterator[tuple[RunningContainer, int]]:
    port = free_port()
    args = ["--host", "127.0.0.1", "--http-port", str(port), "--model-uri", "/models/credit-risk"]
    with run_container(serving_image, args, volumes=[f"{model_bundle}:/models/credit-risk:ro"]) as container:
        wait_http_ok(f"http://127.0.0.1:{port}/v2/health/ready", container)
        yield container, port


@pytest.fixture(scope="module")
def host(running: tuple[RunningContainer, int]):
    return testinfra.get_host(f"podman://{running[0].name}")


def test_runs_as_the_fixed_non_root_user(host) -> None:
    assert host.user().uid == APP_UID
    assert host.user().name == "app"
    server = host.process.get(pid=1)
    assert server.uid == APP_UID
    assert "workloads.serving" in server.args


def test_listens_on_the_port_it_was_given_on_loopback_only(host, running) -> None:
    port = running[1]
    assert host.socket(f"tcp://127.0.0.1:{port}").is_listening
    assert not host.socket(f"tcp://0.0.0.0:{port}").is_listening


def test_answers_readiness_metadata_and_inference(running) -> None:
    port = running[1]
    base = f"http://127.0.0.1:{port}"
    assert httpx.get(f"{base}/v2/health/ready", timeout=5).status_code == 200
    metadata = httpx.get(f"{base}/v2/models/credit-risk", timeout=5).json()
    assert metadata["inputs"][0]["shape"] == [-1, len(FEATURES)]
    body = {"inputs": [{"name": "features", "datatype": "FP32", "shape": [1, len(FEATURES)], "data": APPLICANT}]}
    answer = httpx.post(f"{base}/v2/models/credit-risk/infer", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    score = answer.json()["outputs"][0]["data"][0]
    assert 0.0 <= score <= 1.0
    bad = httpx.post(f"{base}/v2/models/credit-risk/infer", content=b"{not json", timeout=10)
    assert 400 <= bad.status_code < 500


def test_batch_scoring_entry_point_runs_in_the_image(host) -> None:
    # The batch job (same model and validation, Parquet in and out) ships in the serving image.
    assert host.run("python -m workloads.serving.batch --help").rc == 0


def test_passes_its_own_healthcheck(serving_image: str, running) -> None:
    inspected = json.loads(podman("image", "inspect", serving_image).stdout)[0]
    healthcheck = inspected.get("Healthcheck") or {}
    assert healthcheck.get("Test", [None])[0] == "CMD", "HEALTHCHECK lost: build with --format docker"
    assert inspected["Config"]["StopSignal"] == "SIGTERM"
    # The image's probe targets 8080 (the cluster's port); run it against this container's port.
    port = running[1]
    probe = healthcheck["Test"][1:]
    probe = [part.replace(":8080/", f":{port}/") for part in probe]
    result = podman("exec", running[0].name, *probe, check=False)
    assert result.returncode == 0, result.stderr


def test_no_build_tools_caches_or_secrets_left(host, running) -> None:
    for tool in ("gcc", "cc", "g++", "make", "pip", "pip3", "git", "apt-get-build"):
        assert not host.exists(tool), tool
    assert host.run("python -m pip --version").rc != 0, "pip must not be importable in the image"
    # Searched as root (the inspector, not the app user) so that no directory is skipped unread.
    inspector = testinfra.get_host(f"podman://root@{running[0].name}")
    found = inspector.run(
        "find / -xdev \\( -name .git -o -name '*.whl' -o -name .netrc -o -name .pypirc -o -name 'id_rsa*'"
        " -o -name '*.key' -o -path '*/.cache/pip' -o -path '/tmp/wheels' -o -name .env \\) -print"
    )
    assert found.rc == 0 and found.stdout.strip() == "", found.stdout
    environment = host.check_output("env")
    for marker in ("SECRET", "TOKEN", "PASSWORD", "AWS_ACCESS_KEY"):
        assert marker not in environment.upper(), marker
    code = host.file("/app/workloads/serving/__main__.py")
    assert code.user == "root" and not code.mode & 0o022, "the code must not be writable by the server"
    assert not host.file("/app/workloads/serving/tests").exists


def test_stops_cleanly_on_sigterm(serving_image: str, model_bundle: Path) -> None:
    port = free_port()
    args = ["--host", "127.0.0.1", "--http-port", str(port), "--model-uri", "/models/credit-risk"]
    with run_container(serving_image, args, volumes=[f"{model_bundle}:/models/credit-risk:ro"]) as container:
        wait_http_ok(f"http://127.0.0.1:{port}/v2/health/ready", container)
        podman("stop", "--time", "30", container.name, timeout_s=60)
        exit_code = podman("inspect", "--format", "{{.State.ExitCode}}", container.name).stdout.strip()
        # 137 would mean podman gave up waiting and sent SIGKILL.
        assert exit_code in ("0", "143"), (exit_code, container.logs())
