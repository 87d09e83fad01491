"""The gate's reader: real preview shapes normalize; anything untrustworthy is a PreviewFormatError."""

from __future__ import annotations

import json
from typing import Any

import pytest

from platformctl.errors import PreviewFormatError
from platformctl.gate.input.preview import UNKNOWN, load_preview_bytes, normalize

STACK_URN = "urn:pulumi:prod::uae-ml-platform::pulumi:pulumi:Stack::uae-ml-platform-prod"
PROVIDER = "urn:pulumi:prod::uae-ml-platform::pulumi:providers:aws::uae"
DEFAULT_PROVIDER = "urn:pulumi:prod::uae-ml-platform::pulumi:providers:aws::default_7_51_1"
SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "hunter2-password"}


def urn(type_: str, name: str, parent_chain: str = "") -> str:
    chain = f"{parent_chain}${type_}" if parent_chain else type_
    return f"urn:pulumi:prod::uae-ml-platform::{chain}::{name}"


def step(op: str, type_: str, name: str, inputs: dict[str, Any] | None = None, *, provider: str | None = PROVIDER,
         old: dict[str, Any] | None = None, chain: str = "") -> dict[str, Any]:  # fmt: skip
    u = urn(type_, name, chain)
    ref = f"{provider}::{UNKNOWN}" if provider else None
    result: dict[str, Any] = {"op": op, "urn": u}
    if ref:
        result["provider"] = ref
    if op not in ("delete", "delete-replaced"):
        result["newState"] = {"urn": u, "custom": True, "type": type_, "inputs": inputs or {}, "outputs": {},
                              "parent": STACK_URN, "provider": ref}  # fmt: skip
    if old is not None:
        result["oldState"] = {"urn": u, "custom": True, "type": type_, "inputs": old, "outputs": {},
                              "parent": STACK_URN, "provider": ref}  # fmt: skip
    return result


def doc(*steps: dict[str, Any], config: dict[str, Any] | None = None) -> dict[str, Any]:
    provider_step = {
        "op": "same",
        "urn": PROVIDER,
        "newState": {"urn": PROVIDER, "custom": True, "type": "pulumi:providers:aws",
                     "inputs": {"region": "me-central-1", "defaultTags": json.dumps({"tags": {"owner": "platform", "environment": "prod"}})}},
    }  # fmt: skip
    stack = {
        "op": "same",
        "urn": STACK_URN,
        "newState": {"urn": STACK_URN, "custom": False, "type": "pulumi:pulumi:Stack"},
    }
    return {
        "config": config if config is not None else {"aws:region": "me-central-1"},
        "steps": [stack, provider_step, *steps],
    }


def test_tags_merge_provider_defaults_under_resource_tags() -> None:
    n = normalize(
        doc(
            step(
                "create",
                "aws:s3/bucket:Bucket",
                "lake",
                {"tags": {"owner": "data", "data-classification": "restricted"}},
            )
        )
    )
    bucket = n["resources"][-1]
    assert bucket["tags"] == {"owner": "data", "environment": "prod", "data-classification": "restricted"}
    assert bucket["region"] == "me-central-1" and bucket["region_source"] == "provider"
    assert n["stack"] == "prod" and n["environment"] == "prod" and n["project"] == "uae-ml-platform"


def test_per_resource_region_override_wins() -> None:
    n = normalize(doc(step("create", "aws:s3/bucket:Bucket", "escape", {"region": "eu-west-1"})))
    assert (n["resources"][-1]["region"], n["resources"][-1]["region_source"]) == ("eu-west-1", "resource")


def test_default_provider_without_a_step_takes_config_region() -> None:
    n = normalize(
        doc(
            step("create", "aws:sqs/queue:Queue", "q", provider=DEFAULT_PROVIDER), config={"aws:region": "eu-central-1"}
        )
    )
    queue = n["resources"][-1]
    assert (queue["region"], queue["region_source"]) == ("eu-central-1", "config")
    default = next(p for p in n["providers"] if p["urn"] == DEFAULT_PROVIDER)
    assert default["default"] is True and default["declared"] is False and default["region"] == "eu-central-1"


def test_default_provider_without_any_region_is_unknown() -> None:
    n = normalize(doc(step("create", "aws:sqs/queue:Queue", "q", provider=DEFAULT_PROVIDER), config={}))
    assert n["resources"][-1]["region"] is None and n["resources"][-1]["region_source"] == "unknown"


def test_delete_uses_old_state_and_replace_steps_fold_together() -> None:
    deleted = step("delete", "aws:kms/key:Key", "old-key", old={"enableKeyRotation": True})
    old = {"bucketPrefix": "a-"}
    new = {"bucketPrefix": "b-"}
    replacement = [
        {
            **step("create-replacement", "aws:s3/bucket:Bucket", "lake", new, old=old),
            "replaceReasons": ["bucketPrefix"],
        },
        step("replace", "aws:s3/bucket:Bucket", "lake", new, old=old),
        step("delete-replaced", "aws:s3/bucket:Bucket", "lake", old=old),
    ]
    n = normalize(doc(deleted, *replacement))
    by_name = {r["name"]: r for r in n["resources"]}
    assert by_name["old-key"]["op"] == "delete" and by_name["old-key"]["inputs"] == {"enableKeyRotation": True}
    lake = by_name["lake"]
    assert lake["op"] == "replace" and lake["inputs"] == new and lake["old_inputs"] == old
    assert lake["replace_reasons"] == ["bucketPrefix"]


