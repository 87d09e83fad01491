"""Pulumi entry point (`main: infra/`): validate the stack config, declare the platform, export."""

import sys
from pathlib import Path

# The CLI runs this file with infra/ as the working program; make `import infra...` resolve.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi  # noqa: E402

from infra.config import ConfigError, load_config  # noqa: E402
from infra.program import build  # noqa: E402

try:
    config = load_config()
except ConfigError as exc:  # a clear one-line error in `pulumi preview/up`, not a traceback
    raise pulumi.RunError(str(exc)) from None
outputs = build(config)
for key, value in outputs.items():
    pulumi.export(key, value)
