"""Reads fresh features back through the feature server's HTTP API and compares them with the stream.

`python -m workloads.streaming.readback --server http://127.0.0.1:PORT --latest FILE [--subjects N]`:
FILE is what the producer wrote with --latest-out. Subjects who withdrew consent must read back empty;
everyone else must read back their newest event's values. Exit 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path

from workloads.features.names import ACTIVITY_FEATURES, FEATURE_SERVICE
from workloads.features.pseudonymize import default_pseudonymizer


def online_features(server: str, applicant_ids: list[str]) -> list[dict[str, object]]:
    body = json.dumps({"feature_service": FEATURE_SERVICE, "entities": {"applicant_id": applicant_ids}}).encode()
    request = urllib.request.Request(f"{server}/get-online-features", data=body,
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    names = answer["metadata"]["feature_names"]
    return [{name: result["values"][i] for name, result in zip(names, answer["results"], strict=True)}
            for i in range(len(applicant_ids))]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--latest", type=Path, required=True)
    parser.add_argument("--subjects", type=int, default=5)
    args = parser.parse_args(argv)
    latest = json.loads(args.latest.read_text())
    pseudonymizer = default_pseudonymizer()
    chosen = sorted(latest)[: args.subjects]
    withdrawn = [nid for nid, event in latest.items() if event["consent"] == "withdrawn"][:2]
    subjects = chosen + [nid for nid in withdrawn if nid not in chosen]
    rows = online_features(args.server, [pseudonymizer.applicant_id(nid) for nid in subjects])
    mismatches = 0
    for nid, row in zip(subjects, rows, strict=True):
        event = latest[nid]
        if event["consent"] == "withdrawn":
            ok = all(row[name] is None for name in ACTIVITY_FEATURES)
            print(f"  {row['applicant_id'][:12]}… consent withdrawn -> online row purged: {'yes' if ok else 'NO'}")
        else:
            ok = all(row[name] == event[name] for name in ACTIVITY_FEATURES)
            shown = ", ".join(f"{name}={row[name]}" for name in ACTIVITY_FEATURES)
            print(f"  {row['applicant_id'][:12]}… {shown} income_per_loan={row['income_per_loan']} "
                  f"{'== last event' if ok else '!= last event ' + str({n: event[n] for n in ACTIVITY_FEATURES})}")  # fmt: skip
        mismatches += not ok
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
