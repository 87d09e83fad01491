"""The synthetic event stream and its decoding, without a broker."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from workloads.features.generate import synthetic_population
from workloads.features.validation import event_schema
from workloads.streaming.consumer import PoisonMessageError, decode, validate_events
from workloads.streaming.producer import encode, synthetic_events

START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_events_are_reproducible_and_describe_the_generated_population():
    first = synthetic_events(200, seed=9, n_applicants=50, start=START, withdraw_every=40)
    assert first == synthetic_events(200, seed=9, n_applicants=50, start=START, withdraw_every=40)
    assert first != synthetic_events(200, seed=10, n_applicants=50, start=START, withdraw_every=40)
    assert {e["national_id"] for e in first} <= set(synthetic_population(9, 50)["national_id"])
    assert sum(e["consent"] == "withdrawn" for e in first) == 5
    stamps = [e["event_timestamp"] for e in first]
    assert stamps == sorted(stamps) and len(set(e["event_id"] for e in first)) == 200
    key, value = encode(first[0])
    assert key == first[0]["national_id"].encode() and json.loads(value) == first[0]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "no value"),
        (b"\xff\xfe", "not JSON"),
        (b"42", "JSON int"),
        (b'{"consent": "withdrawn"}', "withdrawal lacks"),
    ],
)
def test_undecodable_messages_are_poison(value, reason):
    with pytest.raises(PoisonMessageError, match=reason):
        decode(value)


def test_one_bad_event_does_not_sink_its_batch():
    events = synthetic_events(5, seed=1, n_applicants=10, start=datetime.now(UTC).replace(microsecond=0))
    events[2] = {**events[2], "txn_count_7d": "lots"}  # a string poisons the whole column's dtype
    valid, reasons = validate_events(events, lambda: event_schema())
    assert list(reasons) == [2] and "txn_count_7d" in reasons[2]
    assert len(valid) == 4 and valid["txn_count_7d"].dtype == "int64"
