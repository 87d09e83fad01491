"""Generator, pseudonymization and validation: no servers needed."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from workloads.features.generate import build_tables, generate_dataset, synthetic_population
from workloads.features.pseudonymize import Pseudonymizer, PseudonymKeyError, create_key_file, load_key
from workloads.features.validation import BatchRejectedError, validate_activity, validate_profile

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
KEY = b"k" * 32


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    first = generate_dataset(tmp_path / "a", seed=11, n_applicants=50, as_of=AS_OF, pseudonymizer=Pseudonymizer(KEY))
    second = generate_dataset(tmp_path / "b", seed=11, n_applicants=50, as_of=AS_OF, pseudonymizer=Pseudonymizer(KEY))
    other = generate_dataset(tmp_path / "c", seed=12, n_applicants=50, as_of=AS_OF, pseudonymizer=Pseudonymizer(KEY))
    for name in ("applicant_profile", "credit_activity", "labels"):
        assert getattr(first, name).read_bytes() == getattr(second, name).read_bytes()
        assert getattr(first, name).read_bytes() != getattr(other, name).read_bytes()
    assert len(pd.read_parquet(first.credit_activity)) == 200


def test_no_direct_identifier_reaches_the_files(tmp_path):
    paths = generate_dataset(tmp_path, seed=3, n_applicants=40, as_of=AS_OF, pseudonymizer=Pseudonymizer(KEY))
    population = synthetic_population(3, 40)
    written = "\n".join(
        pd.read_parquet(p).to_csv() for p in (paths.applicant_profile, paths.credit_activity, paths.labels)
    )
    raw = [*population["national_id"], *population["full_name"], *population["phone"]]
    raw += [nid.replace("-", "") for nid in population["national_id"]]
    assert not [value for value in raw if value in written]
    pseudonymizer = Pseudonymizer(KEY)
    expected_ids = sorted(population["national_id"].map(pseudonymizer.applicant_id))
    assert sorted(pd.read_parquet(paths.applicant_profile)["applicant_id"]) == expected_ids


def test_pseudonym_is_keyed_and_normalized():
    one, two = Pseudonymizer(KEY), Pseudonymizer(b"x" * 32)
    assert one.applicant_id("784-1990-1234567-1") == one.applicant_id("784199012345671")
    assert one.applicant_id("784-1990-1234567-1") != two.applicant_id("784-1990-1234567-1")
    assert one.pseudonym("name", "Fatima Al Ketbi") == one.pseudonym("name", "  fatima  al ketbi")
    with pytest.raises(PseudonymKeyError):
        Pseudonymizer(b"short")


def test_key_file_is_private_and_loose_permissions_are_refused(tmp_path, monkeypatch):
    path = tmp_path / "keys" / "pseudonym.key"
    monkeypatch.setenv("PLATFORM_PSEUDONYM_KEY_FILE", str(path))
    monkeypatch.delenv("PLATFORM_PSEUDONYM_SECRET_ARN", raising=False)
    key = load_key()
    assert len(key) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key() == key
    os.chmod(path, 0o644)
    with pytest.raises(PseudonymKeyError, match="chmod 600"):
        load_key()
    with pytest.raises(FileExistsError):
        create_key_file(path)


def test_generated_batches_pass_validation():
    tables = build_tables(5, 60, AS_OF, Pseudonymizer(KEY))
    assert len(validate_profile(tables["applicant_profile"], now=AS_OF)) == 60
    assert len(validate_activity(tables["credit_activity"], now=AS_OF)) == 240


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("credit_utilization", -0.5, "in_range"),
        ("late_payments_90d", 400, "in_range"),
        ("applicant_id", "784-1990-1234567-1", "str_matches"),
        ("avg_txn_amount_7d", None, "not_nullable"),
        ("event_timestamp", AS_OF + timedelta(days=2), "future"),
    ],
)
def test_bad_rows_are_refused_with_the_reason(column, value, reason):
    activity = build_tables(5, 30, AS_OF, Pseudonymizer(KEY))["credit_activity"]
    activity.loc[4, column] = value
    with pytest.raises(BatchRejectedError) as rejected:
        validate_activity(activity, now=AS_OF)
    assert column in rejected.value.reason and reason in rejected.value.reason
    assert rejected.value.failing_rows == [4]


def test_wrong_types_and_stale_batches_are_refused():
    tables = build_tables(5, 30, AS_OF, Pseudonymizer(KEY))
    profile = tables["applicant_profile"].astype({"age": "float64"})
    with pytest.raises(BatchRejectedError, match="age"):
        validate_profile(profile, now=AS_OF)
    with pytest.raises(BatchRejectedError, match="stale batch"):
        validate_activity(tables["credit_activity"], now=AS_OF + timedelta(days=30))
    with pytest.raises(BatchRejectedError, match=r"column_in_dataframe \(got txn_count_7d\)"):
        validate_activity(tables["credit_activity"].drop(columns="txn_count_7d"), now=AS_OF)
