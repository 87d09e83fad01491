"""`python -m workloads.training` (or `torchrun --nproc-per-node 2 -m workloads.training`).

Exit codes: 0 trained (and registered when a tracking URI is set), 2 bad configuration or unusable data,
3 the quality gate refused the candidate (nothing registered), 1 anything else.
"""

from __future__ import annotations

import json
import logging
import sys

from workloads.training.config import ConfigError, config_from_args
from workloads.training.data import TrainingDataError
from workloads.training.model import BundleError
from workloads.training.pipeline import train_and_register
from workloads.training.registry import RegistryError

EXIT_BAD_INPUT = 2
EXIT_GATE_REFUSED = 3


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = config_from_args(argv)
        result = train_and_register(config)
    except (ConfigError, TrainingDataError, BundleError) as exc:
        print(f"training: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RegistryError as exc:
        print(f"training: registry: {exc}", file=sys.stderr)
        return 1
    if result.rank != 0:
        return 0
    summary = {
        "bundle": str(result.bundle_dir),
        "metrics": result.metrics,
        "gate": result.gate.as_dict() if result.gate else None,
        "registered": result.registered.uri if result.registered else None,
        "training": result.stats.__dict__ if result.stats else None,
    }
    print(json.dumps(summary, default=str))
    return EXIT_GATE_REFUSED if result.refused else 0


if __name__ == "__main__":
    sys.exit(main())
