"""Feast repo against a real Redis: materialization, online reads, point-in-time joins, refusals, lineage."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import redis

from workloads.features import lineage
from workloads.features.definitions import ACTIVITY_FEATURES, FEATURE_NAMES, PROFILE_FEATURES
from workloads.features.generate import default_as_of, generate_dataset
from workloads.features.profiles import ProfileError, render
from workloads.features.store import (
    MaterializationRefusedError,
    materialize,
    online_features,
    open_store,
    training_frame,
)

pytestmark = pytest.mark.integration


def _latest(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("event_timestamp").groupby("applicant_id").tail(1).set_index("applicant_id")


def test_online_reads_equal_what_the_generator_wrote(feature_repo: Path, redis_server):
    store = open_store(feature_repo, redis_address=redis_server.address, apply=False)
    profile = _latest(pd.read_parquet(feature_repo / "data" / "applicant_profile.parquet"))
    activity = _latest(pd.read_parquet(feature_repo / "data" / "credit_activity.parquet"))
    ids = sorted(profile.index)[:40]
    online = online_features(store, ids).set_index("applicant_id").loc[ids]
    for column in PROFILE_FEATURES:
        assert online[column].tolist() == profile.loc[ids, column].tolist(), column
    for column in ACTIVITY_FEATURES:
        assert online[column].tolist() == activity.loc[ids, column].tolist(), column
    expected_ratio = profile.loc[ids, "annual_income"] / (profile.loc[ids, "existing_loans"] + 1)
    assert online["income_per_loan"].tolist() == pytest.approx(expected_ratio.tolist())
    interaction = activity.loc[ids, "credit_utilization"] * activity.loc[ids, "late_payments_90d"]
    assert online["utilization_late_interaction"].tolist() == pytest.approx(interaction.tolist())


def test_training_frame_is_point_in_time_correct(tmp_path: Path, redis_server):
    as_of = default_as_of()
    paths = generate_dataset(tmp_path / "data", seed=21, n_applicants=20, as_of=as_of)
    activity = pd.read_parquet(paths.credit_activity)
    subject = activity["applicant_id"].iloc[0]
    rows = activity[activity["applicant_id"] == subject].sort_values("event_timestamp")
    before, after = rows.iloc[1], rows.iloc[2]
    label_time = before["event_timestamp"] + (after["event_timestamp"] - before["event_timestamp"]) / 2
    # A row one second after the label with values no real row has: it must never appear.
    leak = after.copy()
    leak["event_timestamp"] = leak["created_timestamp"] = label_time + timedelta(seconds=1)
    leak["late_payments_90d"], leak["credit_utilization"] = 77, 1.99
    pd.concat([activity, leak.to_frame().T.astype(activity.dtypes.to_dict())]).to_parquet(paths.credit_activity)
    profile = pd.read_parquet(paths.applicant_profile)
    profile_time = profile.loc[profile["applicant_id"] == subject, "event_timestamp"].iloc[0]

    store = open_store(tmp_path, redis_address=redis_server.address)
    labels = pd.DataFrame(
        {
            "applicant_id": [subject, subject, subject],
            "event_timestamp": [
                label_time,
                profile_time - timedelta(hours=1),
                after["event_timestamp"] + timedelta(hours=1),
            ],
            "defaulted": [0, 1, 0],
            "gender": ["F", "F", "F"],
        }
    )
    frame = training_frame(store, labels)
    assert list(frame.columns) == ["applicant_id", "event_timestamp", "defaulted", "gender", *FEATURE_NAMES] or set(
        FEATURE_NAMES
    ) <= set(frame.columns)
    at_label = frame.iloc[0]
    assert at_label["late_payments_90d"] == before["late_payments_90d"]
    assert at_label["credit_utilization"] == before["credit_utilization"]
    assert 77 not in frame["late_payments_90d"].tolist()
    # Before the profile existed, the profile features are unknown, not borrowed from the future.
    assert pd.isna(frame.iloc[1]["age"])
    assert frame.iloc[2]["late_payments_90d"] == after["late_payments_90d"] and frame.iloc[2]["defaulted"] == 0


def test_a_bad_batch_is_refused_with_the_reason_and_nothing_is_materialized(tmp_path: Path, redis_server):
    paths = generate_dataset(tmp_path / "data", seed=5, n_applicants=20)
    activity = pd.read_parquet(paths.credit_activity)
    activity.loc[3, "credit_utilization"] = -4.0
    activity.loc[9, "txn_count_7d"] = -1
    activity.to_parquet(paths.credit_activity)
    isolated = f"{redis_server.address},db=3"
    store = open_store(tmp_path, redis_address=isolated)
    with pytest.raises(MaterializationRefusedError) as refused:
        materialize(store, end=default_as_of())
    reason = str(refused.value)
    assert "credit_activity" in reason and "credit_utilization" in reason and "txn_count_7d" in reason
    assert refused.value.rejections[0].failing_rows == [3, 9]
    assert redis.Redis(host="127.0.0.1", port=redis_server.port, db=3).dbsize() == 0


def test_training_sets_are_recorded_in_lineage_and_the_registry(feature_repo: Path, redis_server, capsys):
    store = open_store(feature_repo, redis_address=redis_server.address, apply=False)
    labels = pd.read_parquet(feature_repo / "data" / "labels.parquet").head(25)
    frame = training_frame(store, labels, dataset_name="credit_risk_train_test")
    assert len(frame) == 25 and frame["applicant_id"].tolist() == labels["applicant_id"].tolist()
    saved = store.get_saved_dataset("credit_risk_train_test")
    assert set(FEATURE_NAMES) <= set(saved.features) or len(saved.features) == len(FEATURE_NAMES)
    events = [e for e in lineage.read_events(feature_repo) if e["outputs"][0]["name"] == "credit_risk_train_test"]
    assert len(events) == 1
    inputs = {i["facets"]["feast_feature_view"]["name"]: i for i in events[0]["inputs"]}
    assert set(inputs) == {"applicant_profile", "credit_activity"}
    data = feature_repo / "data" / "credit_activity.parquet"
    assert inputs["credit_activity"]["facets"]["sha256"]["value"] == lineage._file_digest(str(data))
    assert inputs["credit_activity"]["facets"]["feast_feature_view"]["version"] == lineage.view_version(
        store.get_feature_view("credit_activity")
    )
    assert any(e["job"]["name"] == "materialize" for e in lineage.read_events(feature_repo))
    assert lineage.main(["--repo", str(feature_repo), "--dataset", "credit_risk_train_test"]) == 0
    shown = capsys.readouterr().out.strip().splitlines()
    version = inputs["applicant_profile"]["facets"]["feast_feature_view"]["version"]
    assert (
        len(shown) == 1
        and f"applicant_profile@{version}" in shown[0]
        and shown[0].endswith("-> credit_risk_train_test")
    )


def test_feature_server_serves_the_materialized_features(feature_server, feature_repo: Path):
    profile = _latest(pd.read_parquet(feature_repo / "data" / "applicant_profile.parquet"))
    subject = sorted(profile.index)[0]
    body = json.dumps({"feature_service": "credit_risk_v1", "entities": {"applicant_id": [subject]}}).encode()
    request = urllib.request.Request(f"http://{feature_server.address}/get-online-features", data=body,
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    values = dict(zip(answer["metadata"]["feature_names"], (r["values"][0] for r in answer["results"]), strict=True))
    assert values["age"] == profile.loc[subject, "age"]
    assert values["annual_income"] == pytest.approx(profile.loc[subject, "annual_income"])


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"{not json", 400, "not JSON"),
        (
            b'{"feature_service": "credit_risk_v1", "entities": {"applicant_id": ["784-1990-1234567-1"]}}',
            400,
            "never a raw",
        ),
        (b'{"feature_service": "credit_risk_v1", "entities": {"national_id": ["x"]}}', 400, "exactly one key"),
        (b'{"entities": {"applicant_id": ["' + b"a" * 64 + b'"]}}', 400, "exactly one of"),
        (
            b'{"feature_service": "no_such_service", "entities": {"applicant_id": ["' + b"a" * 64 + b'"]}}',
            404,
            "no_such_service",
        ),
    ],
)
def test_feature_server_answers_bad_lookups_with_4xx_and_a_reason(feature_server, body, status, reason):
    request = urllib.request.Request(f"http://{feature_server.address}/get-online-features", data=body,
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=30)
    assert answer.value.code == status
    assert reason in answer.value.read().decode()


def test_aws_profile_renders_from_stack_outputs():
    outputs = {"feature_store": {"offline_store_bucket": "uae-ml-prod-features", "registry_bucket": "uae-ml-prod-registry",
                                 "redis_endpoint": "master.features.abc.mec1.cache.amazonaws.com"}}  # fmt: skip
    rendered = render("aws", stack_outputs=outputs)
    assert "ssl=true" in rendered.yaml_text and "${FEAST_REDIS_AUTH_TOKEN}" in rendered.yaml_text
    assert "s3://uae-ml-prod-registry/credit_risk/registry.db" in rendered.yaml_text
    assert rendered.locations.credit_activity == "s3://uae-ml-prod-features/credit_risk/credit_activity.parquet"
    with pytest.raises(ProfileError, match="redis_endpoint"):
        render("aws", stack_outputs={"offline_store_bucket": "b", "registry_bucket": "r"})
    with pytest.raises(ProfileError, match="unknown profile"):
        render("gcp")


def test_now_is_utc():
    assert default_as_of().tzinfo is not None and default_as_of() <= datetime.now(UTC)
