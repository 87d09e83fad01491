"""The CrossGuard pack (policies/crossguard) reports the gate's findings, without the Pulumi CLI.

Three levels: the pure `violations_for` over fake resources (dataclasses with PolicyResource's
attribute names); the pack's StackValidationPolicy called with real `pulumi_policy` objects
(`StackValidationArgs`, `PolicyResource`, ...); and the SDK's own analyzer servicer handling a real
`AnalyzeStackRequest` protobuf, which is what the Pulumi engine sends over gRPC: properties as a
Struct, unknowns as sentinels behind pulumi_policy's raising proxy, violations as diagnostics.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from platformctl.gate.engines.rego import POLICY_ROOT, RegorusEngine
from platformctl.gate.input.preview import normalize
from tests.builders import PUBLIC_ACCESS_BLOCKED, UNKNOWN

REPO = Path(__file__).resolve().parents[2]
PACK = REPO / "policies" / "crossguard"
STACK, PROJECT = "dev", "uae-ml-platform"
TAGS = {"owner": "platform", "environment": STACK, "data-classification": "confidential", "cost-center": "ml-001"}


def _load_pack() -> ModuleType:
    spec = importlib.util.spec_from_file_location("uae_pack", PACK / "uae_pack.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["uae_pack"] = module
    spec.loader.exec_module(module)
    return module


uae_pack = _load_pack()


# -- fakes with PolicyResource's attribute names ----------------------------------------------


@dataclass
class FakeOptions:
    protect: bool = False
    parent: str | None = None


@dataclass
class FakeProvider:
    resource_type: str
    props: dict[str, Any]
    urn: str
    name: str


@dataclass
class FakeResource:
    resource_type: str
    props: dict[str, Any]
    urn: str
    name: str
    opts: FakeOptions = field(default_factory=FakeOptions)
    provider: FakeProvider | None = None
    parent: FakeResource | None = None
    dependencies: list[FakeResource] = field(default_factory=list)
    property_dependencies: dict[str, list[FakeResource]] = field(default_factory=dict)


def _urn(type_: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_}::{name}"


class World:
    """A small stack: the root Stack, an aws provider, a kubernetes provider, and whatever is added."""

    def __init__(self, region: str = "me-central-1") -> None:
        self.stack = FakeResource(
            "pulumi:pulumi:Stack", {}, _urn("pulumi:pulumi:Stack", f"{PROJECT}-{STACK}"), f"{PROJECT}-{STACK}"
        )
        aws_props = {"region": region, "defaultTags": json.dumps({"tags": TAGS}), "version": "7.51.1"}
        self.aws = FakeProvider("pulumi:providers:aws", aws_props, _urn("pulumi:providers:aws", "uae"), "uae")
        self.k8s = FakeProvider(
            "pulumi:providers:kubernetes", {"version": "4.34.2"}, _urn("pulumi:providers:kubernetes", "eks"), "eks"
        )
        self.resources: list[FakeResource] = [
            self.stack,
            self._provider_resource(self.aws),
            self._provider_resource(self.k8s),
        ]

    def _provider_resource(self, provider: FakeProvider) -> FakeResource:
        return FakeResource(
            provider.resource_type,
            provider.props,
            provider.urn,
            provider.name,
            FakeOptions(parent=self.stack.urn),
            parent=self.stack,
        )

    def add(
        self,
        type_: str,
        name: str,
        props: dict[str, Any],
        *,
        provider: FakeProvider | None | str = "aws",
        deps: dict[str, list[FakeResource]] | None = None,
        protect: bool = False,
    ) -> FakeResource:
        chosen = self.aws if provider == "aws" else self.k8s if provider == "k8s" else provider
        resource = FakeResource(
            type_,
            props,
            _urn(type_, name),
            name,
            FakeOptions(protect=protect, parent=self.stack.urn),
            chosen,
            self.stack,
            sorted({d.urn: d for ds in (deps or {}).values() for d in ds}.values(), key=lambda d: d.urn),
            deps or {},
        )
        self.resources.append(resource)
        return resource

    def bucket_set(self, name: str, **bucket_props: Any) -> FakeResource:
        key = self.add(
            "aws:kms/key:Key",
            f"{name}-key",
            {"enableKeyRotation": True, "deletionWindowInDays": 30, "multiRegion": False},
        )
        bucket = self.add(
            "aws:s3/bucketV2:BucketV2",
            name,
            {"bucketPrefix": f"{name}-", "tags": {"data-classification": "confidential"}, **bucket_props},
            protect=True,
        )
        self.add(
            "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
            f"{name}-sse",
            {
                "bucket": UNKNOWN,
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": UNKNOWN},
                        "bucketKeyEnabled": True,
                    }
                ],
            },
            deps={"bucket": [bucket], "rules": [key]},
        )
        self.add(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            f"{name}-pab",
            {"bucket": UNKNOWN, **PUBLIC_ACCESS_BLOCKED},
            deps={"bucket": [bucket]},
        )
        self.add(
            "aws:s3/bucketVersioningV2:BucketVersioningV2",
            f"{name}-versioning",
            {
                "bucket": UNKNOWN,
                "versioningConfiguration": {"status": "Enabled"},
            },
            deps={"bucket": [bucket]},
        )
        return bucket

    def public_security_group(self) -> FakeResource:
        return self.add(
            "aws:ec2/securityGroup:SecurityGroup",
            "bastion",
            {
                "vpcId": UNKNOWN,
                "description": "bastion",
                "ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}],
            },
        )

    def privileged_deployment(self) -> FakeResource:
        container = {"name": "trainer", "image": "trainer:latest", "securityContext": {"privileged": True}}
        return self.add(
            "kubernetes:apps/v1:Deployment",
            "trainer",
            {
                "metadata": {"name": "trainer", "namespace": "ml"},
                "spec": {
                    "selector": {"matchLabels": {"app": "trainer"}},
                    "template": {"metadata": {"labels": {"app": "trainer"}}, "spec": {"containers": [container]}},
                },
            },
            provider="k8s",
        )


@pytest.fixture(scope="module")
def engine() -> RegorusEngine:
    return RegorusEngine(POLICY_ROOT)


def _rules_on(violations: list[tuple[str, str | None]], urn: str) -> set[str]:
    return {message.split(":", 1)[0] for message, on in violations if on == urn}


# -- the pure function --------------------------------------------------------------------------


def test_compliant_stack_has_no_violations(engine: RegorusEngine) -> None:
    world = World()
    world.bucket_set("offline-store")
    world.bucket_set("artifacts")
    assert uae_pack.violations_for(world.resources, STACK, PROJECT, {"aws:region": "me-central-1"}, engine=engine) == []


def test_non_compliant_stack_reports_rule_ids_on_the_offending_urns(engine: RegorusEngine) -> None:
    world = World()
    good = world.bucket_set("offline-store")
    exported = world.bucket_set("export", region="eu-west-1")
    sg = world.public_security_group()
    deployment = world.privileged_deployment()
    violations = uae_pack.violations_for(world.resources, STACK, PROJECT, {"aws:region": "me-central-1"}, engine=engine)

    assert "UAE-RES-002" in _rules_on(violations, exported.urn)  # per-resource region outside the UAE
    assert "UAE-NET-001" in _rules_on(violations, sg.urn)  # SSH open to the internet
    assert "UAE-K8S-001" in _rules_on(violations, deployment.urn)  # privileged container
    assert _rules_on(violations, good.urn) == set()
    for message, urn in violations:
        assert message.startswith("UAE-") and ": " in message
        assert urn in {r.urn for r in world.resources}


def test_provider_outside_the_uae_is_reported_on_the_provider(engine: RegorusEngine) -> None:
    world = World(region="us-east-1")
    world.bucket_set("offline-store")
    violations = uae_pack.violations_for(world.resources, STACK, PROJECT, {}, engine=engine)
    assert "UAE-RES-001" in _rules_on(violations, world.aws.urn)


def test_pack_input_equals_the_gates_preview_input(engine: RegorusEngine) -> None:
    """The pack's conversion gives the findings the gate gives for the equivalent preview document."""
    world = World()
    world.bucket_set("export", region="eu-west-1")
    world.public_security_group()
    world.privileged_deployment()
    via_pack = uae_pack.violations_for(world.resources, STACK, PROJECT, {}, engine=engine)

    steps = []
    for r in world.resources:
        state: dict[str, Any] = {
            "type": r.resource_type,
            "inputs": r.props,
            "custom": r.provider is not None or r.resource_type.startswith("pulumi:providers:"),
            "protect": r.opts.protect,
            "dependencies": [d.urn for d in r.dependencies],
            "propertyDependencies": {k: [d.urn for d in v] for k, v in r.property_dependencies.items()},
        }
        if r.parent:
            state["parent"] = r.parent.urn
        if r.provider:
            state["provider"] = f"{r.provider.urn}::{UNKNOWN}"
        steps.append({"op": "create", "urn": r.urn, "newState": state})
    via_gate = engine.evaluate(normalize({"steps": steps}, source="equivalent"))
    assert via_pack == [(f"{f['rule_id']}: {f['message']}", f["urn"]) for f in via_gate]
    assert via_pack


