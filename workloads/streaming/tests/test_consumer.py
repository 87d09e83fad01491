"""The consumer against a real broker (Tansu) and a real Redis: crash recovery, poison messages, consent."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import redis
from confluent_kafka import Consumer, TopicPartition

from workloads.features.names import ACTIVITY_FEATURES, ACTIVITY_VIEW, JOIN_KEY
from workloads.features.pseudonymize import default_pseudonymizer
from workloads.streaming.consumer import ConsumerSettings, CreditActivityConsumer
from workloads.streaming.kafka_config import security_settings
from workloads.streaming.producer import produce, synthetic_events
from workloads.testing.servers import REPO_ROOT, create_topic, free_port

pytestmark = pytest.mark.integration
N_APPLICANTS = 300  # the feature_repo fixture's population


def _repo_copy(feature_repo: Path, tmp_path: Path, redis_address: str, db: int) -> tuple[Path, str]:
    """A private copy of the applied repo, pointed at its own Redis database."""
    repo = tmp_path / f"repo-db{db}"
    shutil.copytree(feature_repo, repo, ignore=shutil.ignore_patterns("lineage", "saved"))
    return repo, f"{redis_address},db={db}"


def _topics(kafka_broker) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    topic, dlq = f"credit-activity-{suffix}", f"credit-activity-dlq-{suffix}"
    create_topic(kafka_broker.address, topic)
    create_topic(kafka_broker.address, dlq)
    return topic, dlq


def _settings(kafka_broker, repo: Path, redis_address: str, topic: str, dlq: str, group: str) -> ConsumerSettings:
    return ConsumerSettings(bootstrap=kafka_broker.address, repo=repo, topic=topic, dlq_topic=dlq, group_id=group,
                            batch_size=50, idle_exit_seconds=1.5, assign_partitions=(0,), redis_address=redis_address)  # fmt: skip


def _online_activity(repo: Path, redis_address: str, applicant_ids: list[str]) -> pd.DataFrame:
    from workloads.features.store import open_store

    store = open_store(repo, redis_address=redis_address, apply=False)
    features = [f"{ACTIVITY_VIEW}:{name}" for name in ACTIVITY_FEATURES]
    rows = [{JOIN_KEY: applicant_id} for applicant_id in applicant_ids]
    return store.get_online_features(features=features, entity_rows=rows).to_df().set_index(JOIN_KEY)


def _expected_latest(events: list[dict]) -> pd.DataFrame:
    pseudonymizer = default_pseudonymizer()
    frame = pd.DataFrame([e for e in events if e["consent"] == "granted"])
    frame[JOIN_KEY] = frame["national_id"].map(pseudonymizer.applicant_id)
    return frame.sort_values("event_timestamp").groupby(JOIN_KEY).tail(1).set_index(JOIN_KEY)[list(ACTIVITY_FEATURES)]


def _metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return 0.0


def _committed(bootstrap: str, group: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        return consumer.committed([TopicPartition(topic, 0)], timeout=30)[0].offset
    finally:
        consumer.close()


def _spawn_consumer(repo: Path, redis_address: str, bootstrap: str, topic: str, dlq: str, group: str, port: int,
                    log: Path) -> subprocess.Popen:  # fmt: skip
    argv = [sys.executable, "-m", "workloads.streaming.consumer", "--repo", str(repo), "--redis-address", redis_address,
            "--bootstrap", bootstrap, "--topic", topic, "--dlq-topic", dlq, "--group-id", group, "--batch-size", "20",
            "--metrics-port", str(port), "--assign", "0"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(argv, env=env, cwd=REPO_ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _wait_for(predicate, timeout: float, what: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"consumer exited ({process.returncode}) before {what}:\n{log.read_text()[-3000:]}")
        try:
            if predicate():
                return
        except OSError:
            pass  # metrics endpoint not up yet
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")


def test_sigkill_mid_stream_then_restart_loses_nothing_and_matches_an_uninterrupted_run(
    feature_repo, redis_server, kafka_broker, tmp_path
):
    topic, dlq = _topics(kafka_broker)
    events = synthetic_events(1200, seed=7, n_applicants=N_APPLICANTS, start=datetime.now(UTC) - timedelta(minutes=5))
    produce(kafka_broker.address, events, topic)
    repo, address = _repo_copy(feature_repo, tmp_path, redis_server.address, db=5)
    redis.Redis(host="127.0.0.1", port=redis_server.port, db=5).flushdb()
    group, port, log = f"g-{uuid.uuid4().hex[:6]}", free_port(), tmp_path / "consumer.log"

    first = _spawn_consumer(repo, address, kafka_broker.address, topic, dlq, group, port, log)
    try:
        _wait_for(lambda: _metric(port, "credit_activity_pushed_total") >= 200, 180, "the first pushes", first, log)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    killed_at = _committed(kafka_broker.address, group, topic)
    assert 0 < killed_at < len(events), "the kill must land mid-stream"

    port = free_port()
    second = _spawn_consumer(repo, address, kafka_broker.address, topic, dlq, group, port, log)
    try:
        _wait_for(lambda: _metric(port, "credit_activity_consumed_total") >= len(events) - killed_at
                  and _metric(port, "credit_activity_consumer_lag") == 0, 180, "the rest of the stream", second, log)  # fmt: skip
        second.send_signal(signal.SIGTERM)  # graceful: finishes the batch, commits, exits 0
        assert second.wait(30) == 0
    finally:
        if second.poll() is None:
            second.kill()
    assert _committed(kafka_broker.address, group, topic) == len(events)

    expected = _expected_latest(events)
    stored = _online_activity(repo, address, list(expected.index))
    assert stored[list(ACTIVITY_FEATURES)].to_dict("index") == expected.to_dict("index")

    # The same stream consumed once, without interruption, into another database: identical Redis contents.
    clean_repo, clean_address = _repo_copy(feature_repo, tmp_path, redis_server.address, db=6)
    redis.Redis(host="127.0.0.1", port=redis_server.port, db=6).flushdb()
    CreditActivityConsumer(_settings(kafka_broker, clean_repo, clean_address, topic, dlq, "g-clean")).run()
    killed = redis.Redis(host="127.0.0.1", port=redis_server.port, db=5)
    clean = redis.Redis(host="127.0.0.1", port=redis_server.port, db=6)
    keys = sorted(killed.keys())
    assert keys == sorted(clean.keys()) and len(keys) == len(expected)
    assert all(killed.hgetall(key) == clean.hgetall(key) for key in keys)


def _dlq_messages(bootstrap: str, dlq: str, expected: int) -> list:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"dlq-{uuid.uuid4().hex[:6]}",
                         "enable.auto.commit": False})  # fmt: skip
    consumer.assign([TopicPartition(dlq, 0, 0)])
    found, deadline = [], time.monotonic() + 30
    while len(found) < expected and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is not None and not message.error():
            found.append(message)
    consumer.close()
    return found


def test_poison_messages_go_to_the_dead_letter_topic_with_their_reason(
    feature_repo, redis_server, kafka_broker, tmp_path
):
    topic, dlq = _topics(kafka_broker)
    good = synthetic_events(2, seed=7, n_applicants=N_APPLICANTS, start=datetime.now(UTC) - timedelta(minutes=1))
    valid_event = good[0]
    poison = {
        "not JSON": b"{not json",
        "JSON list": json.dumps([1, 2]).encode(),
        "missing field(s) txn_count_7d": json.dumps(
            {k: v for k, v in valid_event.items() if k != "txn_count_7d"}
        ).encode(),
        "late_payments_90d: in_range": json.dumps({**valid_event, "late_payments_90d": 500}).encode(),
        "txn_count_7d": json.dumps({**valid_event, "txn_count_7d": "many"}).encode(),
        "future": json.dumps(
            {**valid_event, "event_timestamp": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
        ).encode(),
        "national_id: str_matches": json.dumps({**valid_event, "national_id": "not-an-id"}).encode(),
    }
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": kafka_broker.address})
    producer.produce(topic, key=b"k", value=json.dumps(good[0]).encode())
    for value in poison.values():
        producer.produce(topic, key=b"k", value=value)
    producer.produce(topic, key=b"k", value=json.dumps(good[1]).encode())
    assert producer.flush(30) == 0
    del producer

    repo, address = _repo_copy(feature_repo, tmp_path, redis_server.address, db=7)
    redis.Redis(host="127.0.0.1", port=redis_server.port, db=7).flushdb()
    consumer = CreditActivityConsumer(_settings(kafka_broker, repo, address, topic, dlq, "g-poison"))
    assert consumer.run() == 0
    assert consumer.stats.consumed == len(poison) + 2
    assert consumer.stats.pushed == 2

    dead = _dlq_messages(kafka_broker.address, dlq, len(poison))
    assert [m.value() for m in dead] == list(poison.values())
    for (expected_reason, _), message in zip(poison.items(), dead, strict=True):
        headers = dict(message.headers())
        assert expected_reason in headers["dlq.reason"].decode(), (expected_reason, headers["dlq.reason"])
        assert headers["dlq.source"].decode().startswith(f"{topic}/0/")
    stored = _online_activity(repo, address, list(_expected_latest(good).index))
    assert stored[list(ACTIVITY_FEATURES)].to_dict("index") == _expected_latest(good).to_dict("index")


def test_consent_withdrawal_drops_later_events_and_purges_the_subject(
    feature_repo, redis_server, kafka_broker, tmp_path
):
    from workloads.features.consent import ConsentLedger
    from workloads.features.generate import default_as_of
    from workloads.features.store import materialize, online_features, open_store

    topic, dlq = _topics(kafka_broker)
    start = datetime.now(UTC) - timedelta(minutes=2)
    events = synthetic_events(3, seed=7, n_applicants=N_APPLICANTS, start=start)
    subject, other = events[0]["national_id"], events[2]["national_id"]
    events[1]["national_id"] = subject
    withdrawal = {"event_id": "w-1", "national_id": subject, "consent": "withdrawn",
                  "event_timestamp": (start + timedelta(seconds=30)).isoformat()}  # fmt: skip
    later = {
        **events[0],
        "event_id": "after-withdrawal",
        "event_timestamp": (start + timedelta(seconds=60)).isoformat(),
    }
    stream = [events[0], events[2], withdrawal, later]
    produce(kafka_broker.address, stream, topic)

    repo, address = _repo_copy(feature_repo, tmp_path, redis_server.address, db=8)
    redis.Redis(host="127.0.0.1", port=redis_server.port, db=8).flushdb()
    store = open_store(repo, redis_address=address, apply=False)
    materialize(store, end=default_as_of())  # the subject's batch rows are online before the stream starts
    pseudonymizer = default_pseudonymizer()
    subject_id, other_id = pseudonymizer.applicant_id(subject), pseudonymizer.applicant_id(other)
    assert online_features(store, [subject_id]).iloc[0]["age"] is not None

    consumer = CreditActivityConsumer(_settings(kafka_broker, repo, address, topic, dlq, "g-consent"))
    consumer.run()
    assert consumer.stats.withdrawals == 1
    # Both of the subject's updates are dropped: the later one by consent, the earlier one (same batch) because
    # the purge would remove it anyway; the other applicant's update goes through.
    assert consumer.stats.consent_dropped == 2 and consumer.stats.pushed == 1
    after = online_features(store, [subject_id, other_id]).set_index(JOIN_KEY)
    assert after.loc[subject_id, list(ACTIVITY_FEATURES) + ["age"]].isna().all()
    assert after.loc[other_id, "credit_utilization"] == events[2]["credit_utilization"]
    assert ConsentLedger(store).withdrawn() == {subject_id}

    # A later materialization re-reads the offline rows; the withdrawal still holds online.
    assert materialize(store, end=default_as_of()).purged_withdrawn == 1
    assert pd.isna(online_features(store, [subject_id]).iloc[0]["age"])


def test_msk_iam_settings_and_unknown_modes():
    settings = security_settings("msk-iam")
    assert settings["security.protocol"] == "SASL_SSL" and settings["sasl.mechanism"] == "OAUTHBEARER"
    assert callable(settings["oauth_cb"])
    assert security_settings("plaintext") == {"security.protocol": "PLAINTEXT"}
    with pytest.raises(ValueError, match="msk-iam"):
        security_settings("sasl-plain")
