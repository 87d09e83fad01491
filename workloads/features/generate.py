"""Synthetic credit-risk data from a seed: the same seed, size and as-of time give byte-identical files.

A population of loan applicants with direct identifiers (Emirates ID, name, phone) lives only in memory;
`generate_dataset` pseudonymizes them before anything is written, so the offline store never sees them.
The streaming producer rebuilds the same population from the seed to emit events keyed by national ID.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from workloads.features.pseudonymize import Pseudonymizer, default_pseudonymizer

PROFILE_FILE = "applicant_profile.parquet"
ACTIVITY_FILE = "credit_activity.parquet"
LABELS_FILE = "labels.parquet"
MANIFEST_FILE = "dataset.json"
# Days before as_of at which each applicant's credit activity is snapshotted (jitter added per row).
ACTIVITY_SNAPSHOT_DAYS = (40, 21, 12, 3)

_FIRST_NAMES = ("Fatima", "Mariam", "Aisha", "Noura", "Hessa", "Sara", "Layla", "Reem", "Mohammed", "Ahmed",
                "Khalid", "Omar", "Rashid", "Saeed", "Hamdan", "Yousef", "Priya", "Ravi", "Anna", "John")  # fmt: skip
_LAST_NAMES = ("Al Mansoori", "Al Nuaimi", "Al Shamsi", "Al Ketbi", "Al Dhaheri", "Al Marri", "Al Suwaidi",
               "Al Falasi", "Haddad", "Khoury", "Nair", "Menon", "Smith", "Rahman", "Qureshi", "Saleh")  # fmt: skip


@dataclass(frozen=True)
class DatasetPaths:
    """Where generate_dataset wrote each table (all pseudonymized)."""

    out_dir: Path
    applicant_profile: Path
    credit_activity: Path
    labels: Path
    manifest: Path


def default_as_of() -> datetime:
    """Today at 00:00 UTC: runs on the same day and seed agree exactly."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def synthetic_population(seed: int = 7, n_applicants: int = 2000) -> pd.DataFrame:
    """Applicants with raw identifiers and static attributes; only for in-memory use."""
    if n_applicants < 1:
        raise ValueError("n_applicants must be at least 1")
    rng = np.random.default_rng(seed)
    ages = rng.integers(21, 66, n_applicants)
    birth_years = 2026 - ages
    serials = rng.choice(10_000_000, size=n_applicants, replace=False)
    national_ids = []
    for year, serial in zip(birth_years, serials, strict=True):
        body = f"784{year:04d}{serial:07d}"
        national_ids.append(f"784-{year:04d}-{serial:07d}-{_luhn_digit(body)}")
    names = [
        f"{_FIRST_NAMES[a]} {_LAST_NAMES[b]}"
        for a, b in zip(rng.integers(0, len(_FIRST_NAMES), n_applicants), rng.integers(0, len(_LAST_NAMES), n_applicants), strict=True)
    ]  # fmt: skip
    phones = [f"+9715{prefix}{number:07d}" for prefix, number in zip(rng.choice([0, 2, 4, 5, 6, 8], n_applicants),
                                                                    rng.integers(0, 10_000_000, n_applicants), strict=True)]  # fmt: skip
    employment_years = np.clip(rng.gamma(2.0, 3.0, n_applicants), 0, ages - 18).round(1)
    income = np.round(rng.lognormal(np.log(180_000) + 0.02 * employment_years, 0.5), 2)
    return pd.DataFrame(
        {
            "national_id": national_ids,
            "full_name": names,
            "phone": phones,
            "gender": rng.choice(["F", "M"], n_applicants),
            "age": ages.astype("int64"),
            "annual_income": income.astype("float64"),
            "employment_years": employment_years.astype("float64"),
            "existing_loans": rng.poisson(1.2, n_applicants).astype("int64"),
            # Latent riskiness: drives activity and default, never written anywhere.
            "risk": rng.normal(0.0, 1.0, n_applicants),
        }
    )


