"""The feature store API the model and the streaming consumer use.

paths = generate_dataset(repo / "data")          # pseudonymized parquet + labels
store = open_store(repo)                          # renders feature_store.yaml, applies the definitions
materialize(store)                                # validated (pandera) -> Redis; a bad batch is refused
frame = training_frame(store, pd.read_parquet(paths.labels))   # point-in-time join via credit_risk_v1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from feast import FeatureStore
from feast.infra.offline_stores.file_source import SavedDatasetFileStorage

from workloads.features import lineage
from workloads.features.consent import ConsentLedger
from workloads.features.definitions import (
    ACTIVITY_VIEW,
    FEATURE_NAMES,
    FEATURE_SERVICE,
    JOIN_KEY,
    PROFILE_TTL,
    PROFILE_VIEW,
    feature_definitions,
)
from workloads.features.profiles import render
from workloads.features.validation import BatchRejectedError, validate_activity, validate_profile

VALIDATORS = {PROFILE_VIEW: validate_profile, ACTIVITY_VIEW: validate_activity}
LABEL_COLUMNS = ("applicant_id", "event_timestamp")


class MaterializationRefusedError(RuntimeError):
    """At least one batch failed validation; nothing was materialized. `rejections` holds each reason."""

    def __init__(self, rejections: list[BatchRejectedError]) -> None:
        super().__init__("materialization refused: " + " | ".join(str(r) for r in rejections))
        self.rejections = rejections


@dataclass
class MaterializationReport:
    start: datetime
    end: datetime
    rows: dict[str, int] = field(default_factory=dict)
    purged_withdrawn: int = 0


def open_store(
    repo_path: Path | str,
    profile: str = "local",
    *,
    data_dir: Path | None = None,
    redis_address: str | None = None,
    stack_outputs: dict[str, Any] | Path | None = None,
    apply: bool = True,
) -> FeatureStore:
    """Renders repo_path/feature_store.yaml for the profile and (by default) applies the definitions.

    Local sources default to repo_path/data (where `generate_dataset(repo_path / "data")` writes);
    pass data_dir to use data elsewhere. Redis: redis_address, else PLATFORM_REDIS_ADDR, else the
    port scripts/dataplane.sh wrote to out/dataplane/env.
    """
    repo = Path(repo_path).resolve()
    repo.mkdir(parents=True, exist_ok=True)
    rendered = render(profile, data_dir=data_dir, redis_address=redis_address, stack_outputs=stack_outputs)
    config_path = repo / "feature_store.yaml"
    if not config_path.exists() or config_path.read_text() != rendered.yaml_text:
        config_path.write_text(rendered.yaml_text)
    store = FeatureStore(repo_path=str(repo))
    if apply:
        store.apply(feature_definitions(rendered.locations))
    return store


def _batch(store: FeatureStore, view_name: str, start: datetime, end: datetime) -> pd.DataFrame:
    view = store.get_feature_view(view_name)
    frame = pd.read_parquet(lineage.source_uri(store, view))
    stamps = pd.to_datetime(frame["event_timestamp"], utc=True)
    return frame[(stamps >= start) & (stamps <= end)].reset_index(drop=True)


def validate_sources(store: FeatureStore, start: datetime, end: datetime) -> dict[str, int]:
    """Validates every batch view's rows in [start, end]; raises MaterializationRefusedError listing each failure."""
    rows, rejections = {}, []
    for name, validator in VALIDATORS.items():
        batch = _batch(store, name, start, end)
        try:
            validator(batch, now=end)
        except BatchRejectedError as rejected:
            rejections.append(rejected)
        rows[name] = len(batch)
    if rejections:
        raise MaterializationRefusedError(rejections)
    return rows


def materialize(
    store: FeatureStore, end: datetime | None = None, start: datetime | None = None
) -> MaterializationReport:
    """Validate, then materialize both batch views into the online store, then re-apply consent withdrawals."""
    end = end or datetime.now(UTC)
    start = start or end - PROFILE_TTL - timedelta(days=1)
    report = MaterializationReport(start=start, end=end)
    report.rows = validate_sources(store, start, end)
    views = list(VALIDATORS)
    store.materialize(start_date=start, end_date=end, feature_views=views)
    report.purged_withdrawn = ConsentLedger(store).purge_all_withdrawn()
    lineage.emit(
        store,
        "materialize",
        lineage.input_datasets(store, [store.get_feature_view(v) for v in views]),
        [{"namespace": "redis", "name": f"{store.project}/online", "facets": {}}],
        {"window": {"_producer": lineage.PRODUCER, "_schemaURL": lineage.SCHEMA_URL,
                    "start": start.isoformat(), "end": end.isoformat(), "rows": report.rows}},
    )  # fmt: skip
    return report


def training_frame(store: FeatureStore, labels: pd.DataFrame, *, dataset_name: str | None = None) -> pd.DataFrame:
    """Labels joined point-in-time with the 10 features of credit_risk_v1, in the labels' row order.

    A feature row is used only if its event_timestamp is at or before the label's and within the view's TTL,
    so nothing from after the label leaks in. With dataset_name the frame is also saved as a Feast saved
    dataset (registry + parquet under repo/saved/) and the run is recorded in the lineage file.
    """
    missing = [c for c in LABEL_COLUMNS if c not in labels.columns]
    if missing:
        raise ValueError(f"labels lack column(s) {', '.join(missing)}")
    entity_df = labels.copy()
    entity_df["event_timestamp"] = pd.to_datetime(entity_df["event_timestamp"], utc=True)
    entity_df["__row"] = range(len(entity_df))
    service = store.get_feature_service(FEATURE_SERVICE)
    job = store.get_historical_features(entity_df=entity_df, features=service)
    output_name = dataset_name or f"training_frame/{lineage.uuid.uuid4()}"
    if dataset_name:
        path = Path(store.repo_path) / "saved" / f"{dataset_name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        store.create_saved_dataset(from_=job, name=dataset_name, storage=SavedDatasetFileStorage(path=str(path)),
                                   feature_service=service, allow_overwrite=True,
                                   tags={"labels_rows": str(len(labels))})  # fmt: skip
    # Feast's file store drops an entity row when every candidate feature row falls outside [label - ttl, label];
    # joining back on the row number keeps that label with unknown (null) features instead of losing it.
    joined = job.to_df()
    features = [c for c in joined.columns if c in FEATURE_NAMES]
    frame = entity_df.merge(joined[["__row", *features]], on="__row", how="left", validate="one_to_one")
    frame = frame.sort_values("__row").drop(columns="__row").reset_index(drop=True)
    views = [store.get_feature_view(PROFILE_VIEW), store.get_feature_view(ACTIVITY_VIEW)]
    lineage.emit(store, "training_frame", lineage.input_datasets(store, views),
                 [{"namespace": "feast", "name": output_name, "facets": {}}],
                 {"feature_service": {"_producer": lineage.PRODUCER, "_schemaURL": lineage.SCHEMA_URL,
                                      "name": FEATURE_SERVICE, "features": FEATURE_NAMES,
                                      "on_demand_version": lineage.view_version(store.get_on_demand_feature_view("credit_ratios"))}})  # fmt: skip
    return frame


def online_features(store: FeatureStore, applicant_ids: list[str]) -> pd.DataFrame:
    """The 10 features of credit_risk_v1 from the online store, one row per applicant id."""
    service = store.get_feature_service(FEATURE_SERVICE)
    rows = [{JOIN_KEY: applicant_id} for applicant_id in applicant_ids]
    return store.get_online_features(features=service, entity_rows=rows).to_df()
