"""Lineage: which source files and which feature-view versions fed which materialization or training set.

Each run appends one OpenLineage RunEvent (JSON, spec 2-0-2) to a JSON-lines file beside the registry;
named training sets are also Feast saved datasets in the registry (docs/adr/0019-lineage.md).
`python -m workloads.features.lineage --repo DIR [--dataset NAME]` lists what fed what.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feast import FeatureStore

PRODUCER = "https://github.com/uae-ml-platform/workloads/features"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
NAMESPACE = "feast://credit_risk"
LINEAGE_FILE = "lineage/openlineage.jsonl"


def view_version(view: Any) -> str:
    """A content hash of the view's definition: changes whenever its schema, source, TTL or UDF change."""
    spec = view.to_proto().spec
    return hashlib.sha256(spec.SerializeToString(deterministic=True)).hexdigest()[:16]


def _file_digest(uri: str) -> str | None:
    path = Path(uri)
    if not path.is_file():
        return None  # s3:// sources: the object's ETag/version is the digest; not fetched here
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_uri(store: FeatureStore, view: Any) -> str:
    source = view.batch_source
    uri = source.path
    if "://" not in uri and not Path(uri).is_absolute():
        uri = str(Path(store.repo_path) / uri)
    return uri


def input_datasets(store: FeatureStore, views: list[Any]) -> list[dict[str, Any]]:
    datasets = []
    for view in views:
        uri = source_uri(store, view)
        facets: dict[str, Any] = {
            "feast_feature_view": {"_producer": PRODUCER, "_schemaURL": SCHEMA_URL, "name": view.name,
                                   "version": view_version(view), "ttl_seconds": int(view.ttl.total_seconds()),
                                   "features": [f.name for f in view.features]},
        }  # fmt: skip
        digest = _file_digest(uri)
        if digest:
            facets["sha256"] = {"_producer": PRODUCER, "_schemaURL": SCHEMA_URL, "value": digest}
        datasets.append(
            {"namespace": "file" if "://" not in uri else uri.split("://")[0], "name": uri, "facets": facets}
        )
    return datasets


def lineage_path(store: FeatureStore) -> Path:
    return Path(store.repo_path) / LINEAGE_FILE


def emit(store: FeatureStore, job: str, inputs: list[dict[str, Any]], outputs: list[dict[str, Any]],
         run_facets: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    event = {
        "eventType": "COMPLETE",
        "eventTime": datetime.now(UTC).isoformat(),
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": str(uuid.uuid4()), "facets": run_facets or {}},
        "job": {"namespace": NAMESPACE, "name": job},
        "inputs": inputs,
        "outputs": outputs,
    }
    path = lineage_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.write(json.dumps(event, sort_keys=True) + "\n")
    return event


def read_events(repo_path: Path) -> list[dict[str, Any]]:
    path = Path(repo_path) / LINEAGE_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Show which sources and feature-view versions fed each run.")
    parser.add_argument("--repo", type=Path, required=True, help="the rendered feature repo (registry.db beside it)")
    parser.add_argument("--dataset", help="only runs that wrote this output dataset (e.g. a training set name)")
    args = parser.parse_args(argv)
    for event in read_events(args.repo):
        outputs = [o["name"] for o in event["outputs"]]
        if args.dataset and args.dataset not in outputs:
            continue
        views = [f"{i['facets']['feast_feature_view']['name']}@{i['facets']['feast_feature_view']['version']}"
                 for i in event["inputs"] if "feast_feature_view" in i["facets"]]  # fmt: skip
        print(f"{event['eventTime']} {event['job']['name']}: {', '.join(views)} -> {', '.join(outputs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