def test_unknowns_behind_pulumi_policy_proxies_become_the_gate_unknown(engine: RegorusEngine) -> None:
    from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, unknown_checking_proxy

    world = World()
    bucket = world.bucket_set("offline-store")
    bucket.props = unknown_checking_proxy(
        {**bucket.props, "region": UNKNOWN, "forceDestroy": UNKNOWN_BOOLEAN_VALUE, "nested": [{"x": UNKNOWN}]}
    )
    violations = uae_pack.violations_for(world.resources, STACK, PROJECT, {}, engine=engine)
    assert "UAE-RES-002" in _rules_on(violations, bucket.urn)  # a computed region cannot be shown to stay in the UAE
    assert uae_pack.plain(bucket.props)["nested"] == [{"x": UNKNOWN}]
    assert uae_pack.plain(bucket.props)["forceDestroy"] == UNKNOWN


def test_provider_known_only_through_the_resource_still_sets_the_region(engine: RegorusEngine) -> None:
    world = World(region="eu-west-1")
    world.resources = [r for r in world.resources if not r.resource_type.startswith("pulumi:providers:")]
    world.bucket_set("offline-store")
    document = uae_pack.preview_document(world.resources)
    normalized = normalize(document)
    assert {p["urn"]: p["region"] for p in normalized["providers"]}[world.aws.urn] == "eu-west-1"
    assert "UAE-RES-001" in _rules_on(
        uae_pack.violations_for(world.resources, None, None, {}, engine=engine), world.aws.urn
    )


