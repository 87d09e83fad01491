"""The credit-risk MLP and its on-disk bundle (what MLflow stores and what serving loads).

A bundle is a directory:
  model.json     architecture, feature order, precision variants, registry metadata
  model.pt       fp32 state dict (standardization mean/std are buffers inside it)
  model_int8.pt  pruned + int8 dynamically quantized state dict (CPU inference path)
  model_card.md / model_card.json
Loading needs only torch and this module: the serving image does not import pandas or MLflow for it.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils import prune

from workloads.training.config import FEATURES

BUNDLE_FORMAT = "credit-risk-mlp/1"


class BundleError(ValueError):
    """A model bundle is missing a file or was written for another format."""


class CreditRiskMLP(nn.Module):
    """Standardize -> Linear/ReLU stack -> one logit. Standardization travels with the weights."""

    def __init__(self, n_features: int = len(FEATURES), hidden_sizes: Sequence[int] = (32, 16)) -> None:
        super().__init__()
        self.register_buffer("feature_mean", torch.zeros(n_features))
        self.register_buffer("feature_std", torch.ones(n_features))
        # The probability at which an applicant is flagged; set after training (evaluate.decision_threshold).
        # A buffer, so every copy of the model (checkpoint, pruned, int8, registry download) carries it.
        self.register_buffer("decision_threshold", torch.tensor(0.5))
        layers: list[nn.Module] = []
        width = n_features
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def set_standardization(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.feature_mean.copy_(mean)
        # A constant feature would divide by zero; leave it unscaled instead.
        self.feature_std.copy_(torch.where(std > 1e-8, std, torch.ones_like(std)))

    def standardize(self, features: torch.Tensor) -> torch.Tensor:
        return (features - self.feature_mean) / self.feature_std

    def forward_standardized(self, standardized: torch.Tensor) -> torch.Tensor:
        return self.net(standardized).squeeze(-1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Raw feature rows (n, 10) -> default logits (n,)."""
        return self.forward_standardized(self.standardize(features))


def prune_linear_layers(model: CreditRiskMLP, amount: float) -> CreditRiskMLP:
    """L1 magnitude pruning of every Linear weight, made permanent so the state dict stays plain."""
    if amount <= 0:
        return model
    for module in model.modules():
        if isinstance(module, nn.Linear):
            prune.l1_unstructured(module, name="weight", amount=amount)
            prune.remove(module, "weight")
    return model


def quantize_int8(model: CreditRiskMLP) -> nn.Module:
    """int8 dynamic quantization of the Linear layers (weights int8, activations quantized per batch)."""
    model.eval()
    with warnings.catch_warnings():
        # torch 2.13 marks torch.ao.quantization deprecated in favour of torchao (docs/adr/0016); still works.
        warnings.filterwarnings("ignore", message=".*torch.ao.quantization is deprecated.*")
        warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*deprecated.*")
        return torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)


def save_bundle(
    directory: Path,
    model: CreditRiskMLP,
    quantized: nn.Module | None,
    hidden_sizes: Sequence[int],
    metadata: dict[str, object],
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), directory / "model.pt")
    variants = ["fp32"]
    if quantized is not None:
        torch.save(quantized.state_dict(), directory / "model_int8.pt")
        variants.append("int8")
    spec = {
        "format": BUNDLE_FORMAT,
        "features": list(FEATURES),
        "hidden_sizes": list(hidden_sizes),
        "output": "default_probability",
        "precisions": variants,
        **metadata,
    }
    (directory / "model.json").write_text(json.dumps(spec, indent=2, sort_keys=True, default=str) + "\n")
    return directory


def read_spec(directory: Path) -> dict[str, object]:
    spec_path = directory / "model.json"
    if not spec_path.is_file():
        raise BundleError(f"{directory} is not a model bundle: model.json is missing")
    spec = json.loads(spec_path.read_text())
    if spec.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{spec_path}: format {spec.get('format')!r}, expected {BUNDLE_FORMAT!r}")
    if tuple(spec.get("features", ())) != FEATURES:
        raise BundleError(f"{spec_path}: feature order differs from this code's {list(FEATURES)}")
    return spec


def load_bundle(directory: Path, precision: str = "fp32") -> tuple[nn.Module, dict[str, object]]:
    """The model in eval mode for `precision` ("fp32" or "int8") and the bundle's model.json."""
    spec = read_spec(directory)
    if precision not in spec.get("precisions", []):
        raise BundleError(f"{directory} has no {precision!r} variant; it has {spec.get('precisions')}")
    model = CreditRiskMLP(len(FEATURES), [int(s) for s in spec["hidden_sizes"]])  # type: ignore[union-attr]
    threshold = torch.tensor(float(spec.get("decision_threshold", 0.5)))  # type: ignore[arg-type]
    if precision == "fp32":
        state = torch.load(directory / "model.pt", map_location="cpu", weights_only=True)
        state.setdefault("decision_threshold", threshold)  # bundles written before the buffer existed
        model.load_state_dict(state)
        return model.eval(), spec
    quantized = quantize_int8(model)
    state = torch.load(directory / "model_int8.pt", map_location="cpu", weights_only=False)
    state.setdefault("decision_threshold", threshold)
    quantized.load_state_dict(state)
    return quantized.eval(), spec


@torch.inference_mode()
def predict_proba(model: nn.Module, features: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(model(features.to(torch.float32)))
