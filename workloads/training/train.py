"""The training loop: DDP under torchrun (gloo on CPU, nccl on GPU), AMP on GPU, rank-0 checkpoints and exact resume.

Exact resume rests on three things: the DistributedSampler's order depends only on (seed, epoch); a checkpoint
holds model, optimizer, GradScaler, every rank's RNG states and the global step; and a resumed run skips the
batches of the current epoch that were already consumed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import random
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler, TensorDataset

from workloads.training.config import FEATURES, LABEL, ConfigError, TrainingConfig
from workloads.training.model import CreditRiskMLP

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistributedContext:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    backend: str | None

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.backend is not None


@dataclass(frozen=True)
class TrainingStats:
    steps: int
    total_steps: int
    resumed_from_step: int
    samples_per_second: float
    final_loss: float
    amp: bool
    device: str
    backend: str
    world_size: int


def _launched_by_torchrun() -> bool:
    return all(name in os.environ for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"))


@contextmanager
def distributed_context() -> Iterator[DistributedContext]:
    """Joins the process group when torchrun launched us; tears it down whatever happens."""
    if not _launched_by_torchrun():
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
        yield DistributedContext(rank=0, world_size=1, local_rank=0, device=device, backend=None)
        return
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_nccl = torch.cuda.is_available() and dist.is_nccl_available()
    backend = "nccl" if use_nccl else "gloo"
    if use_nccl:
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend=backend)
    try:
        yield DistributedContext(
            rank=dist.get_rank(),
            world_size=dist.get_world_size(),
            local_rank=local_rank,
            device=torch.device(f"cuda:{local_rank}" if use_nccl else "cpu"),
            backend=backend,
        )
    finally:
        dist.destroy_process_group()


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    # cuBLAS needs this workspace setting for deterministic GEMMs; harmless on CPU.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    if torch.backends.cudnn.is_available():
        torch.backends.cudnn.benchmark = False


def _rng_state(device: torch.device) -> dict[str, object]:
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
        "numpy": np.random.get_state(),
        "python": random.getstate(),
    }


def _set_rng_state(state: dict[str, object], device: torch.device) -> None:
    torch.set_rng_state(state["torch"])  # type: ignore[arg-type]
    if device.type == "cuda" and state.get("cuda") is not None:
        torch.cuda.set_rng_state(state["cuda"], device)  # type: ignore[arg-type]
    np.random.set_state(state["numpy"])  # type: ignore[arg-type]
    random.setstate(state["python"])  # type: ignore[arg-type]


def run_fingerprint(config: TrainingConfig, frame: pd.DataFrame, world_size: int, model: nn.Module) -> str:
    """What a checkpoint must match to be resumed: data, hyperparameters, world size and the model's
    state-dict layout (a code change that adds or reshapes a tensor makes old checkpoints start fresh)."""
    relevant = {
        "architecture": [(name, list(tensor.shape)) for name, tensor in model.state_dict().items()],
        "seed": config.seed,
        "epochs": config.epochs,
        "batch_size": config.batch_size,
        "learning_rate": config.learning_rate,
        "weight_decay": config.weight_decay,
        "hidden_sizes": list(config.hidden_sizes),
        "world_size": world_size,
        "rows": pd.util.hash_pandas_object(frame[[*FEATURES, LABEL]], index=False).sum().item(),
    }
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()


def _atomic_save(payload: dict[str, object], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)  # a kill mid-write never leaves a torn checkpoint behind


def _load_checkpoint(path: Path, fingerprint: str) -> dict[str, object] | None:
    if not path.is_file():
        return None
    # Our own file, holding numpy/random RNG state tuples: not loadable with weights_only.
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    if checkpoint.get("fingerprint") != fingerprint:
        log.warning("checkpoint %s belongs to another run (data, settings or world size differ): starting fresh", path)
        return None
    return checkpoint


def train_model(
    config: TrainingConfig, train: pd.DataFrame, ctx: DistributedContext
) -> tuple[CreditRiskMLP, TrainingStats]:
    seed_everything(config.seed)
    features = torch.tensor(train[list(FEATURES)].to_numpy(dtype="float32"))
    labels = torch.tensor(train[LABEL].to_numpy(dtype="float32"))
    model = CreditRiskMLP(len(FEATURES), config.hidden_sizes)
    model.set_standardization(features.mean(dim=0), features.std(dim=0))
    model.to(ctx.device)
    wrapped: nn.Module = (
        DistributedDataParallel(model, device_ids=[ctx.local_rank] if ctx.device.type == "cuda" else None)
        if ctx.distributed
        else model
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    use_amp = config.amp and ctx.device.type == "cuda"
    scaler = torch.amp.GradScaler(ctx.device.type, enabled=use_amp)
    loss_fn = nn.BCEWithLogitsLoss()

    dataset = TensorDataset(features, labels)
    sampler = DistributedSampler(dataset, num_replicas=ctx.world_size, rank=ctx.rank, shuffle=True, seed=config.seed)
    steps_per_epoch = math.ceil(len(sampler) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs

    fingerprint = run_fingerprint(config, train, ctx.world_size, model)
    step = 0
    checkpoint = _load_checkpoint(config.checkpoint_path, fingerprint) if config.resume else None
    if checkpoint is not None:
        model.load_state_dict(checkpoint["model"])  # type: ignore[arg-type]
        optimizer.load_state_dict(checkpoint["optimizer"])  # type: ignore[arg-type]
        scaler.load_state_dict(checkpoint["scaler"])  # type: ignore[arg-type]
        rng_states = checkpoint["rng"]
        if len(rng_states) != ctx.world_size:  # type: ignore[arg-type]
            raise ConfigError(f"checkpoint was written by {len(rng_states)} ranks, this run has {ctx.world_size}")  # type: ignore[arg-type]
        _set_rng_state(rng_states[ctx.rank], ctx.device)  # type: ignore[index]
        step = int(checkpoint["step"])  # type: ignore[arg-type]
        if ctx.is_main:
            log.info("resumed from %s at step %d/%d", config.checkpoint_path, step, total_steps)
    resumed_from = step

    started = time.perf_counter()
    samples = 0
    last_loss = float("nan")
    wrapped.train()
    while step < total_steps:
        epoch = step // steps_per_epoch
        sampler.set_epoch(epoch)
        order = list(sampler)
        for offset in range((step % steps_per_epoch) * config.batch_size, len(order), config.batch_size):
            batch = torch.tensor(order[offset : offset + config.batch_size])
            x = features[batch].to(ctx.device, non_blocking=True)
            y = labels[batch].to(ctx.device, non_blocking=True)
            with torch.autocast(device_type=ctx.device.type, dtype=torch.float16, enabled=use_amp):
                loss = loss_fn(wrapped(x), y)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            step += 1
            samples += len(batch)
            last_loss = loss.item()
            if step % config.checkpoint_every == 0 or step == total_steps:
                _checkpoint(config, ctx, model, optimizer, scaler, step, fingerprint)
            if step >= total_steps:
                break
    elapsed = time.perf_counter() - started
    model.to("cpu").eval()
    stats = TrainingStats(
        steps=step,
        total_steps=total_steps,
        resumed_from_step=resumed_from,
        samples_per_second=round(samples * ctx.world_size / elapsed, 1) if elapsed > 0 and samples else 0.0,
        final_loss=round(last_loss, 6),
        amp=use_amp,
        device=ctx.device.type,
        backend=ctx.backend or "single-process",
        world_size=ctx.world_size,
    )
    return model, stats


def _checkpoint(
    config: TrainingConfig,
    ctx: DistributedContext,
    model: CreditRiskMLP,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    step: int,
    fingerprint: str,
) -> None:
    rng = _rng_state(ctx.device)
    if ctx.distributed:
        # Every rank's RNG state, so each resumes its own stream; a collective, so all ranks call it.
        gathered: list[object] = [None] * ctx.world_size
        dist.all_gather_object(gathered, rng)
    else:
        gathered = [rng]
    if ctx.is_main:
        _atomic_save(
            {
                "step": step,
                "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
                "optimizer": optimizer.state_dict(),
                "scaler": scaler.state_dict(),
                "rng": gathered,
                "fingerprint": fingerprint,
            },
            config.checkpoint_path,
        )
        if config.kill_after_checkpoint_step == step:
            # Fault injection for the resume test: die as abruptly as an OOM kill or a lost node would.
            os.kill(os.getpid(), signal.SIGKILL)
