"""scripts/dataplane.sh up|status|down: the one command that starts and stops the local data plane."""

from __future__ import annotations

import os
import subprocess
import urllib.request

import pytest

from workloads.testing.servers import REPO_ROOT

pytestmark = pytest.mark.integration


def _dataplane(command: str, state, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PLATFORM_DATAPLANE_DIR": str(state)}
    return subprocess.run([str(REPO_ROOT / "scripts" / "dataplane.sh"), command, *extra], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_up_status_down(tmp_path, pseudonym_key_file):
    state = tmp_path / "dataplane"
    try:
        started = _dataplane("up", state, "--applicants", "30")
        assert started.returncode == 0, started.stderr[-2000:]
        env = dict(line.split("=", 1) for line in (state / "env").read_text().split())
        assert _dataplane("status", state).returncode == 0
        with urllib.request.urlopen(f"http://127.0.0.1:{env['FEATURE_SERVER_PORT']}/health", timeout=10) as answer:
            assert answer.status == 200
        assert _dataplane("up", state).returncode == 1  # a second start refuses instead of orphaning servers
    finally:
        stopped = _dataplane("down", state)
    assert stopped.returncode == 0 and "stopped feature-server" in stopped.stdout
    status = _dataplane("status", state)
    assert status.returncode == 3 and status.stdout.count("stopped") == 3
