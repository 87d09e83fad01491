"""Kafka -> Feast online store: `python -m workloads.streaming.consumer --repo DIR`.

Per batch: decode, validate (pandera), pseudonymize the national ID, apply consent, push to the
`credit_activity_push` source, and only then commit the offsets (at-least-once). Writes are idempotent:
Feast's Redis store keeps a per-entity event timestamp and skips any row not newer, so a replay after a
crash changes nothing. Poison messages go to `credit-activity-dlq` with the reason in their headers and
the consumer carries on. SIGTERM (and SIGINT) finish the batch in hand, commit, and exit 0.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from feast.data_source import PushMode
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from workloads.features.consent import ConsentLedger
from workloads.features.names import (
    ACTIVITY_FEATURES,
    CONSUMER_GROUP,
    DLQ_TOPIC,
    JOIN_KEY,
    PUSH_SOURCE,
    STREAM_TOPIC,
)
from workloads.features.pseudonymize import Pseudonymizer, default_pseudonymizer
from workloads.features.store import open_store
from workloads.features.validation import BatchRejectedError, event_schema, validate, withdrawal_schema
from workloads.streaming.kafka_config import client_config

log = logging.getLogger("workloads.streaming.consumer")
EVENT_FIELDS = frozenset({"event_id", "national_id", "consent", "event_timestamp", *ACTIVITY_FEATURES})
WITHDRAWAL_REQUIRED = frozenset({"event_id", "national_id", "consent", "event_timestamp"})
PUSH_ATTEMPTS = 5


@dataclass(frozen=True)
class ConsumerSettings:
    bootstrap: str
    repo: Path
    topic: str = STREAM_TOPIC
    dlq_topic: str = DLQ_TOPIC
    group_id: str = CONSUMER_GROUP
    batch_size: int = 500
    poll_timeout: float = 0.5
    idle_exit_seconds: float | None = None  # jobs, tests and the demo stop once the topic is drained
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    assign_partitions: tuple[int, ...] | None = None  # static assignment instead of a group subscription
    redis_address: str | None = None
    profile: str = "local"


@dataclass
class ConsumerStats:
    """Plain counts of this consumer instance (Feast switches prometheus_client to multiprocess mode,
    where counters of the same name share one value per process)."""

    consumed: int = 0
    pushed: int = 0
    dead_lettered: int = 0
    consent_dropped: int = 0
    withdrawals: int = 0
    push_seconds: list[float] = field(default_factory=list)  # one per push call, for benchmarks
    last_push_at: float | None = None  # time.time() after the latest successful push


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.consumed = Counter("credit_activity_consumed", "Messages read from the topic", registry=self.registry)
        self.pushed = Counter(
            "credit_activity_pushed", "Events pushed to the Feast online store", registry=self.registry
        )
        self.dead_lettered = Counter("credit_activity_dead_lettered", "Messages sent to the dead-letter topic",
                                     ["kind"], registry=self.registry)  # fmt: skip
        self.consent_dropped = Counter("credit_activity_consent_dropped", "Events dropped: consent withdrawn",
                                       registry=self.registry)  # fmt: skip
        self.withdrawals = Counter("credit_activity_consent_withdrawals", "Withdrawals applied", registry=self.registry)
        self.lag = Gauge("credit_activity_consumer_lag", "Messages behind the high watermark", registry=self.registry)
        self.push_latency = Histogram("credit_activity_push_latency_seconds", "Feast push latency per batch",
                                      buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
                                      registry=self.registry)  # fmt: skip


class PoisonMessageError(ValueError):
    """A message that can never be processed; `kind` groups the dead-letter metric."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def decode(value: bytes | None) -> dict[str, Any]:
    if value is None:
        raise PoisonMessageError("empty", "message has no value")
    try:
        event = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PoisonMessageError("undecodable", f"not JSON: {error}") from None
    if not isinstance(event, dict):
        raise PoisonMessageError("schema", f"event is a JSON {type(event).__name__}, not an object")
    if event.get("consent") == "withdrawn":
        missing = WITHDRAWAL_REQUIRED - event.keys()
        if missing:
            raise PoisonMessageError("schema", f"withdrawal lacks field(s) {', '.join(sorted(missing))}")
        return event
    missing, unknown = EVENT_FIELDS - event.keys(), event.keys() - EVENT_FIELDS
    if missing or unknown:
        parts = [f"missing field(s) {', '.join(sorted(missing))}" if missing else "",
                 f"unknown field(s) {', '.join(sorted(unknown))}" if unknown else ""]  # fmt: skip
        raise PoisonMessageError("schema", "; ".join(p for p in parts if p))
    return event


