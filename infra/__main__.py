"""Pulumi entry point (`main: infra/`): validate the stack config, declare the platform, export."""

import sys
from pathlib import Path

# The CLI runs this file with infra/ as the working program; make `import infra...` resolve.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi  # noqa: E402

from infra.config import load_config  # noqa: E402
from infra.program import build  # noqa: E402

outputs = build(load_config())
for key, value in outputs.items():
    pulumi.export(key, value)
