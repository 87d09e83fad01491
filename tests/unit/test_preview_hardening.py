"""Hostile and unusual previews: each is read right or refused with one PreviewFormatError (exit 2)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from platformctl.errors import PreviewFormatError
from platformctl.gate.input.preview import load_preview_bytes, normalize
from tests.unit.test_preview import PROVIDER, STACK_URN, doc, step


def _reads(text: str) -> dict[str, Any]:
    return normalize(load_preview_bytes(text.encode(), "probe"))


def test_duplicate_json_keys_are_refused() -> None:
    text = json.dumps(doc(step("create", "aws:s3/bucket:Bucket", "lake", {"region": "me-central-1"})))
    twice = text.replace('"region": "me-central-1"}', '"region": "me-central-1", "region": "eu-west-1"}', 1)
    assert twice != text
    with pytest.raises(PreviewFormatError, match="duplicate JSON key 'region'"):
        _reads(twice)
    assert _reads(text)["resources"][-1]["region"] == "me-central-1"


@pytest.mark.parametrize(
    ("diagnostics", "message"),
    [
        ({"severity": "error"}, "'diagnostics' must be a list"),
        ("error: boom", "'diagnostics' must be a list"),
        (["error: boom"], "diagnostics\\[0\\] must be an object"),
        ([{"severity": "fatal", "message": "x"}], "unknown severity"),
        ([{"severity": "error", "message": "aws:region is required"}], "reported an error: aws:region is required"),
        ([{"prefix": "error: ", "message": "program crashed", "severity": "error"}], "program crashed"),
    ],
)
def test_diagnostics_that_are_malformed_or_errors_stop_the_gate(diagnostics: Any, message: str) -> None:
    with pytest.raises(PreviewFormatError, match=message):
        normalize({**doc(), "diagnostics": diagnostics})


def test_warning_and_info_diagnostics_are_fine() -> None:
    diagnostics = [
        {"urn": STACK_URN, "prefix": "warning: ", "message": "deprecated", "severity": "warning"},
        {"message": "hello", "severity": "info"},
        {"message": "stderr line", "severity": "info#err"},
    ]
    assert normalize({**doc(), "diagnostics": diagnostics})["stack"] == "prod"


def _restacked(stack: str) -> dict[str, Any]:
    text = json.dumps(doc(step("create", "aws:s3/bucket:Bucket", "lake")))
    return json.loads(text.replace("urn:pulumi:prod::", f"urn:pulumi:{json.dumps(stack)[1:-1]}::"))


@pytest.mark.parametrize("stack", ["../../x", "/etc/cron.d/x", "..", "a b", "prod\u00e9\u0000"])
def test_stack_names_that_are_not_safe_file_names_are_refused(stack: str) -> None:
    with pytest.raises(PreviewFormatError, match="not a Pulumi stack name"):
        normalize(_restacked(stack))


def test_stack_flag_that_contradicts_the_urns_is_refused() -> None:
    with pytest.raises(PreviewFormatError, match="--stack 'dev' does not match the preview.*'prod'"):
        normalize(doc(), stack="dev")


def _explicit_provider_doc(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    provider = PROVIDER.rsplit("::", 1)[0] + f"::{name}"
    provider_step = {"op": "create", "urn": provider,
                     "newState": {"urn": provider, "custom": True, "type": "pulumi:providers:aws", "inputs": inputs}}  # fmt: skip
    return doc(provider_step, step("create", "aws:s3/bucket:Bucket", "lake", provider=provider))


@pytest.mark.parametrize("name", ["default-eu", "defaults", "default_eu", "default_7_51"])
def test_explicit_provider_named_like_default_does_not_get_the_config_region(name: str) -> None:
    n = normalize(_explicit_provider_doc(name, {}))
    provider = next(p for p in n["providers"] if p["name"] == name)
    bucket = n["resources"][-1]
    assert provider["default"] is False and provider["region"] is None
    assert bucket["region"] is None and bucket["region_source"] == "unknown"


@pytest.mark.parametrize("name", ["default", "default_7_51_1", "default_4_0_0_alpha_1"])
def test_engine_default_providers_take_the_config_region(name: str) -> None:
    n = normalize(_explicit_provider_doc(name, {}))
    provider = next(p for p in n["providers"] if p["name"] == name)
    assert provider["default"] is True and provider["region"] == "me-central-1"
    assert n["resources"][-1]["region_source"] == "config"
