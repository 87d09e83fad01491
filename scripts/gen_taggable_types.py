"""Generate policies/rego/data/aws_taggable_types.json from the installed pulumi_aws package.

A resource type is taggable when its class's `_internal_init` takes a `tags` argument. The type
token is the string literal passed to `super(<Class>, __self__).__init__(...)`. Parsing the source
with `ast` avoids importing the whole provider SDK (which takes minutes).

Usage: .venv/bin/python scripts/gen_taggable_types.py [--check]
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from importlib.metadata import version
from pathlib import Path

import pulumi_aws

OUTPUT = Path(__file__).resolve().parent.parent / "policies" / "rego" / "data" / "aws_taggable_types.json"


def _type_token(cls: ast.ClassDef) -> str | None:
    for node in ast.walk(cls):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "__init__"
            and isinstance(node.func.value, ast.Call)
            and isinstance(node.func.value.func, ast.Name)
            and node.func.value.func.id == "super"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and node.args[0].value.startswith("aws:")
        ):
            return node.args[0].value
    return None


def _has_tags_argument(cls: ast.ClassDef) -> bool:
    for item in cls.body:
        if isinstance(item, ast.FunctionDef) and item.name == "_internal_init":
            return any(arg.arg == "tags" for arg in item.args.args + item.args.kwonlyargs)
    return False


def taggable_types(package_root: Path) -> list[str]:
    tokens: set[str] = set()
    for source in package_root.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        if "_internal_init" not in text or "tags" not in text:
            continue
        for node in ast.parse(text).body:
            if isinstance(node, ast.ClassDef) and _has_tags_argument(node):
                token = _type_token(node)
                if token is not None:
                    tokens.add(token)
    return sorted(tokens)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed file is stale")
    args = parser.parse_args()
    document = {
        "source": f"pulumi-aws {version('pulumi_aws')}",
        "types": taggable_types(Path(pulumi_aws.__file__).parent),
    }
    rendered = json.dumps(document, indent=1) + "\n"
    if args.check:
        if OUTPUT.read_text(encoding="utf-8") != rendered:
            print(f"{OUTPUT} is stale: run scripts/gen_taggable_types.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(rendered, encoding="utf-8")
    print(f"wrote {len(document['types'])} taggable types to {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
