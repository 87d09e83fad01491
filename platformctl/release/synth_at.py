"""Child process of `synthesize_at_commit`: synthesize with the infra/ program found in SOURCE.

Usage: python -m platformctl.release.synth_at SOURCE STACK STACKS_DIR OUT.json
SOURCE goes first on sys.path before anything imports `infra`, so the program synthesized is the
one exported from the bundle's commit, not the one installed beside platformctl.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from platformctl.errors import EXIT_ERROR, EXIT_OK


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print("usage: python -m platformctl.release.synth_at SOURCE STACK STACKS_DIR OUT.json", file=sys.stderr)
        return EXIT_ERROR
    source, stack, stacks_dir, out = argv
    if "infra" in sys.modules:
        print("infra was imported before its source was chosen", file=sys.stderr)
        return EXIT_ERROR
    sys.path.insert(0, source)
    from platformctl.errors import PlatformError
    from platformctl.synth import synthesize

    try:
        document = synthesize(stack, Path(stacks_dir))
    except PlatformError as exc:
        print(f"{exc}", file=sys.stderr)
        return EXIT_ERROR
    program = Path(sys.modules["infra"].__file__ or "").resolve()
    if not program.is_relative_to(Path(source).resolve()):
        print(f"synthesized {program}, not the program of the requested commit", file=sys.stderr)
        return EXIT_ERROR
    Path(out).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