def test_empty_stack_has_nothing_to_report(engine: RegorusEngine) -> None:
    assert uae_pack.violations_for([], STACK, PROJECT, {}, engine=engine) == []


# -- through the real pulumi_policy objects -----------------------------------------------------


Recorded = list[tuple[str, "str | None"]]


def _recorder() -> tuple[Recorded, Callable[..., None]]:
    calls: Recorded = []

    def report_violation(message: str, urn: str | None = None) -> None:
        calls.append((message, urn))

    return calls, report_violation


def _real_resources(world: World) -> list[Any]:
    """World as real pulumi_policy.PolicyResource objects, props behind the SDK's unknown proxy."""
    from pulumi_policy import PolicyProviderResource, PolicyResource, PolicyResourceOptions
    from pulumi_policy.policy import PolicyCustomTimeouts
    from pulumi_policy.proxy import unknown_checking_proxy

    def provider(p: FakeProvider | None) -> Any:
        return (
            None
            if p is None
            else PolicyProviderResource(p.resource_type, unknown_checking_proxy(dict(p.props)), p.urn, p.name)
        )

    real: dict[str, Any] = {}
    for r in world.resources:
        opts = PolicyResourceOptions(r.opts.protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], r.opts.parent)
        real[r.urn] = PolicyResource(
            r.resource_type,
            unknown_checking_proxy(dict(r.props)),
            r.urn,
            r.name,
            opts,
            provider(r.provider),
            None,
            [],
            {},
        )
    for r in world.resources:
        target = real[r.urn]
        target.parent = real.get(r.parent.urn) if r.parent else None
        target.dependencies = [real[d.urn] for d in r.dependencies]
        target.property_dependencies = {k: [real[d.urn] for d in v] for k, v in r.property_dependencies.items()}
    return list(real.values())


def test_policy_is_a_mandatory_stack_validation_named_uae_gate() -> None:
    from pulumi_policy import EnforcementLevel, StackValidationPolicy

    policy = uae_pack.uae_gate_policy()
    assert isinstance(policy, StackValidationPolicy)
    assert (policy.name, policy.enforcement_level) == ("uae-gate", EnforcementLevel.MANDATORY)


def test_validate_reports_through_stack_validation_args() -> None:
    from pulumi_policy import StackValidationArgs

    world = World()
    world.bucket_set("offline-store")
    exported = world.bucket_set("export", region="eu-west-1")
    sg = world.public_security_group()
    calls, report_violation = _recorder()
    uae_pack.uae_gate_policy().validate(StackValidationArgs(_real_resources(world), {}), report_violation)
    assert "UAE-RES-002" in _rules_on(calls, exported.urn)
    assert "UAE-NET-001" in _rules_on(calls, sg.urn)
    assert all(urn is not None for _, urn in calls)

    compliant = World()
    compliant.bucket_set("offline-store")
    calls, report_violation = _recorder()
    uae_pack.uae_gate_policy().validate(StackValidationArgs(_real_resources(compliant), {}), report_violation)
    assert calls == []


