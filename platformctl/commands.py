"""Sub-commands beyond synth: gate, residency, controls (registered on the CLI parser)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add the gate-side sub-commands to the parser's subparsers action."""
    del sub
