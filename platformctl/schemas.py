"""The JSON Schemas of schemas/ (JSON Schema draft-07: the draft OPA's type checker reads, `opa check -s schemas`), checked with jsonschema.

One place turns a schema violation into the one-line error the CLI prints (exit 2): the location
of the first problem and what is wrong there. A schema may say it in its own words with an
`x-message` keyword next to the constraint (jsonschema ignores unknown keywords).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match

from platformctl.errors import PlatformError

SCHEMAS_DIR = Path(__file__).resolve().parents[1] / "schemas"


# The envelope of a schema: the same document with these top-level properties only shallowly
# typed. jsonschema takes ~0.3 ms per normalized resource (3 s for a 10,000-resource preview), so an
# engine handed a document checks its envelope on every call (what it needs to evaluate at all); the
# full schema is the contract the reader's output is tested against (tests/unit/test_schemas.py).
_ENVELOPES: dict[str, dict[str, Any]] = {
    "gate-input": {"required": ["schema", "resources"], "resources": {"type": "array"}, "providers": {"type": "array"}},
}


@cache
def schema(name: str) -> dict[str, Any]:
    document = json.loads((SCHEMAS_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft7Validator.check_schema(document)
    return dict(document)


@cache
def validator(name: str, *, envelope: bool = False) -> Draft7Validator:
    """The validator of schemas/<name>.schema.json, or of its envelope (see _ENVELOPES)."""
    document = schema(name)
    if envelope:
        shallow = dict(_ENVELOPES[name])
        document = {
            **document,
            "required": shallow.pop("required"),
            "properties": {**document["properties"], **shallow},
        }
    return Draft7Validator(document, format_checker=FormatChecker())


def location(path: Any) -> str:
    """`resources[3].region` for the path [resources, 3, region]."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def describe(error: ValidationError) -> str:
    """What is wrong, in one line, without echoing a whole (possibly large or secret) instance."""
    custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    if error.validator == "required":
        missing = error.message.split("'")[1] if error.message.count("'") >= 2 else error.message
        return f"missing {missing}"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set((error.schema or {}).get("properties", {}))
        extra = sorted(str(k) for k in error.instance if k not in allowed)
        return f"unknown field(s) {', '.join(extra)[:200]}"
    if error.instance is None or error.instance == "":
        return f"missing {error.path[-1]}" if error.path else "empty document"
    if custom:
        return str(custom)
    message = error.message.splitlines()[0]
    return message if len(message) <= 200 else message[:197] + "..."


def first_error(name: str, instance: Any, *, envelope: bool = False) -> ValidationError | None:
    checker = validator(name, envelope=envelope)
    if checker.is_valid(instance):
        return None
    return best_match(checker.iter_errors(instance))


def check(name: str, instance: Any, error: type[PlatformError], where: str, *, envelope: bool = False) -> None:
    """Raise `error` with one line (`where: location: problem`) when instance breaks schemas/<name>."""
    problem = first_error(name, instance, envelope=envelope)
    if problem is None:
        return
    place = location(problem.absolute_path)
    raise error(f"{where}: {place}: {describe(problem)}" if place else f"{where}: {describe(problem)}")
