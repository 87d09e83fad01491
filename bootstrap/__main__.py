"""Pulumi entry point of the bootstrap program (bootstrap/Pulumi.yaml): validate config, declare, export."""

import sys
from pathlib import Path

# The CLI runs this file with bootstrap/ as the working program; make `import bootstrap...` resolve.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi  # noqa: E402

from bootstrap.config import BootstrapConfigError, load_config  # noqa: E402
from bootstrap.program import build  # noqa: E402

try:
    config = load_config()
except BootstrapConfigError as exc:
    raise pulumi.RunError(str(exc)) from None
for key, value in build(config).items():
    pulumi.export(key, value)
