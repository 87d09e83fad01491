"""The provenance ledger: append-only, hash-chained JSON lines, one file per stack.

releases/provenance/<stack>.jsonl holds one record per line. Each record carries `prev`, the
digest of the record before it in the same file (the first one points at GENESIS), and `digest`,
the sha256 of its own canonical JSON without `digest`. Editing, reordering or deleting any line
breaks the chain at that line, and every read verifies the whole chain, so a tampered ledger is an
error (exit 2) and never a source of verdicts. Git history and CODEOWNERS review keep the file
itself append-only in practice; the chain makes a rewrite visible.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from platformctl.errors import PlatformError
from platformctl.release.bundle import canonical_json, sha256_digest

RECORD_SCHEMA = "uae-ml-platform/provenance/v1"
GENESIS = "sha256:" + "0" * 64
KINDS = ("verdict", "promotion")
REQUIRED_FIELDS = (
    "schema",
    "seq",
    "kind",
    "stack",
    "bundle_digest",
    "bundle",
    "source_commit",
    "preview_digest",
    "gate",
    "policy_set_digest",
    "who",
    "when",
    "prev",
    "digest",
)


class LedgerError(PlatformError):
    """The provenance ledger is unreadable or its hash chain is broken."""


def ledger_path(ledger_dir: Path, stack: str) -> Path:
    return ledger_dir / f"{stack}.jsonl"


def record_digest(record: dict[str, Any]) -> str:
    return sha256_digest(canonical_json({k: v for k, v in record.items() if k != "digest"}))


def read_ledger(ledger_dir: Path, stack: str) -> list[dict[str, Any]]:
    """Every record of `stack`, oldest first, after verifying the chain. No file: no records."""
    path = ledger_path(ledger_dir, stack)
    if not path.exists():
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"cannot read {path}: {exc}") from None
    records: list[dict[str, Any]] = []
    prev = GENESIS
    for number, line in enumerate(lines, start=1):
        where = f"{path.name}:{number}"
        if not line.strip():
            raise LedgerError(f"{where}: blank line in an append-only ledger (tampered or hand-edited)")
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LedgerError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise LedgerError(f"{where}: a record must be a JSON object")
        missing = [f for f in REQUIRED_FIELDS if f not in record]
        if missing:
            raise LedgerError(f"{where}: record lacks {', '.join(missing)}")
        if record["schema"] != RECORD_SCHEMA or record["kind"] not in KINDS or record["stack"] != stack:
            raise LedgerError(f"{where}: not a {RECORD_SCHEMA} record of stack {stack!r}")
        if record["seq"] != number - 1:
            raise LedgerError(f"{where}: seq {record['seq']!r} out of order (expected {number - 1})")
        if record["prev"] != prev:
            raise LedgerError(f"{where}: hash chain broken (prev does not match the record before it)")
        if record["digest"] != record_digest(record):
            raise LedgerError(f"{where}: record digest does not match its content (tampered)")
        prev = record["digest"]
        records.append(record)
    return records


def append_record(ledger_dir: Path, stack: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Chain `fields` onto the stack's ledger and append it as one line. Returns the full record."""
    existing = read_ledger(ledger_dir, stack)
    record = {
        "schema": RECORD_SCHEMA,
        "seq": len(existing),
        "stack": stack,
        **fields,
        "prev": existing[-1]["digest"] if existing else GENESIS,
    }
    record["digest"] = record_digest(record)
    missing = [f for f in REQUIRED_FIELDS if f not in record]
    if missing:  # a programming error; refuse to write a record the reader would reject
        raise LedgerError(f"refusing to write a record without {', '.join(missing)}")
    path = ledger_path(ledger_dir, stack)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    # O_APPEND: the line lands after whatever is there, even if another writer raced us; the chain
    # check on the next read then reports the fork instead of silently losing a record.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)
    return record


def allow_verdict(records: list[dict[str, Any]], bundle_digest: str) -> dict[str, Any] | None:
    """The allow verdict that stands for `bundle_digest`, or None.

    Verdicts for a bundle are read in order: a deny cancels every allow before it, so the bundle
    must be allowed again after a deny. The earliest allow since the last deny is returned: soak
    time counts from when the bundle was first verified without a deny after it.
    """
    standing: dict[str, Any] | None = None
    for record in records:
        if record["kind"] != "verdict" or record["bundle_digest"] != bundle_digest:
            continue
        if record["gate"].get("verdict") == "allow":
            standing = standing or record
        else:
            standing = None
    return standing