def validate_events(events: list[dict[str, Any]], schema_for) -> tuple[pd.DataFrame, dict[int, str]]:
    """Valid rows (coerced) and a reason per invalid position. A frame-level failure (a wrong dtype in one
    event poisons the column) falls back to validating each event alone, so only the culprits are rejected."""
    if not events:
        return pd.DataFrame(), {}
    frame = pd.DataFrame(events)
    try:
        return validate(frame, schema_for()), {}
    except BatchRejectedError as rejected:
        if not rejected.frame_level:
            reasons = rejected.reasons_by_row()
            return validate(frame.drop(index=list(reasons)), schema_for()), reasons
    good, reasons = [], {}
    for position, event in enumerate(events):
        try:
            good.append(validate(pd.DataFrame([event]), schema_for()))
        except BatchRejectedError as rejected:
            reasons[position] = rejected.reason
    valid = pd.concat(good) if good else pd.DataFrame()
    return valid, reasons


class CreditActivityConsumer:
    def __init__(self, settings: ConsumerSettings, pseudonymizer: Pseudonymizer | None = None) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.stats = ConsumerStats()
        self.store = open_store(settings.repo, settings.profile, redis_address=settings.redis_address, apply=False)
        self.ledger = ConsentLedger(self.store)
        self.pseudonymizer = pseudonymizer or default_pseudonymizer()
        self._stopping = False
        self._last_lag_check = 0.0
        self.consumer = Consumer(
            client_config(
                settings.bootstrap,
                **{
                    "group.id": settings.group_id,
                    "enable.auto.commit": False,  # offsets are committed after the push, never before
                    "auto.offset.reset": "earliest",
                    "enable.partition.eof": False,
                    "isolation.level": "read_committed",
                },
            )
        )
        self.dlq: Producer | None = Producer(
            client_config(settings.bootstrap, **{"enable.idempotence": True, "linger.ms": 5})
        )

    # -- lifecycle -----------------------------------------------------------------------------------
    def stop(self, *_: Any) -> None:
        self._stopping = True

    def _subscribe(self) -> None:
        if self.settings.assign_partitions is None:
            self.consumer.subscribe([self.settings.topic])
            return
        partitions = [TopicPartition(self.settings.topic, p) for p in self.settings.assign_partitions]
        committed = self.consumer.committed(partitions, timeout=30)
        for partition in committed:  # no committed offset yet: start from the beginning
            if partition.offset < 0:
                partition.offset = -2  # OFFSET_BEGINNING
        self.consumer.assign(committed)

    def run(self) -> int:
        if self.settings.metrics_port is not None:
            start_http_server(
                self.settings.metrics_port, addr=self.settings.metrics_host, registry=self.metrics.registry
            )
        self._subscribe()
        idle_since = time.monotonic()
        try:
            while not self._stopping:
                messages = self.consumer.consume(self.settings.batch_size, self.settings.poll_timeout)
                if messages:
                    self.process(messages)
                    idle_since = time.monotonic()
                elif not self.consumer.assignment():
                    idle_since = time.monotonic()  # still joining the group: not idle yet
                self._update_lag()
                if (
                    self.settings.idle_exit_seconds is not None
                    and time.monotonic() - idle_since >= self.settings.idle_exit_seconds
                ):
                    log.info("no messages for %.1f s: exiting", self.settings.idle_exit_seconds)
                    break
        finally:
            self.dlq.flush(30)
            self.consumer.close()
            self.dlq = None  # librdkafka keeps reconnecting for as long as the producer lives
        return 0

    # -- one batch -----------------------------------------------------------------------------------
    def process(self, messages: list[Message]) -> None:
        decoded: list[tuple[Message, dict[str, Any]]] = []
        for message in messages:
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(message.error())
            self.metrics.consumed.inc()
            self.stats.consumed += 1
            try:
                decoded.append((message, decode(message.value())))
            except PoisonMessageError as poison:
                self.dead_letter(message, poison.kind, poison.reason)
        now = datetime.now(UTC)
        withdrawals = [(m, e) for m, e in decoded if e.get("consent") == "withdrawn"]
        updates = [(m, e) for m, e in decoded if e.get("consent") != "withdrawn"]
        withdrawn_frame = self._valid(withdrawals, lambda: withdrawal_schema(now))
        update_frame = self._valid(updates, lambda: event_schema(now))
        self._apply_withdrawals(withdrawn_frame)
        self._push(update_frame)
        # Dead letters must be durable before the offsets that skip them are committed.
        if self.dlq.flush(30):
            raise KafkaException(KafkaError(KafkaError._MSG_TIMED_OUT, "dead-letter deliveries not acknowledged"))
        try:
            self.consumer.commit(asynchronous=False)
        except KafkaException as error:
            # A rebalance took the partitions away mid-batch: the new owner replays from the last commit,
            # and the pushes it repeats are no-ops (same event timestamps). Nothing is lost either way.
            log.warning("offset commit failed (%s); the batch will be redelivered and skipped as a replay", error)

    def _valid(self, batch: list[tuple[Message, dict[str, Any]]], schema_for) -> pd.DataFrame:
        valid, reasons = validate_events([event for _, event in batch], schema_for)
        for position, reason in sorted(reasons.items()):
            self.dead_letter(batch[position][0], "validation", reason)
        if valid.empty:
            return valid
        valid = valid.reset_index(drop=True)
        valid[JOIN_KEY] = valid["national_id"].map(self.pseudonymizer.applicant_id)
        return valid.drop(columns="national_id")

    def _apply_withdrawals(self, frame: pd.DataFrame) -> None:
        for row in frame.itertuples(index=False):
            self.ledger.withdraw(getattr(row, JOIN_KEY), row.event_timestamp.to_pydatetime())
            self.metrics.withdrawals.inc()
            self.stats.withdrawals += 1

    def _push(self, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        withdrawn = self.ledger.withdrawn_among(frame[JOIN_KEY].unique().tolist())
        if withdrawn:
            dropped = frame[JOIN_KEY].isin(withdrawn)
            self.metrics.consent_dropped.inc(int(dropped.sum()))
            self.stats.consent_dropped += int(dropped.sum())
            frame = frame[~dropped]
        if frame.empty:
            return
        # One row per applicant, the newest: Feast would skip the older ones anyway.
        latest = frame.sort_values("event_timestamp").drop_duplicates(JOIN_KEY, keep="last")
        rows = latest[[JOIN_KEY, "event_timestamp", *ACTIVITY_FEATURES]].copy()
        rows["created_timestamp"] = pd.Timestamp.now(tz="UTC")
        for attempt in range(1, PUSH_ATTEMPTS + 1):
            started = time.perf_counter()
            try:
                self.store.push(PUSH_SOURCE, rows, to=PushMode.ONLINE)
                break
            except (ConnectionError, TimeoutError, OSError) as error:
                if attempt == PUSH_ATTEMPTS:
                    raise  # uncommitted: the batch is replayed after restart
                log.warning("push failed (%s), retry %d/%d", error, attempt, PUSH_ATTEMPTS)
                time.sleep(0.2 * 2**attempt)
            finally:
                elapsed = time.perf_counter() - started
                self.metrics.push_latency.observe(elapsed)
                self.stats.push_seconds.append(elapsed)
        self.metrics.pushed.inc(len(frame))
        self.stats.pushed += len(frame)
        self.stats.last_push_at = time.time()

    def dead_letter(self, message: Message, kind: str, reason: str) -> None:
        log.warning("dead-lettering %s[%d]@%d: %s", message.topic(), message.partition(), message.offset(), reason)
        headers = [
            ("dlq.reason", reason[:2000].encode()),
            ("dlq.kind", kind.encode()),
            ("dlq.source", f"{message.topic()}/{message.partition()}/{message.offset()}".encode()),
            ("dlq.at", datetime.now(UTC).isoformat().encode()),
        ]
        self.dlq.produce(self.settings.dlq_topic, key=message.key(), value=message.value(), headers=headers)
        self.dlq.poll(0)
        self.metrics.dead_lettered.labels(kind).inc()
        self.stats.dead_lettered += 1

    def _update_lag(self) -> None:
        if time.monotonic() - self._last_lag_check < 1.0:
            return
        self._last_lag_check = time.monotonic()
        lag = 0
        for partition in self.consumer.assignment():
            try:
                _, high = self.consumer.get_watermark_offsets(partition, timeout=1, cached=False)
                position = self.consumer.position([partition])[0].offset
            except KafkaException:
                return
            lag += max(high - position, 0) if position >= 0 else max(high, 0)
        self.metrics.lag.set(lag)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path(os.environ.get("FEATURE_REPO", "out/dataplane/repo")))
    parser.add_argument(
        "--profile", choices=("local", "aws"), default=os.environ.get("PLATFORM_FEATURE_PROFILE", "local")
    )
    parser.add_argument("--bootstrap", default=os.environ.get("PLATFORM_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    parser.add_argument("--redis-address", default=None, help="host:port of the local Redis (local profile)")
    parser.add_argument("--topic", default=STREAM_TOPIC)
    parser.add_argument("--dlq-topic", default=DLQ_TOPIC)
    parser.add_argument("--group-id", default=CONSUMER_GROUP)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--idle-exit", type=float, default=None, help="exit after this many seconds without messages")
    parser.add_argument("--metrics-port", type=int, default=None)
    parser.add_argument("--metrics-host", default="127.0.0.1")
    parser.add_argument("--assign", type=int, nargs="+", default=None, help="static partitions instead of a group")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("feast").setLevel(logging.WARNING)  # registry refresh notices on every cache expiry
    settings = ConsumerSettings(
        bootstrap=args.bootstrap, repo=args.repo, topic=args.topic, dlq_topic=args.dlq_topic, group_id=args.group_id,
        batch_size=args.batch_size, idle_exit_seconds=args.idle_exit, metrics_port=args.metrics_port,
        metrics_host=args.metrics_host, assign_partitions=tuple(args.assign) if args.assign else None,
        redis_address=args.redis_address, profile=args.profile,
    )  # fmt: skip
    consumer = CreditActivityConsumer(settings)
    signal.signal(signal.SIGTERM, consumer.stop)
    signal.signal(signal.SIGINT, consumer.stop)
    return consumer.run()


if __name__ == "__main__":
    raise SystemExit(main())
