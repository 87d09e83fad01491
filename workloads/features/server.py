"""Feast feature server for the credit-risk repo: `python -m workloads.features.server --repo DIR`.

Renders the profile's feature_store.yaml (local, or aws from the stack outputs), applies the definitions
when the registry is new, then serves Feast's HTTP API (/get-online-features, /push, /health).
Binds 127.0.0.1 unless told otherwise (the cluster sets --host 0.0.0.0 behind its Service).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from feast.feature_server import start_server

from workloads.features.store import open_store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repo", type=Path, required=True, help="feature repo directory (feature_store.yaml goes here)"
    )
    parser.add_argument("--profile", choices=("local", "aws"), default="local")
    parser.add_argument("--stack-outputs", type=Path, help="stack outputs JSON (aws profile)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6566)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--registry-ttl", type=int, default=5, help="seconds between registry refreshes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    repo = args.repo.resolve()
    store = open_store(repo, args.profile, stack_outputs=args.stack_outputs, apply=not (repo / "registry.db").exists())
    start_server(
        store,
        host=args.host,
        port=args.port,
        no_access_log=True,
        workers=args.workers,
        worker_connections=1000,
        max_requests=0,
        max_requests_jitter=0,
        keep_alive_timeout=30,
        registry_ttl_sec=args.registry_ttl,
        tls_key_path="",
        tls_cert_path="",
        metrics=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