def test_secrets_never_reach_policies_and_numbers_are_ints() -> None:
    n = normalize(doc(step("create", "aws:elasticache/replicationGroup:ReplicationGroup", "redis",
                           {"authToken": SECRET, "numCacheClusters": 3.0, "nested": [{"password": "[secret]"}]})))  # fmt: skip
    inputs = n["resources"][-1]["inputs"]
    assert inputs["authToken"] == "[secret]" and inputs["numCacheClusters"] == 3
    assert "hunter2" not in json.dumps(n)


def test_unknown_resource_types_and_packages_pass_through() -> None:
    n = normalize(doc(step("create", "random:index/randomPet:RandomPet", "pet", {"length": 2}, provider=None)))
    pet = n["resources"][-1]
    assert pet["package"] == "random" and pet["region"] is None and pet["tags"] is None


def test_stack_flag_must_match_the_urn_stack() -> None:
    assert normalize(doc(), stack="prod")["stack"] == "prod"
    assert normalize(doc(), stack="acme/uae-ml-platform/prod")["stack"] == "prod"
    with pytest.raises(PreviewFormatError, match="does not match the preview"):
        normalize(doc(), stack="prod-eu")


BAD_DOCUMENTS: list[tuple[str, Any]] = [
    ("no steps", {"config": {}}),
    ("steps not a list", {"steps": {}}),
    ("empty steps", {"steps": []}),
    ("terraform plan", {"format_version": "1.2", "resource_changes": []}),
    ("unknown op", {"steps": [{"op": "explode", "urn": STACK_URN, "newState": {"type": "pulumi:pulumi:Stack"}}]}),
    ("bad urn", {"steps": [{"op": "create", "urn": "arn:aws:s3:::x", "newState": {}}]}),
    ("no state", {"steps": [{"op": "create", "urn": STACK_URN}]}),
    (
        "delete without oldState",
        {"steps": [{"op": "delete", "urn": STACK_URN, "newState": {"type": "pulumi:pulumi:Stack"}}]},
    ),
    ("state urn mismatch", {"steps": [{"op": "create", "urn": STACK_URN, "newState": {"urn": PROVIDER}}]}),
    ("type mismatch", {"steps": [{"op": "create", "urn": STACK_URN, "newState": {"type": "aws:s3/bucket:Bucket"}}]}),
    ("inputs not an object", {"steps": [{"op": "create", "urn": STACK_URN, "newState": {"inputs": [1]}}]}),
    (
        "two stacks",
        {
            "steps": [
                {"op": "create", "urn": STACK_URN, "newState": {}},
                {"op": "create", "urn": STACK_URN.replace("prod", "dev"), "newState": {}},
            ]
        },
    ),  # fmt: skip
    (
        "duplicate urn",
        {
            "steps": [
                {"op": "create", "urn": STACK_URN, "newState": {}},
                {"op": "create", "urn": STACK_URN, "newState": {}},
            ]
        },
    ),
    (
        "preview failed",
        {
            "steps": [{"op": "create", "urn": STACK_URN, "newState": {}}],
            "diagnostics": [{"severity": "error", "message": "boom"}],
        },
    ),  # fmt: skip
    (
        "provider ref to non-provider",
        {
            "steps": [
                {"op": "create", "urn": urn("aws:s3/bucket:Bucket", "b"), "newState": {"provider": STACK_URN + "::id"}}
            ]
        },
    ),
    (
        "unknown special value",
        {
            "steps": [
                {
                    "op": "create",
                    "urn": STACK_URN,
                    "newState": {"inputs": {"x": {"4dabf18193072939515e22adb298388d": "nope"}}},
                }
            ]
        },
    ),
    ("protect not bool", {"steps": [{"op": "create", "urn": STACK_URN, "newState": {"protect": "yes"}}]}),
]


@pytest.mark.parametrize(("label", "document"), BAD_DOCUMENTS, ids=[b[0] for b in BAD_DOCUMENTS])
def test_untrustworthy_documents_are_refused(label: str, document: Any) -> None:
    with pytest.raises(PreviewFormatError):
        normalize(document)


@pytest.mark.parametrize(
    "data",
    [b"", b"   \n", b"{", b'{"steps": [', b"[]", b'"steps"', b"\x89PNG\r\n\x1a\n\x00\x00", b"\xff\xfe\x00\x00",
     b"null", b'{"steps": [], "x": NaN}', b"[" * 100000],
    ids=["empty", "blank", "truncated", "truncated-steps", "list", "string", "png", "utf32", "null", "nan", "deep"],
)  # fmt: skip
def test_bytes_that_are_not_a_preview_are_refused(data: bytes) -> None:
    with pytest.raises(PreviewFormatError):
        normalize(load_preview_bytes(data, "input"))
