"""pandera schemas for every batch before materialization and every streamed event before the push.

Each schema checks columns and types, value ranges, nulls and freshness (relative to a reference time:
the materialization end, or the consumer's clock). Validation is lazy: one report lists every failing
row and check, and a failing batch raises `BatchRejectedError` with that report as its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from workloads.features.pseudonymize import PSEUDONYM_PATTERN

# A batch whose newest row is older than this is stale: the upstream extract stopped.
PROFILE_MAX_STALENESS = timedelta(days=400)
ACTIVITY_MAX_STALENESS = timedelta(days=7)
# Events older than the credit_activity TTL would never be served; later than the clock allows is a bad clock.
EVENT_MAX_AGE = timedelta(days=30)
CLOCK_SKEW = timedelta(minutes=5)
NATIONAL_ID_PATTERN = r"^784-?\d{4}-?\d{7}-?\d$"
CONSENT_VALUES = ("granted", "withdrawn")


@dataclass(frozen=True)
class Failure:
    row: int | None
    column: str | None
    check: str
    value: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "batch"
        return f"{where}: {self.column or 'frame'}: {self.check} (got {self.value})"


class BatchRejectedError(ValueError):
    """A batch or event failed validation; `reason` says which rows and checks."""

    def __init__(self, dataset: str, reason: str, failing_rows: list[int] | None = None,
                 found: list[Failure] | None = None) -> None:  # fmt: skip
        super().__init__(f"{dataset} rejected: {reason}")
        self.dataset = dataset
        self.reason = reason
        self.failing_rows = failing_rows or []
        self.failures = found or []

    def reasons_by_row(self) -> dict[int, str]:
        by_row: dict[int, list[str]] = {}
        for failure in self.failures:
            if failure.row is not None:
                by_row.setdefault(failure.row, []).append(f"{failure.column}: {failure.check} (got {failure.value})")
        return {row: "; ".join(reasons) for row, reasons in by_row.items()}

    @property
    def frame_level(self) -> bool:
        """True when a failure names no row (a wrong dtype, a missing column, a stale batch)."""
        return any(failure.row is None for failure in self.failures)


def _utc(now: datetime | None) -> pd.Timestamp:
    ts = pd.Timestamp(now or datetime.now(UTC))
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _timestamp_checks(now: pd.Timestamp, max_staleness: timedelta | None, per_row_max_age: timedelta | None):
    checks = [pa.Check(lambda s: s <= now + CLOCK_SKEW, error=f"event_timestamp in the future (after {now})")]
    if per_row_max_age is not None:
        oldest = now - per_row_max_age
        checks.append(pa.Check(lambda s: s >= oldest, error=f"event_timestamp older than {oldest}"))
    if max_staleness is not None:
        freshest = now - max_staleness
        checks.append(pa.Check(lambda s: s.max() >= freshest, element_wise=False,
                               error=f"stale batch: newest event_timestamp before {freshest}"))  # fmt: skip
    return checks


def _applicant_id() -> pa.Column:
    return pa.Column(str, pa.Check.str_matches(PSEUDONYM_PATTERN), nullable=False)


def _activity_columns() -> dict[str, pa.Column]:
    return {
        "credit_utilization": pa.Column(float, pa.Check.in_range(0.0, 2.0), nullable=False),
        "late_payments_90d": pa.Column("int64", pa.Check.in_range(0, 90), nullable=False),
        "txn_count_7d": pa.Column("int64", pa.Check.in_range(0, 100_000), nullable=False),
        "avg_txn_amount_7d": pa.Column(float, pa.Check.in_range(0.0, 10_000_000.0), nullable=False),
    }


def profile_schema(now: datetime | None = None) -> pa.DataFrameSchema:
    ts = _utc(now)
    return pa.DataFrameSchema(
        {
            "applicant_id": _applicant_id(),
            "age": pa.Column("int64", pa.Check.in_range(18, 100), nullable=False),
            "annual_income": pa.Column(float, pa.Check.in_range(0.0, 100_000_000.0), nullable=False),
            "employment_years": pa.Column(float, pa.Check.in_range(0.0, 80.0), nullable=False),
            "existing_loans": pa.Column("int64", pa.Check.in_range(0, 50), nullable=False),
            "event_timestamp": pa.Column(
                "datetime64[us, UTC]", _timestamp_checks(ts, PROFILE_MAX_STALENESS, None), nullable=False, coerce=True
            ),  # fmt: skip
        },
        unique=["applicant_id", "event_timestamp"],
        strict=False,
        name="applicant_profile",
    )


def activity_schema(now: datetime | None = None) -> pa.DataFrameSchema:
    ts = _utc(now)
    return pa.DataFrameSchema(
        {
            "applicant_id": _applicant_id(),
            **_activity_columns(),
            "event_timestamp": pa.Column(
                "datetime64[us, UTC]", _timestamp_checks(ts, ACTIVITY_MAX_STALENESS, None), nullable=False, coerce=True
            ),  # fmt: skip
        },
        unique=["applicant_id", "event_timestamp"],
        strict=False,
        name="credit_activity",
    )


def event_schema(now: datetime | None = None) -> pa.DataFrameSchema:
    """A decoded credit-activity event (still carrying the national ID: the consumer pseudonymizes it)."""
    ts = _utc(now)
    return pa.DataFrameSchema(
        {
            "event_id": pa.Column(str, pa.Check.str_length(1, 128), nullable=False),
            "national_id": pa.Column(str, pa.Check.str_matches(NATIONAL_ID_PATTERN), nullable=False),
            "consent": pa.Column(str, pa.Check.isin(CONSENT_VALUES), nullable=False),
            **_activity_columns(),
            "event_timestamp": pa.Column(
                "datetime64[us, UTC]", _timestamp_checks(ts, None, EVENT_MAX_AGE), nullable=False, coerce=True
            ),  # fmt: skip
        },
        strict=True,
        name="credit_activity_event",
    )


def withdrawal_schema(now: datetime | None = None) -> pa.DataFrameSchema:
    """A consent withdrawal needs only who and when; feature fields may be absent or null."""
    ts = _utc(now)
    return pa.DataFrameSchema(
        {
            "event_id": pa.Column(str, pa.Check.str_length(1, 128), nullable=False),
            "national_id": pa.Column(str, pa.Check.str_matches(NATIONAL_ID_PATTERN), nullable=False),
            "consent": pa.Column(str, pa.Check.eq("withdrawn"), nullable=False),
            "event_timestamp": pa.Column(
                "datetime64[us, UTC]", _timestamp_checks(ts, None, EVENT_MAX_AGE), nullable=False, coerce=True
            ),  # fmt: skip
        },
        strict=False,
        name="consent_withdrawal",
    )


def failures(errors: SchemaErrors) -> list[Failure]:
    cases = errors.failure_cases
    out = []
    for record in cases.to_dict("records"):
        index = record.get("index")
        out.append(
            Failure(
                row=None if index is None or pd.isna(index) else int(index),
                column=None if pd.isna(record.get("column")) else str(record.get("column")),
                check=str(record.get("check")),
                value=str(record.get("failure_case")),
            )
        )
    return out


def validate(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """The validated (type-coerced) frame, or BatchRejectedError listing every failure (first 20 spelled out)."""
    try:
        return schema.validate(frame, lazy=True)
    except SchemaErrors as errors:
        found = failures(errors)
        rows = sorted({f.row for f in found if f.row is not None})
        shown = "; ".join(str(f) for f in found[:20])
        more = f"; and {len(found) - 20} more" if len(found) > 20 else ""
        reason = f"{len(found)} failed checks: {shown}{more}"
        raise BatchRejectedError(schema.name or "batch", reason, rows, found) from None


def validate_profile(frame: pd.DataFrame, now: datetime | None = None) -> pd.DataFrame:
    return validate(frame, profile_schema(now))


def validate_activity(frame: pd.DataFrame, now: datetime | None = None) -> pd.DataFrame:
    return validate(frame, activity_schema(now))
