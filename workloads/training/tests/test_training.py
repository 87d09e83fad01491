"""Training: config, exact resume after a SIGKILL, a 2-process torchrun run on CPU, the quality gate."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from workloads.testing.model_servers import REPO_ROOT
from workloads.training.config import ConfigError, QualityGate, TrainingConfig, config_from_args
from workloads.training.evaluate import quality_gate

# Small enough for seconds per run: 240 training rows, batches of 32 -> 8 steps per epoch, 16 steps in all.
TINY = ["--n-applicants", "300", "--epochs", "2", "--batch-size", "32", "--checkpoint-every", "5"]


def _train(out_dir: Path, *extra: str, torchrun: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    module = ["-m", "workloads.training", "--out-dir", str(out_dir), *TINY, *extra]
    if torchrun:
        command = [str(Path(sys.executable).parent / "torchrun"), "--standalone", "--nproc-per-node", "2", *module]
    else:
        command = [sys.executable, *module]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=REPO_ROOT, env=env)


def _final_weights(out_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(out_dir / "checkpoint.pt", map_location="cpu", weights_only=False)["model"]


def test_config_reads_flags_over_env_and_rejects_nonsense() -> None:
    config = config_from_args(["--epochs", "3", "--hidden-sizes", "8,4"], {"TRAIN_EPOCHS": "9", "TRAIN_SEED": "5"})
    assert (config.epochs, config.seed, config.hidden_sizes) == (3, 5, (8, 4))
    with pytest.raises(ConfigError, match="learning_rate"):
        TrainingConfig(learning_rate=5.0)
    with pytest.raises(ConfigError, match="feature_repo and labels_path"):
        TrainingConfig(feature_repo=Path("repo"))
    with pytest.raises(ConfigError, match="integers"):
        config_from_args(["--hidden-sizes", "8,x"], {})


def test_run_killed_after_checkpoint_resumes_to_identical_weights(tmp_path: Path) -> None:
    uninterrupted = _train(tmp_path / "full")
    assert uninterrupted.returncode == 0, uninterrupted.stderr[-3000:]

    # Step 10 is mid-epoch 2: the resumed run must also skip the batches epoch 2 already consumed.
    killed = _train(tmp_path / "killed", "--kill-after-checkpoint-step", "10")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert torch.load(tmp_path / "killed" / "checkpoint.pt", weights_only=False)["step"] == 10

    resumed = _train(tmp_path / "killed")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    summary = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert summary["training"]["resumed_from_step"] == 10
    assert summary["training"]["steps"] == 16

    full, again = _final_weights(tmp_path / "full"), _final_weights(tmp_path / "killed")
    assert full.keys() == again.keys()
    for name in full:
        assert torch.equal(full[name], again[name]), f"{name} differs after resume"


def test_two_process_torchrun_on_cpu_uses_gloo(tmp_path: Path) -> None:
    result = _train(tmp_path / "ddp", torchrun=True)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["training"]["world_size"] == 2
    assert summary["training"]["backend"] == "gloo"
    assert summary["training"]["amp"] is False  # CPU: autocast and GradScaler are no-ops
    assert summary["metrics"]["auc"] > 0.6
    assert (tmp_path / "ddp" / "bundle" / "model_int8.pt").is_file()


CHAMPION = {"auc": 0.80, "accuracy": 0.75, "demographic_parity_difference": 0.05, "equalized_odds_difference": 0.05}


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [
        ({**CHAMPION, "auc": 0.70}, "auc"),
        ({**CHAMPION, "accuracy": 0.60}, "accuracy"),
        ({**CHAMPION, "demographic_parity_difference": 0.12}, "less fair"),
        ({**CHAMPION, "demographic_parity_difference": 0.30}, "ceiling"),
    ],
)
def test_quality_gate_refuses_worse_or_less_fair(candidate: dict[str, float], reason: str) -> None:
    decision = quality_gate(candidate, CHAMPION, QualityGate(), champion_version="3")
    assert not decision.passed
    assert any(reason in r for r in decision.reasons)


def test_quality_gate_passes_an_equal_or_better_model() -> None:
    assert quality_gate({**CHAMPION, "auc": 0.81}, CHAMPION, QualityGate(), "3").passed
    assert quality_gate(CHAMPION, None, QualityGate()).passed
