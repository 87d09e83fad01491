"""Waivers: a reviewed, owned, expiring exception for one rule on matching resources.

File format (YAML)::

    waivers:
      - rule: UAE-OPS-002                      # a Rego rule id or a Checkov id
        urn: "urn:pulumi:prod::uae-ml-platform::*::legacy-lake"   # glob over the resource URN
        owner: data-platform@example.ae
        reason: Bucket is being migrated; replacement tracked in the ticket.
        ticket: PLAT-1234
        expires: 2027-01-31
        stacks: [prod]                         # optional: limit to these stacks

A malformed file is an error (exit 2), never "no waivers". An expired waiver stops waiving and the
report says so. Waived findings stay in every report, marked waived.

What a waiver URN may match (a waiver is a reviewed exception for named resources, not a switch):

- The stack and project segments are literal: no `*`, `?` or `[...]` there, so a waiver never
  reaches another stack or program (`urn:pulumi:?*` is refused).
- The type or the name segment is literal: `urn:pulumi:prod::uae-ml-platform::*::legacy-lake`
  names one resource wherever it sits, `urn:pulumi:prod::uae-ml-platform::*$aws:s3/bucket:Bucket::*`
  every bucket of the prod stack (a leading `*$` stands for any parent chain). A pattern whose type
  and name are both wildcards would match everything in the stack and is refused.
- Duplicate keys in the YAML (a second `expires:` or `urn:`) are refused: a reviewer reading the
  file and the parser (last one wins) would see different waivers.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from platformctl import schemas
from platformctl.errors import WaiverError

MAX_DURATION_DAYS = 366
_GLOB_CHARS = frozenset("*?[]")
_LITERAL_SEGMENT = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a mapping with the same key twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise WaiverError(f"duplicate key {str(key)[:60]!r} at line {key_node.start_mark.line + 1}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _UniqueKeyLoader.construct_mapping)


def _literal(segment: str) -> bool:
    return bool(segment) and not (_GLOB_CHARS & set(segment))


def check_urn_pattern(pattern: str, where: str) -> None:
    """Refuse waiver URN patterns that reach beyond named resources of one stack (module docstring)."""
    shape = "urn:pulumi:<stack>::<project>::<type>::<name>"
    if not pattern.startswith("urn:pulumi:"):
        raise WaiverError(f"{where}.urn {pattern[:200]!r} must be a URN pattern {shape}")
    parts = pattern.removeprefix("urn:pulumi:").split("::")
    if len(parts) < 4:
        raise WaiverError(f"{where}.urn {pattern[:200]!r} is not a URN pattern with all four segments: {shape}")
    stack, project, type_, name = parts[0], parts[1], parts[2], "::".join(parts[3:])
    for label, segment in (("stack", stack), ("project", project)):
        if not _LITERAL_SEGMENT.match(segment):
            raise WaiverError(
                f"{where}.urn {pattern[:200]!r}: the {label} segment of a URN pattern must name one {label} literally"
            )
    type_literal = _literal(type_.removeprefix("*$"))
    if not type_literal and not _literal(name):
        raise WaiverError(
            f"{where}.urn {pattern[:200]!r}: a URN pattern must name a resource type or a resource name "
            "literally, not wildcards for both"
        )


@dataclass(frozen=True)
class Waiver:
    rule: str
    urn: str
    owner: str
    reason: str
    ticket: str
    expires: dt.date
    stacks: tuple[str, ...] = ()

    def matches(self, rule_id: str, urn: str, stack: str) -> bool:
        if self.rule != rule_id or (self.stacks and stack not in self.stacks):
            return False
        return fnmatch.fnmatchcase(urn, self.urn)

    def expired(self, today: dt.date) -> bool:
        return today > self.expires

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "urn": self.urn,
            "owner": self.owner,
            "reason": self.reason,
            "ticket": self.ticket,
            "expires": self.expires.isoformat(),
            "stacks": list(self.stacks),
        }


def _json_view(value: Any) -> Any:
    """The YAML document as JSON would carry it, for the schema: YAML's bare dates as ISO strings
    (a date with a time stays a datetime, which the schema refuses)."""
    if isinstance(value, dict):
        return {k: _json_view(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_view(v) for v in value]
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _parse_one(index: int, item: dict[str, Any], today: dt.date) -> Waiver:
    """One waiver already valid against schemas/waivers.schema.json: what a schema cannot say."""
    where = f"waivers[{index}]"
    pattern = item["urn"]
    check_urn_pattern(pattern, where)
    if len(item["reason"].strip()) < 10:
        raise WaiverError(f"{where}.reason must explain the exception (10 characters or more)")
    expires = dt.date.fromisoformat(item["expires"])
    if (expires - today).days > MAX_DURATION_DAYS:
        raise WaiverError(
            f"{where}.expires {expires} is more than {MAX_DURATION_DAYS} days away; waivers must be renewed yearly"
        )
    return Waiver(
        rule=item["rule"], urn=pattern, owner=item["owner"].strip(), reason=item["reason"].strip(),
        ticket=item["ticket"].strip(), expires=expires, stacks=tuple(item.get("stacks", [])),
    )  # fmt: skip


def parse_waivers(text: str, today: dt.date, source: str = "waivers") -> list[Waiver]:
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except WaiverError as exc:
        raise WaiverError(f"{source}: {exc}") from None
    except yaml.YAMLError as exc:
        raise WaiverError(f"{source}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if document is None:
        return []
    document = _json_view(document)
    schemas.check("waivers", document, WaiverError, source)
    return [_parse_one(i, item, today) for i, item in enumerate(document["waivers"] or [])]


def load_waivers(path: str | Path | None, today: dt.date) -> list[Waiver]:
    if path is None:
        return []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WaiverError(f"{path}: cannot read waivers ({exc})") from None
    return parse_waivers(text, today, str(path))
