"""Feast feature server for the credit-risk repo: `python -m workloads.features.server --repo DIR`.

Renders the profile's feature_store.yaml (local, or aws from the stack outputs), applies the definitions
when the registry is new, then serves Feast's HTTP API (/get-online-features, /health, ...) behind a
request check: a malformed lookup is answered 400 with the reason instead of Feast's 500, and a raw
identifier in place of the pseudonym is refused. Binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from pathlib import Path
from typing import Any

from workloads.features.names import JOIN_KEY
from workloads.features.pseudonymize import PSEUDONYM_PATTERN

MAX_ENTITIES = 1000
_PSEUDONYM = re.compile(PSEUDONYM_PATTERN)


def lookup_problem(body: bytes) -> str | None:
    """Why a /get-online-features body cannot be served, or None when it can."""
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return f"body is not JSON: {error}"
    if not isinstance(request, dict):
        return "body must be a JSON object"
    features, service = request.get("features"), request.get("feature_service")
    if (features is None) == (service is None):
        return "give exactly one of 'features' (list of view:feature) or 'feature_service'"
    if features is not None and (not isinstance(features, list) or not features
                                 or not all(isinstance(f, str) and ":" in f for f in features)):  # fmt: skip
        return "'features' must be a non-empty list of 'view:feature' strings"
    if service is not None and not isinstance(service, str):
        return "'feature_service' must be a string"
    entities = request.get("entities")
    if not isinstance(entities, dict) or set(entities) != {JOIN_KEY}:
        return f"'entities' must be an object with exactly one key, {JOIN_KEY!r}"
    ids = entities[JOIN_KEY]
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_ENTITIES:
        return f"'entities.{JOIN_KEY}' must be a list of 1 to {MAX_ENTITIES} ids"
    bad = next((i for i in ids if not isinstance(i, str) or not _PSEUDONYM.match(i)), None)
    if bad is not None or any(i is None for i in ids):
        return f"{JOIN_KEY} values must be 64-hex pseudonyms (never a raw national ID); got {str(bad)[:80]!r}"
    return None


class OnlineRequestCheck:
    """ASGI wrapper: reads the lookup body, answers 400 with a reason, or replays it to Feast's app."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/get-online-features" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        problem = lookup_problem(body)
        if problem:
            payload = json.dumps({"error": problem}).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
            await send({"type": "http.response.start", "status": 400, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
            return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repo", type=Path, required=True, help="feature repo directory (feature_store.yaml goes here)"
    )
    parser.add_argument("--profile", choices=("local", "aws"), default="local")
    parser.add_argument("--stack-outputs", type=Path, help="stack outputs JSON (aws profile)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6566)
    parser.add_argument("--workers", type=int, default=1, help="kept for compatibility; one process serves")
    parser.add_argument("--registry-ttl", type=int, default=5, help="seconds between registry refreshes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("feast").setLevel(logging.WARNING)

    import uvicorn
    from feast.feature_server import get_app

    from workloads.features.store import open_store

    repo = args.repo.resolve()
    store = open_store(repo, args.profile, stack_outputs=args.stack_outputs, apply=not (repo / "registry.db").exists())
    app = OnlineRequestCheck(get_app(store, args.registry_ttl))
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
