"""Release bundles (schema, digest, pins API) and the provenance ledger's hash chain."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from platformctl.release import IMAGE_NAMES, BundleError, load_bundle, load_bundle_file
from platformctl.release.bundle import UNBUILT_DIGEST, ReleaseBundle, diff_bundles
from platformctl.release.ledger import GENESIS, LedgerError, allow_verdict, append_record, read_ledger

REPO = Path(__file__).resolve().parents[2]
DIGEST = "sha256:" + "ab" * 32


def document(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": "uae-ml-platform/v1",
        "kind": "ReleaseBundle",
        "stack": "dev",
        "infra": {"commit": "a" * 40},
        "images": dict.fromkeys(IMAGE_NAMES, DIGEST),
        "models": {"credit-risk": {"version": 3}},
        "charts": {"kserve": "v0.21.0"},
        "featureRepo": {"version": "1.2.0"},
    }
    doc.update(changes)
    return doc


def test_every_stack_has_a_valid_bundle_naming_itself() -> None:
    stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in (REPO / "stacks").glob("Pulumi.*.yaml"))
    assert stacks
    for stack in stacks:
        bundle = load_bundle(stack, REPO / "stacks")
        assert bundle.stack == stack and set(IMAGE_NAMES) <= set(bundle.images)


def test_the_pins_api() -> None:
    bundle = ReleaseBundle.from_document(document(), "test")
    assert bundle.image_ref("serving", "111122223333.dkr.ecr.me-central-1.amazonaws.com/uae-ml-dev/serving") == (
        f"111122223333.dkr.ecr.me-central-1.amazonaws.com/uae-ml-dev/serving@{DIGEST}"
    )
    assert bundle.model_version("credit-risk") == 3
    assert bundle.chart_version("kserve") == "v0.21.0"
    assert bundle.feature_repo_version == "1.2.0"
    with pytest.raises(BundleError, match="pins no model 'fraud'"):
        bundle.model_version("fraud")
    with pytest.raises(BundleError, match="bare repository"):
        bundle.image_ref("serving", "registry/serving:latest@sha256:00")
    unbuilt = ReleaseBundle.from_document(document(images={**dict.fromkeys(IMAGE_NAMES, UNBUILT_DIGEST)}), "t")
    with pytest.raises(BundleError, match="has not been built yet"):
        unbuilt.image_digest("training")


def test_the_digest_names_the_pins_not_the_stack() -> None:
    dev = ReleaseBundle.from_document(document(), "dev")
    assert dev.for_stack("prod").digest == dev.digest
    moved = ReleaseBundle.from_document(document(models={"credit-risk": {"version": 4}}), "dev")
    assert moved.digest != dev.digest
    assert diff_bundles(dev, moved) == ["models.credit-risk.version: 3 -> 4"]
    assert diff_bundles(dev, dev.for_stack("prod")) == []
    assert load_bundle_file_roundtrip(dev) == dev


def load_bundle_file_roundtrip(bundle: ReleaseBundle) -> ReleaseBundle:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "release.dev.yaml"
        path.write_text(bundle.render())
        return load_bundle_file(path)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"images": {**dict.fromkeys(IMAGE_NAMES, DIGEST), "serving": "latest"}}, "images.serving"),
        ({"images": dict.fromkeys(IMAGE_NAMES[:-1], DIGEST)}, "images"),
        ({"infra": {"commit": "HEAD"}}, "infra.commit"),
        ({"models": {"credit-risk": {"version": 0}}}, "models.credit-risk.version"),
        ({"models": {"credit-risk": {"version": "3"}}}, "models.credit-risk.version"),
        ({"charts": {"kserve": "latest"}}, "charts.kserve"),
        ({"featureRepo": {"version": "main"}}, "featureRepo.version"),
        ({"region": "me-central-1"}, "(top level)"),
        ({"apiVersion": "v2"}, "apiVersion"),
    ],
)
def test_a_malformed_bundle_names_the_field(tmp_path: Path, change: dict[str, Any], where: str) -> None:
    path = tmp_path / "release.dev.yaml"
    path.write_text(yaml.safe_dump(document(**change)))
    with pytest.raises(BundleError, match=re.escape(f"release.dev.yaml: {where}:")):
        load_bundle_file(path)


@pytest.mark.parametrize("text", ["", "- a list\n", "images: [unclosed\n", "\x00"])
def test_unreadable_bundles_are_errors(tmp_path: Path, text: str) -> None:
    path = tmp_path / "release.dev.yaml"
    path.write_text(text)
    with pytest.raises(BundleError):
        load_bundle_file(path)


def test_a_bundle_must_name_its_own_stack(tmp_path: Path) -> None:
    (tmp_path / "release.staging.yaml").write_text(yaml.safe_dump(document()))
    with pytest.raises(BundleError, match="says stack 'dev', not 'staging'"):
        load_bundle("staging", tmp_path)
    with pytest.raises(BundleError, match="has no release bundle"):
        load_bundle("prod", tmp_path)


# --- the ledger ---------------------------------------------------------------------------------


def fields(verdict: str = "allow", bundle_digest: str = DIGEST, when: str = "2026-12-01T00:00:00Z") -> dict[str, Any]:
    return {
        "kind": "verdict",
        "bundle_digest": bundle_digest,
        "bundle": {},
        "source_commit": "b" * 40,
        "preview_digest": DIGEST,
        "gate": {"verdict": verdict, "report_digest": DIGEST},
        "policy_set_digest": DIGEST,
        "who": "test",
        "when": when,
    }


def test_records_chain_onto_each_other(tmp_path: Path) -> None:
    first = append_record(tmp_path, "dev", fields())
    second = append_record(tmp_path, "dev", fields("deny"))
    assert first["prev"] == GENESIS and second["prev"] == first["digest"]
    assert [r["seq"] for r in read_ledger(tmp_path, "dev")] == [0, 1]
    assert read_ledger(tmp_path, "staging") == []


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda lines: [lines[0].replace('"deny"', '"allow"'), *lines[1:]], "does not match its content"),
        (lambda lines: lines[1:], "seq 1 out of order"),
        (lambda lines: [lines[1], lines[0], lines[2]], "seq 1 out of order"),
        (lambda lines: [*lines[:2]], None),  # dropping the newest record is invisible to the chain...
        (lambda lines: [lines[0], "", *lines[1:]], "blank line"),
        (lambda lines: [*lines, "{not json"], "not JSON"),
    ],
)
def test_tampering_breaks_the_chain(tmp_path: Path, tamper: Any, reason: str | None) -> None:
    for verdict in ("deny", "allow", "allow"):
        append_record(tmp_path, "dev", fields(verdict))
    path = tmp_path / "dev.jsonl"
    path.write_text("\n".join(tamper(path.read_text().splitlines())) + "\n")
    if reason is None:
        # ...which is why the ledger lives in git: a dropped line is a visible diff in review.
        assert len(read_ledger(tmp_path, "dev")) == 2
        return
    with pytest.raises(LedgerError, match=reason):
        read_ledger(tmp_path, "dev")


def test_a_recomputed_digest_still_breaks_the_next_link(tmp_path: Path) -> None:
    from platformctl.release.ledger import record_digest

    for verdict in ("deny", "allow"):
        append_record(tmp_path, "dev", fields(verdict))
    path = tmp_path / "dev.jsonl"
    first, second = (json.loads(line) for line in path.read_text().splitlines())
    first["gate"]["verdict"] = "allow"
    first["digest"] = record_digest(first)
    path.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n")
    with pytest.raises(LedgerError, match="dev.jsonl:2: hash chain broken"):
        read_ledger(tmp_path, "dev")


def test_the_standing_allow_verdict() -> None:
    other = "sha256:" + "cd" * 32
    records = [
        {**fields("allow", when="t0"), "digest": "r0"},
        {**fields("deny", when="t1"), "digest": "r1"},
        {**fields("allow", when="t2"), "digest": "r2"},
        {**fields("allow", when="t3"), "digest": "r3"},
        {**fields("deny", bundle_digest=other, when="t4"), "digest": "r4"},
    ]
    standing = allow_verdict(records, DIGEST)
    assert standing is not None and standing["digest"] == "r2"  # soak counts from after the last deny
    assert allow_verdict(records, other) is None
    assert allow_verdict(records[:2], DIGEST) is None


# --- bad input never crashes and never passes ----------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(
    key=st.sampled_from(["apiVersion", "kind", "stack", "infra", "images", "models", "charts", "featureRepo"]),
    value=JSON_VALUES,
)
def test_any_corrupted_field_is_a_bundle_error_or_a_valid_bundle(key: str, value: Any) -> None:
    doc = document(**{key: value})
    try:
        bundle = ReleaseBundle.from_document(doc, "fuzz")
    except BundleError as exc:
        assert str(exc).startswith("fuzz: ")
        return
    # Whatever was accepted is a well-formed bundle whose pins all read back.
    assert bundle.digest.startswith("sha256:") and set(IMAGE_NAMES) <= set(bundle.images)
    assert ReleaseBundle.from_document(bundle.document(), "again") == bundle
