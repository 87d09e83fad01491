"""Keyed pseudonyms for direct identifiers (UAE PDPL): national ID, name and phone never reach a store.

HMAC-SHA256 under a secret key: the same person always maps to the same pseudonym (joins keep working),
nobody without the key can recompute or reverse it, and rotating the key unlinks every old pseudonym.
The key comes from AWS Secrets Manager in the cluster (PLATFORM_PSEUDONYM_SECRET_ARN) and from a local
key file here (PLATFORM_PSEUDONYM_KEY_FILE, default out/dataplane/pseudonym.key), never from the repo.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import stat
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_KEY_FILE = REPO_ROOT / "out" / "dataplane" / "pseudonym.key"
KEY_BYTES = 32
PSEUDONYM_PATTERN = r"^[0-9a-f]{64}$"


class PseudonymKeyError(RuntimeError):
    """The pseudonymization key is missing, unreadable or too widely readable."""


def _normalize(kind: str, value: str) -> str:
    # One spelling per identifier, so "784-1990-..." and "7841990..." are the same person.
    if kind in ("national_id", "phone"):
        return re.sub(r"[^0-9]", "", value)
    return " ".join(value.casefold().split())


class Pseudonymizer:
    """Maps identifiers to hex HMAC-SHA256 pseudonyms; the identifier kind is part of the message."""

    def __init__(self, key: bytes) -> None:
        if len(key) < KEY_BYTES:
            raise PseudonymKeyError(f"pseudonymization key must be at least {KEY_BYTES} bytes, got {len(key)}")
        self._key = key

    def pseudonym(self, kind: str, value: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{kind} is empty: cannot pseudonymize")
        message = f"{kind}:{_normalize(kind, value)}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def applicant_id(self, national_id: str) -> str:
        return self.pseudonym("national_id", national_id)


def _read_key_file(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PseudonymKeyError(f"{path} is readable by others (mode {mode:o}): run chmod 600 {path}")
    return base64.b64decode(path.read_text().strip())


def create_key_file(path: Path) -> None:
    """Writes a fresh random key, readable by its owner only (created 0600, never widened)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n")


def _key_from_secrets_manager(secret_arn: str) -> bytes:
    import boto3  # only in the cluster image

    region = os.environ.get("AWS_REGION", "me-central-1")
    secret = boto3.client("secretsmanager", region_name=region).get_secret_value(SecretId=secret_arn)
    return base64.b64decode(secret["SecretString"].strip())


def load_key(create: bool = True) -> bytes:
    """The key from Secrets Manager when PLATFORM_PSEUDONYM_SECRET_ARN is set, else from the local key file."""
    secret_arn = os.environ.get("PLATFORM_PSEUDONYM_SECRET_ARN")
    if secret_arn:
        return _key_from_secrets_manager(secret_arn)
    path = Path(os.environ.get("PLATFORM_PSEUDONYM_KEY_FILE", DEFAULT_KEY_FILE))
    if not path.exists():
        if not create:
            raise PseudonymKeyError(f"no pseudonymization key at {path}: set PLATFORM_PSEUDONYM_KEY_FILE")
        try:
            create_key_file(path)
        except FileExistsError:
            pass  # another process created it first: read theirs
    return _read_key_file(path)


def default_pseudonymizer() -> Pseudonymizer:
    return Pseudonymizer(load_key())