def test_a_broken_gate_blocks_with_a_stack_level_violation(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pulumi_policy import StackValidationArgs

    monkeypatch.setattr(uae_pack, "_ENGINE", None)
    monkeypatch.setattr(uae_pack, "POLICY_ROOT", tmp_path / "missing")
    world = World()
    world.bucket_set("offline-store")
    calls, report_violation = _recorder()
    uae_pack.validate_stack(StackValidationArgs(_real_resources(world), {}), report_violation)
    assert len(calls) == 1
    message, urn = calls[0]
    assert message.startswith("UAE-GATE-ERROR: ") and urn is None


def test_malformed_resources_are_a_gate_error_not_an_allow(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi_policy import StackValidationArgs

    world = World()
    world.add("aws:s3/bucketV2:BucketV2", "nan", {"bucketPrefix": "x", "weird": float("nan")})
    calls, report_violation = _recorder()
    uae_pack.validate_stack(StackValidationArgs(world.resources, {}), report_violation)
    assert [m.split(":", 1)[0] for m, _ in calls] == ["UAE-GATE-ERROR"]


def test_stack_config_comes_from_pulumi_config_with_secrets_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"aws:region": "me-central-1", f"{PROJECT}:dbPassword": "hunter2"}))
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps([f"{PROJECT}:dbPassword"]))
    assert uae_pack.stack_config_from_env() == {"aws:region": "me-central-1", f"{PROJECT}:dbPassword": "[secret]"}


def test_analyzer_servicer_turns_an_analyze_stack_request_into_mandatory_diagnostics() -> None:
    """The SDK's gRPC servicer, fed the protobuf the Pulumi engine sends: the pack end to end."""
    from google.protobuf import json_format
    from pulumi.runtime import proto
    from pulumi_policy import EnforcementLevel
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    world = World()
    world.bucket_set("offline-store")
    exported = world.bucket_set("export", region=UNKNOWN)  # unknown at preview: must still be judged

    def provider(p: FakeProvider | None) -> dict[str, Any] | None:
        return None if p is None else {"type": p.resource_type, "urn": p.urn, "name": p.name, "properties": p.props}

    request = json_format.ParseDict(
        {
            "resources": [
                {
                    k: v
                    for k, v in {
                        "type": r.resource_type,
                        "urn": r.urn,
                        "name": r.name,
                        "properties": r.props,
                        "options": {"protect": r.opts.protect, "parent": r.opts.parent or ""},
                        "provider": provider(r.provider),
                        "parent": r.parent.urn if r.parent else "",
                        "dependencies": [d.urn for d in r.dependencies],
                        "propertyDependencies": {
                            k: {"urns": [d.urn for d in v]} for k, v in r.property_dependencies.items()
                        },
                    }.items()
                    if v is not None
                }
                for r in world.resources
            ]
        },
        proto.AnalyzeStackRequest(),
    )

    servicer = _PolicyAnalyzerServicer(
        "uae-ml-platform-gate", "0.1.0", [uae_pack.uae_gate_policy()], EnforcementLevel.MANDATORY
    )
    response = servicer.AnalyzeStack(request, None)
    diagnostics = [(d.policyName, d.urn, d.enforcementLevel, d.message) for d in response.diagnostics]
    assert diagnostics, "expected the unknown bucket region to be reported"
    assert {(name, urn, level) for name, urn, level, _ in diagnostics} == {("uae-gate", exported.urn, proto.MANDATORY)}
    assert all("UAE-RES-002: " in message for *_, message in diagnostics)


@pytest.mark.integration
def test_the_pack_serves_the_analyzer_protocol_over_grpc() -> None:
    """`python policies/crossguard` as the Pulumi CLI starts it: prints a port, answers gRPC."""
    import subprocess

    import grpc
    from google.protobuf import empty_pb2, json_format
    from pulumi.runtime import proto
    from pulumi.runtime.proto import analyzer_pb2_grpc

    world = World()
    exported = world.bucket_set("export", region="eu-west-1")
    request = json_format.ParseDict(
        {
            "resources": [
                {
                    "type": r.resource_type,
                    "urn": r.urn,
                    "name": r.name,
                    "properties": r.props,
                    "parent": r.parent.urn if r.parent else "",
                    **(
                        {
                            "provider": {
                                "type": r.provider.resource_type,
                                "urn": r.provider.urn,
                                "name": r.provider.name,
                                "properties": r.provider.props,
                            }
                        }
                        if r.provider
                        else {}
                    ),
                    "propertyDependencies": {
                        k: {"urns": [d.urn for d in v]} for k, v in r.property_dependencies.items()
                    },
                }
                for r in world.resources
            ]
        },
        proto.AnalyzeStackRequest(),
    )

    process = subprocess.Popen([sys.executable, str(PACK)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.isdigit(), process.stderr.read() if process.poll() is not None else port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
            assert info.name == "uae-ml-platform-gate"
            assert [(p.name, p.enforcementLevel) for p in info.policies] == [("uae-gate", proto.MANDATORY)]
            response = stub.AnalyzeStack(request, timeout=60)
    finally:
        process.terminate()
        process.wait(timeout=10)
    found = {(d.urn, d.message.split("\n", 1)[1].split(":", 1)[0]) for d in response.diagnostics}
    assert (exported.urn, "UAE-RES-002") in found