def _activity_values(rng: np.random.Generator, risk: np.ndarray) -> dict[str, np.ndarray]:
    n = len(risk)
    utilization = np.clip(0.35 + 0.18 * risk + rng.normal(0, 0.12, n), 0.0, 1.0)
    late = rng.poisson(np.exp(-1.2 + 0.9 * risk)).clip(0, 90)
    txn_count = rng.poisson(22, n)
    avg_amount = np.round(rng.lognormal(np.log(350), 0.6, n), 2)
    return {
        "credit_utilization": utilization.round(4).astype("float64"),
        "late_payments_90d": late.astype("int64"),
        "txn_count_7d": txn_count.astype("int64"),
        "avg_txn_amount_7d": avg_amount.astype("float64"),
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_tables(
    seed: int, n_applicants: int, as_of: datetime, pseudonymizer: Pseudonymizer
) -> dict[str, pd.DataFrame]:
    """Profile, activity history and labels, keyed by the applicant pseudonym."""
    population = synthetic_population(seed, n_applicants)
    rng = np.random.default_rng([seed, 1])
    ids = population["national_id"].map(pseudonymizer.applicant_id)
    as_of_ts = pd.Timestamp(as_of).tz_convert("UTC") if pd.Timestamp(as_of).tzinfo else pd.Timestamp(as_of, tz="UTC")

    profile_age_days = rng.uniform(30, 300, n_applicants)
    profile = pd.DataFrame(
        {
            "applicant_id": ids,
            "name_pseudonym": population["full_name"].map(lambda v: pseudonymizer.pseudonym("name", v)),
            "phone_pseudonym": population["phone"].map(lambda v: pseudonymizer.pseudonym("phone", v)),
            "age": population["age"],
            "annual_income": population["annual_income"],
            "employment_years": population["employment_years"],
            "existing_loans": population["existing_loans"],
            "event_timestamp": as_of_ts - pd.to_timedelta(profile_age_days.round(3), unit="D"),
        }
    )
    profile["created_timestamp"] = profile["event_timestamp"]

    snapshots = []
    risk = population["risk"].to_numpy()
    for days in ACTIVITY_SNAPSHOT_DAYS:
        jitter = rng.uniform(-1.0, 1.0, n_applicants)
        frame = pd.DataFrame({"applicant_id": ids, **_activity_values(rng, risk)})
        frame["event_timestamp"] = as_of_ts - pd.to_timedelta((days + jitter).round(4), unit="D")
        snapshots.append(frame)
    activity = pd.concat(snapshots, ignore_index=True).sort_values(["event_timestamp", "applicant_id"])
    activity = activity.reset_index(drop=True)
    activity["created_timestamp"] = activity["event_timestamp"]

    label_days = rng.uniform(5.0, 15.0, n_applicants)
    logit = (
        -2.4
        + 1.4 * risk
        + 0.25 * population["existing_loans"].to_numpy()
        - 0.5 * np.log(population["annual_income"].to_numpy() / 180_000)
    )
    defaulted = (rng.uniform(0, 1, n_applicants) < 1 / (1 + np.exp(-logit))).astype("int64")
    labels = pd.DataFrame(
        {
            "applicant_id": ids,
            "event_timestamp": as_of_ts - pd.to_timedelta(label_days.round(4), unit="D"),
            "defaulted": defaulted,
            "gender": population["gender"],
        }
    )
    for frame in (profile, activity, labels):
        for column in ("event_timestamp", "created_timestamp"):
            if column in frame:
                frame[column] = frame[column].astype("datetime64[us, UTC]")
    return {"applicant_profile": profile, "credit_activity": activity, "labels": labels}


def generate_dataset(
    out_dir: Path,
    seed: int = 7,
    n_applicants: int = 2000,
    *,
    as_of: datetime | None = None,
    pseudonymizer: Pseudonymizer | None = None,
) -> DatasetPaths:
    """Writes applicant_profile, credit_activity and labels parquet files plus a manifest into out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    as_of = as_of or default_as_of()
    tables = build_tables(seed, n_applicants, as_of, pseudonymizer or default_pseudonymizer())
    paths = DatasetPaths(
        out_dir=out_dir,
        applicant_profile=out_dir / PROFILE_FILE,
        credit_activity=out_dir / ACTIVITY_FILE,
        labels=out_dir / LABELS_FILE,
        manifest=out_dir / MANIFEST_FILE,
    )
    for name, frame in tables.items():
        frame.to_parquet(getattr(paths, name), index=False)
    manifest = {
        "seed": seed,
        "n_applicants": n_applicants,
        "as_of": as_of.isoformat(),
        "files": {
            name: {"path": getattr(paths, name).name, "rows": len(frame), "sha256": _sha256(getattr(paths, name))}
            for name, frame in tables.items()
        },  # fmt: skip
    }
    paths.manifest.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the synthetic, pseudonymized credit-risk dataset.")
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--applicants", type=int, default=2000)
    parser.add_argument("--as-of", type=datetime.fromisoformat, default=None, help="ISO time, UTC (default: today)")
    args = parser.parse_args(argv)
    as_of = args.as_of.replace(tzinfo=args.as_of.tzinfo or UTC) if args.as_of else None
    paths = generate_dataset(args.out_dir, args.seed, args.applicants, as_of=as_of)
    print(json.dumps({k: str(v) for k, v in asdict(paths).items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
