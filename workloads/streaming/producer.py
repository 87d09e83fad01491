"""Synthetic credit-activity event stream: `python -m workloads.streaming.producer --events N`.

Events describe the same applicants as the generated offline data (same seed -> same national IDs), keyed
by national ID so one applicant's events stay in order on one partition. The producer is idempotent
(enable.idempotence) and waits for every delivery report before it returns.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from confluent_kafka import Producer

from workloads.features.generate import synthetic_population
from workloads.features.names import STREAM_TOPIC
from workloads.streaming.kafka_config import client_config

EVENT_SPACING = timedelta(milliseconds=10)


def synthetic_events(
    n_events: int, *, seed: int = 7, n_applicants: int = 2000, start: datetime | None = None,
    withdraw_every: int = 0,
) -> list[dict[str, Any]]:  # fmt: skip
    """Deterministic events for (seed, start); every withdraw_every-th event (if > 0) withdraws consent."""
    population = synthetic_population(seed, n_applicants)
    rng = np.random.default_rng([seed, 2])
    start = start or datetime.now(UTC) - EVENT_SPACING * n_events
    who = rng.integers(0, n_applicants, n_events)
    risk = population["risk"].to_numpy()[who]
    utilization = np.clip(0.35 + 0.18 * risk + rng.normal(0, 0.12, n_events), 0.0, 1.0).round(4)
    late = rng.poisson(np.exp(-1.2 + 0.9 * risk)).clip(0, 90)
    txn_count = rng.poisson(22, n_events)
    avg_amount = np.round(rng.lognormal(np.log(350), 0.6, n_events), 2)
    events = []
    for i in range(n_events):
        events.append(
            {
                "event_id": hashlib.sha256(f"{seed}:{start.isoformat()}:{i}".encode()).hexdigest()[:32],
                "national_id": population["national_id"].iloc[who[i]],
                "consent": "withdrawn" if withdraw_every and (i + 1) % withdraw_every == 0 else "granted",
                "credit_utilization": float(utilization[i]),
                "late_payments_90d": int(late[i]),
                "txn_count_7d": int(txn_count[i]),
                "avg_txn_amount_7d": float(avg_amount[i]),
                "event_timestamp": (start + EVENT_SPACING * i).isoformat(),
            }
        )
    return events


def encode(event: dict[str, Any]) -> tuple[bytes, bytes]:
    return event["national_id"].encode(), json.dumps(event, sort_keys=True).encode()


def produce(bootstrap: str, events: list[dict[str, Any]], topic: str = STREAM_TOPIC, **config: Any) -> int:
    """Sends the events and waits for every acknowledgement; raises if any delivery failed."""
    producer = Producer(client_config(bootstrap, **{"enable.idempotence": True, "linger.ms": 5, **config}))
    failures: list[str] = []

    def delivered(error, _message) -> None:
        if error is not None:
            failures.append(str(error))

    for event in events:
        key, value = encode(event)
        while True:
            try:
                producer.produce(topic, key=key, value=value, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.1)  # local queue full: let deliveries drain
        producer.poll(0)
    remaining = producer.flush(60)
    if failures or remaining:
        raise RuntimeError(f"{len(failures)} deliveries failed, {remaining} unacknowledged: {failures[:3]}")
    return len(events)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default=os.environ.get("PLATFORM_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    parser.add_argument("--topic", default=STREAM_TOPIC)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--applicants", type=int, default=2000)
    parser.add_argument("--withdraw-every", type=int, default=0, help="every Nth event withdraws consent (0: none)")
    parser.add_argument("--latest-out", type=Path, help="write each subject's newest event here (JSON) to check reads")
    args = parser.parse_args(argv)
    events = synthetic_events(
        args.events, seed=args.seed, n_applicants=args.applicants, withdraw_every=args.withdraw_every
    )
    sent = produce(args.bootstrap, events, args.topic)
    if args.latest_out:
        latest: dict[str, dict[str, Any]] = {}
        for event in events:  # events are in time order: the last one per subject wins
            latest[event["national_id"]] = event
        args.latest_out.parent.mkdir(parents=True, exist_ok=True)
        args.latest_out.write_text(json.dumps(latest, indent=1, sort_keys=True))
    print(f"produced {sent} events to {args.topic} on {args.bootstrap}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
