"""Where a command's report goes: a file (parents created) or standard output."""

from __future__ import annotations

import sys
from pathlib import Path


def emit(text: str, output: str | None) -> None:
    if output:
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
